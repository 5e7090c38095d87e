//! Roles: named permission lists of a tenant (its admins) or global (global admins).

use serde::Serialize;

use super::{audit, transaction, unique_or, Access, Actor, Changed, ServiceError};
use crate::db::column::Json;
use crate::db::roles::{self, RoleRow};
use crate::db::{tenants, DbConn};
use crate::domain::access::validate_permissions;
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::IdKind;
use crate::domain::ids::RoleId;
use crate::domain::time::UnixTime;

/// A role.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Role {
    pub id: String,
    pub tenant_id: Option<String>,
    pub name: String,
    pub permissions: Vec<String>,
    pub created_at: UnixTime,
}

impl From<RoleRow> for Role {
    fn from(row: RoleRow) -> Role {
        Role {
            permissions: row.permissions.0,
            id: row.id,
            tenant_id: row.tenant_id,
            name: row.name,
            created_at: row.created_at,
        }
    }
}

fn invalid(field: &'static str, message: String) -> ServiceError {
    ServiceError::invalid(ErrorCode::InvalidRole, field, message)
}

/// The role `id` if the actor may see it (`change`: may change it). Global roles are visible to every admin and
/// changed by global admins.
pub fn find_visible(
    conn: &mut DbConn,
    actor: &Actor,
    id: &RoleId,
    change: bool,
) -> Result<RoleRow, ServiceError> {
    actor.require_admin()?;
    let visible = |r: &RoleRow| match &r.tenant_id {
        None => !change || actor.access == Access::Global,
        tenant => actor.can_see(tenant.as_deref()),
    };
    roles::find_by_id(conn, id.as_str())?
        .filter(visible)
        .ok_or(ServiceError::NotFound("role"))
}

/// Up to `limit` roles after `after`: a global admin sees every role (or one tenant's, when `tenant_id` is asked), a
/// tenant admin its tenant's and the global ones.
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    tenant_id: Option<String>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Role>, ServiceError> {
    let tenant = actor.tenant_filter(tenant_id)?;
    let listing = match (&actor.access, tenant.as_deref()) {
        (Access::Global, None) => roles::RoleListing::All,
        (Access::Global, Some(tenant)) => roles::RoleListing::TenantOnly(tenant),
        (_, tenant) => roles::RoleListing::VisibleTo(tenant.unwrap_or_default()),
    };
    let rows = roles::list(conn, listing, after, limit)?;
    Ok(rows.into_iter().map(Role::from).collect())
}

/// A new role in `tenant_id` (a tenant admin's own), or global.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    name: &str,
    permissions: Vec<String>,
    tenant_id: Option<String>,
) -> Result<Changed<Role>, ServiceError> {
    let tenant_id = actor.tenant_for_new(tenant_id)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            "name must be 1 to 100 printable characters".into(),
        ));
    }
    validate_permissions(&permissions).map_err(|e| invalid("permissions", e))?;
    let row = RoleRow {
        id: IdKind::Role.generate(),
        scope_key: roles::scope_key(tenant_id.as_deref()),
        tenant_id,
        name: name.to_string(),
        permissions: Json(permissions),
        created_at: UnixTime::now(),
    };
    transaction(conn, |conn, _| {
        if let Some(tenant_id) = &row.tenant_id {
            tenants::find_by_id(conn, tenant_id)?.ok_or(ServiceError::NotFound("tenant"))?;
        }
        roles::insert(conn, &row).map_err(|e| {
            unique_or(e, ErrorCode::RoleExists, || {
                "a role with this name exists here".into()
            })
        })?;
        audit(
            conn,
            actor.event("role.created", row.tenant_id.as_deref(), None, &row.id),
            None,
        )?;
        Ok(Role::from(row.clone()))
    })
}

/// New permissions for a role.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: &RoleId,
    permissions: Vec<String>,
) -> Result<Changed<Role>, ServiceError> {
    validate_permissions(&permissions).map_err(|e| invalid("permissions", e))?;
    transaction(conn, |conn, _| {
        let mut row = find_visible(conn, actor, id, true)?;
        row.permissions = Json(permissions);
        roles::update_permissions(conn, &row.id, &row.permissions)?;
        audit(
            conn,
            actor.event("role.updated", row.tenant_id.as_deref(), None, &row.id),
            None,
        )?;
        Ok(Role::from(row))
    })
}

/// Deletes a role; statements naming it grant nothing more.
pub fn delete(conn: &mut DbConn, actor: &Actor, id: &RoleId) -> Result<Changed<()>, ServiceError> {
    transaction(conn, |conn, _| {
        let row = find_visible(conn, actor, id, true)?;
        roles::delete_by_id(conn, &row.id)?;
        audit(
            conn,
            actor.event("role.deleted", row.tenant_id.as_deref(), None, &row.id),
            None,
        )?;
        Ok(())
    })
}
