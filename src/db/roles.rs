//! The `roles` table: named permission lists, per tenant or global.

use diesel::prelude::*;

use super::column::Json;
use super::schema::roles;
use super::DbConn;
use crate::domain::time::UnixTime;

/// A role row; `permissions` is a JSON array.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = roles)]
pub struct RoleRow {
    pub id: String,
    pub tenant_id: Option<String>,
    pub scope_key: String,
    pub name: String,
    pub permissions: Json<Vec<String>>,
    pub created_at: UnixTime,
}

/// The uniqueness scope of a role: its tenant, or '' for global roles.
pub fn scope_key(tenant_id: Option<&str>) -> String {
    tenant_id.unwrap_or_default().to_string()
}

pub fn insert(conn: &mut DbConn, row: &RoleRow) -> QueryResult<()> {
    diesel::insert_into(roles::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<RoleRow>> {
    roles::table
        .find(id)
        .select(RoleRow::as_select())
        .get_result(conn)
        .optional()
}

/// Roles of a tenant and the global ones, optionally limited to some names.
pub fn find_visible(
    conn: &mut DbConn,
    tenant_id: Option<&str>,
    names: Option<&[String]>,
) -> QueryResult<Vec<RoleRow>> {
    let scopes = vec![String::new(), scope_key(tenant_id)];
    let mut query = roles::table
        .filter(roles::scope_key.eq_any(scopes))
        .select(RoleRow::as_select())
        .order(roles::name)
        .into_boxed();
    if let Some(names) = names {
        query = query.filter(roles::name.eq_any(names.to_vec()));
    }
    query.load(conn)
}

/// Which roles a listing shows.
pub enum RoleListing<'a> {
    /// Every role (global admins).
    All,
    /// One tenant's own roles (global admins filtering by `tenant_id`).
    TenantOnly(&'a str),
    /// What a tenant sees: its own and the global roles (tenant admins).
    VisibleTo(&'a str),
}

/// Up to `limit` roles of `listing`, ordered by id after `after`.
pub fn list(
    conn: &mut DbConn,
    listing: RoleListing<'_>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<RoleRow>> {
    let mut query = roles::table
        .select(RoleRow::as_select())
        .order(roles::id)
        .limit(limit)
        .into_boxed();
    query = match listing {
        RoleListing::All => query,
        RoleListing::TenantOnly(tenant) => query.filter(roles::scope_key.eq(tenant.to_string())),
        RoleListing::VisibleTo(tenant) => {
            query.filter(roles::scope_key.eq_any(vec![String::new(), tenant.to_string()]))
        }
    };
    if let Some(after) = after {
        query = query.filter(roles::id.gt(after.to_string()));
    }
    query.load(conn)
}

pub fn update_permissions(
    conn: &mut DbConn,
    id: &str,
    permissions: &Json<Vec<String>>,
) -> QueryResult<()> {
    diesel::update(roles::table.find(id))
        .set(roles::permissions.eq(permissions))
        .execute(conn)
        .map(|_| ())
}

pub fn delete_by_id(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::delete(roles::table.find(id))
        .execute(conn)
        .map(|n| n > 0)
}
