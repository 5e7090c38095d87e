//! The `tenants` table.

use diesel::prelude::*;
use serde::Serialize;

use super::column::Json;
use super::schema::tenants;
use super::DbConn;
use crate::domain::ids::IdKind;
use crate::domain::tenant::TenantSpec;
use crate::domain::time::UnixTime;
use crate::domain::ttl::TtlOverrides;

/// A tenant row; `ttl` holds the tenant's TTL overrides as JSON.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tenants)]
pub struct TenantRow {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub ttl: Json<TtlOverrides>,
    pub created_at: UnixTime,
}

/// A tenant as shown to operators.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub ttl: TtlOverrides,
    pub created_at: UnixTime,
}

impl From<TenantRow> for Tenant {
    fn from(row: TenantRow) -> Tenant {
        Tenant {
            ttl: row.ttl.0,
            id: row.id,
            name: row.name,
            slug: row.slug,
            created_at: row.created_at,
        }
    }
}

impl TenantRow {
    /// The row for a new tenant made from a validated spec.
    pub fn new(spec: &TenantSpec, created_at: UnixTime) -> TenantRow {
        TenantRow {
            id: IdKind::Tenant.generate(),
            name: spec.name.trim().to_string(),
            slug: spec.slug.clone(),
            ttl: Json(spec.ttl.clone()),
            created_at,
        }
    }
}

/// Stores a new tenant.
pub fn insert(conn: &mut DbConn, row: &TenantRow) -> QueryResult<()> {
    diesel::insert_into(tenants::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The tenant with this id.
pub fn find_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<TenantRow>> {
    tenants::table
        .find(id)
        .select(TenantRow::as_select())
        .get_result(conn)
        .optional()
}

/// Up to `limit` tenants ordered by id, after the cursor `after` when given.
pub fn list(conn: &mut DbConn, after: Option<&str>, limit: i64) -> QueryResult<Vec<TenantRow>> {
    let mut query = tenants::table
        .select(TenantRow::as_select())
        .order(tenants::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(tenants::id.gt(after.to_string()));
    }
    query.load(conn)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    tenants::table.count().get_result(conn)
}

/// Stores a tenant's name and TTL overrides.
pub fn update(conn: &mut DbConn, row: &TenantRow) -> QueryResult<()> {
    diesel::update(tenants::table.find(&row.id))
        .set((tenants::name.eq(&row.name), tenants::ttl.eq(&row.ttl)))
        .execute(conn)
        .map(|_| ())
}

/// Deletes a tenant and, through the foreign keys, its clients and their keys. Returns whether it existed.
pub fn delete_by_id(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::delete(tenants::table.find(id))
        .execute(conn)
        .map(|n| n > 0)
}

/// The tenant with this slug.
pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<TenantRow>> {
    tenants::table
        .filter(tenants::slug.eq(slug))
        .select(TenantRow::as_select())
        .get_result(conn)
        .optional()
}
