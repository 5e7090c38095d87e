//! What a subject holds: the reads that access decisions share, `/v1/authorize` and the rules that keep users from
//! granting more than they hold.

use diesel::QueryResult;

use super::ServiceError;
use crate::db::{access_records, roles, service_clients, users, DbConn};
use crate::domain::access::{self, RolePermissions, Statement};
use crate::domain::error_code::ErrorCode;
use crate::domain::resource::{is_permission, Resource};

/// Whether `subject` may use `permission` on `resource`, decided by the records of the tenant `deciding_tenant`
/// picks: what `/v1/authorize` and the console's "test access" answer. A resource not in normal form is never
/// allowed, so no path trick gets past a pattern.
pub fn allows(
    conn: &mut DbConn,
    caller_tenant: Option<&str>,
    asked_tenant: Option<&str>,
    subject: &str,
    resource: &str,
    permission: &str,
) -> Result<bool, ServiceError> {
    if !is_permission(permission) {
        return Err(ServiceError::refused(
            ErrorCode::InvalidPermission,
            format!("{permission:?} is not a permission"),
        ));
    }
    let Ok(resource) = Resource::parse(resource) else {
        return Ok(false);
    };
    let tenant = deciding_tenant(conn, caller_tenant, asked_tenant, subject)?;
    let (statements, roles) = statements_of(conn, tenant.as_deref(), subject)?;
    Ok(access::allows(&statements, &roles, &resource, permission))
}

/// The subject's statements in `tenant_id` (its records there and the global ones), and the permissions of the roles they name.
pub fn statements_of(
    conn: &mut DbConn,
    tenant_id: Option<&str>,
    subject: &str,
) -> QueryResult<(Vec<Statement>, RolePermissions)> {
    let records = access_records::find_for_subject(conn, tenant_id, subject)?;
    let statements: Vec<Statement> = records.into_iter().flat_map(|r| r.statements.0).collect();
    let permissions = role_permissions(conn, tenant_id, &statements)?;
    Ok((statements, permissions))
}

/// Which tenant's records (with the global ones) decide for `subject`, asked by a caller of `caller_tenant`
/// (`None`: a global caller) naming `asked`. A tenant caller's own tenant always; for a global caller the subject's
/// own tenant, since subject ids are unique: an `asked` tenant that contradicts it is refused.
pub fn deciding_tenant(
    conn: &mut DbConn,
    caller_tenant: Option<&str>,
    asked: Option<&str>,
    subject: &str,
) -> Result<Option<String>, ServiceError> {
    if let Some(own) = caller_tenant {
        return Ok(Some(own.to_string()));
    }
    let subjects_tenant = match users::find_by_id(conn, subject)? {
        Some(user) => Some(Some(user.tenant_id)),
        None => service_clients::find_by_id(conn, subject)?.map(|client| client.tenant_id),
    };
    match (subjects_tenant, asked) {
        // An unknown subject holds no records; the asked tenant (or none) is as good as any.
        (None, asked) => Ok(asked.map(String::from)),
        (Some(own), None) => Ok(own),
        (Some(own), Some(asked)) if own.as_deref() == Some(asked) => Ok(own),
        (Some(own), Some(asked)) => Err(ServiceError::refused(
            ErrorCode::InvalidTenant,
            format!(
                "tenant_id {asked} contradicts the subject's tenant ({})",
                own.as_deref().unwrap_or("global")
            ),
        )),
    }
}

/// The permissions of every role the statements name; a tenant role shadows a global role of the same name.
pub fn role_permissions(
    conn: &mut DbConn,
    tenant_id: Option<&str>,
    statements: &[Statement],
) -> QueryResult<RolePermissions> {
    let mut names: Vec<String> = statements.iter().flat_map(|s| s.roles.clone()).collect();
    names.sort();
    names.dedup();
    let mut permissions = RolePermissions::new();
    if names.is_empty() {
        return Ok(permissions);
    }
    let found = roles::find_visible(conn, tenant_id, Some(&names))?;
    for role in found
        .iter()
        .filter(|r| r.tenant_id.is_none())
        .chain(found.iter().filter(|r| r.tenant_id.is_some()))
    {
        permissions.insert(role.name.clone(), role.permissions.0.clone());
    }
    Ok(permissions)
}

/// Refuses `statements` unless the user holds every permission of their roles on every resource they name: the
/// one rule for what a user may grant, through `/v1/self`, the account pages and the records they administer.
pub fn ensure_user_holds(
    conn: &mut DbConn,
    user_id: &str,
    tenant_id: &str,
    statements: &[Statement],
) -> Result<(), ServiceError> {
    let (held, mut held_roles) = statements_of(conn, Some(tenant_id), user_id)?;
    let held = access::held_by_user(user_id, held, &mut held_roles);
    let granted = role_permissions(conn, Some(tenant_id), statements)?;
    for statement in statements {
        let permissions: Vec<String> = statement
            .roles
            .iter()
            .flat_map(|name| granted.get(name).cloned().unwrap_or_default())
            .collect();
        if !access::may_grant(&held, &held_roles, &permissions, &statement.resources) {
            return Err(ServiceError::Forbidden(
                "you cannot grant more than you hold: the role's permissions on these resources"
                    .into(),
            ));
        }
    }
    Ok(())
}
