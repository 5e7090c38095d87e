//! The `trusted_issuers` table: per tenant (or global), external issuers whose tokens map to clients.

use diesel::prelude::*;
use serde_json::Value;

use super::column::Json;
use super::schema::trusted_issuers;
use super::DbConn;
use crate::domain::time::UnixTime;
use crate::domain::trusted_issuer::Rule;

/// A trust as stored; `jwks_uri` and `jwks` both absent: keys from the issuer's discovery document.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = trusted_issuers, treat_none_as_null = true)]
pub struct TrustedIssuerRow {
    pub id: String,
    pub tenant_id: Option<String>,
    pub issuer: String,
    pub jwks_uri: Option<String>,
    pub jwks: Option<Json<Value>>,
    pub audiences: Json<Vec<String>>,
    pub algorithms: Json<Vec<String>>,
    pub max_token_age: Option<i64>,
    pub rules: Json<Vec<Rule>>,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

pub fn insert(conn: &mut DbConn, row: &TrustedIssuerRow) -> QueryResult<()> {
    diesel::insert_into(trusted_issuers::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Writes every column of `row` over the stored trust of the same id.
pub fn replace(conn: &mut DbConn, row: &TrustedIssuerRow) -> QueryResult<()> {
    diesel::update(trusted_issuers::table.find(&row.id))
        .set(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<TrustedIssuerRow>> {
    trusted_issuers::table
        .find(id)
        .select(TrustedIssuerRow::as_select())
        .get_result(conn)
        .optional()
}

/// Every trust of `issuer`, in every tenant: an external token is checked against each.
pub fn find_by_issuer(conn: &mut DbConn, issuer: &str) -> QueryResult<Vec<TrustedIssuerRow>> {
    trusted_issuers::table
        .filter(trusted_issuers::issuer.eq(issuer))
        .order(trusted_issuers::id)
        .select(TrustedIssuerRow::as_select())
        .load(conn)
}

/// Up to `limit` trusts after `after` by id: of one tenant, or of all when `tenant_id` is `None`.
pub fn list(
    conn: &mut DbConn,
    tenant_id: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<TrustedIssuerRow>> {
    let mut query = trusted_issuers::table
        .select(TrustedIssuerRow::as_select())
        .order(trusted_issuers::id)
        .limit(limit)
        .into_boxed();
    if let Some(tenant_id) = tenant_id {
        query = query.filter(trusted_issuers::tenant_id.eq(tenant_id));
    }
    if let Some(after) = after {
        query = query.filter(trusted_issuers::id.gt(after));
    }
    query.load(conn)
}

pub fn delete_by_id(conn: &mut DbConn, id: &str) -> QueryResult<()> {
    diesel::delete(trusted_issuers::table.find(id))
        .execute(conn)
        .map(|_| ())
}
