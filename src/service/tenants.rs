//! Tenants: create, change, delete (which revokes everything under the tenant).

use super::{audit, revoke_subject, transaction, unique_or, Actor, Changed, ServiceError};
use crate::config::Config;
use crate::db::column::Json;
use crate::db::tenants::{self, Tenant, TenantRow};
use crate::db::{access_records, refresh_tokens, service_clients, users, DbConn};
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::TenantId;
use crate::domain::tenant::TenantSpec;
use crate::domain::time::UnixTime;
use crate::domain::ttl::TtlOverrides;

/// Changes to a tenant; absent fields stay as they are.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantChanges {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: Option<String>,
    pub ttl: Option<TtlOverrides>,
}

fn validated(spec: &TenantSpec, config: &Config) -> Result<(), ServiceError> {
    spec.validate(config.max_access_token_ttl)
        .map_err(|e| ServiceError::invalid(ErrorCode::InvalidTenant, e.field(), e.to_string()))
}

/// The tenant `id` if the actor administers it.
pub fn find_visible(
    conn: &mut DbConn,
    actor: &Actor,
    id: &TenantId,
) -> Result<TenantRow, ServiceError> {
    actor.require_admin()?;
    tenants::find_by_id(conn, id.as_str())?
        .filter(|t| actor.can_see(Some(&t.id)))
        .ok_or(ServiceError::NotFound("tenant"))
}

/// A new tenant (global admins only).
pub fn create(
    conn: &mut DbConn,
    config: &Config,
    actor: &Actor,
    spec: TenantSpec,
) -> Result<Changed<Tenant>, ServiceError> {
    actor.require_global()?;
    validated(&spec, config)?;
    let row = TenantRow::new(&spec, UnixTime::now());
    transaction(conn, |conn, _| {
        tenants::insert(conn, &row).map_err(|e| {
            unique_or(e, ErrorCode::SlugTaken, || {
                format!("a tenant with slug {:?} already exists", row.slug)
            })
        })?;
        audit(
            conn,
            actor.event("tenant.created", Some(&row.id), None, &row.id),
            None,
        )?;
        Ok(Tenant::from(row.clone()))
    })
}

/// Changes a tenant's name or token lifetimes (global admins only); its clients' cached keys are read again.
pub fn update(
    conn: &mut DbConn,
    config: &Config,
    actor: &Actor,
    id: &TenantId,
    changes: TenantChanges,
) -> Result<Changed<Tenant>, ServiceError> {
    actor.require_global()?;
    transaction(conn, |conn, effects| {
        let mut row = find_visible(conn, actor, id)?;
        let spec = TenantSpec {
            name: changes.name.unwrap_or(row.name.clone()),
            slug: row.slug.clone(),
            ttl: changes.ttl.unwrap_or_else(|| row.ttl.0.clone()),
        };
        validated(&spec, config)?;
        (row.name, row.ttl) = (spec.name.trim().to_string(), Json(spec.ttl));
        tenants::update(conn, &row)?;
        audit(
            conn,
            actor.event("tenant.updated", Some(&row.id), None, &row.id),
            None,
        )?;
        effects.stale.push(row.id.clone());
        Ok(Tenant::from(row))
    })
}

/// Deletes a tenant with its users, clients, keys, roles and records; every token and session of the tenant is
/// refused from now on (global admins only).
pub fn delete(
    conn: &mut DbConn,
    config: &Config,
    actor: &Actor,
    id: &TenantId,
) -> Result<Changed<()>, ServiceError> {
    actor.require_global()?;
    transaction(conn, |conn, effects| {
        let tenant = find_visible(conn, actor, id)?;
        // Global records may name the tenant's users and clients: those references go with them.
        let mut members = users::ids_of_tenant(conn, &tenant.id)?;
        members.extend(service_clients::ids_of_tenant(conn, &tenant.id)?);
        access_records::forget_subjects(conn, &members)?;
        refresh_tokens::delete_of_tenant(conn, &tenant.id)?;
        tenants::delete_by_id(conn, &tenant.id)?;
        revoke_subject(conn, effects, config.max_access_token_ttl, &tenant.id)?;
        audit(
            conn,
            actor.event("tenant.deleted", Some(&tenant.id), None, &tenant.id),
            None,
        )?;
        Ok(())
    })
}
