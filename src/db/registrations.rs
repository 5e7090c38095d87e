//! The `registration_tokens`, `open_registrations` and `client_registrations` tables: initial access tokens for
//! dynamic client registration, the tenants that allow it without one, and what each registered client registered
//! with (RFC 7591/7592).

use diesel::prelude::*;

use super::column::Json;
use super::schema::{
    client_registrations, open_registrations, registration_tokens, service_clients,
};
use super::DbConn;
use crate::domain::registration::{ClientMetadata, RegistrationPolicy};
use crate::domain::time::UnixTime;

/// An initial access token as stored: its salted hash, never the token.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = registration_tokens)]
pub struct RegistrationTokenRow {
    pub id: String,
    pub tenant_id: String,
    pub secret_salt: Vec<u8>,
    pub secret_hash: Vec<u8>,
    /// The actor who made it (a user or a client id, `cli`).
    pub created_by: String,
    /// The user who made it, who owns the clients registered with it; none: the tenant owns them.
    pub owner_user_id: Option<String>,
    pub policy: Json<RegistrationPolicy>,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub expires_at: Option<UnixTime>,
    pub created_at: UnixTime,
}

/// A registered client's registration: what it registered with and its registration access token's hash.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = client_registrations)]
pub struct ClientRegistrationRow {
    pub client_id: String,
    pub registration_token_id: Option<String>,
    pub access_token_id: String,
    pub access_token_salt: Vec<u8>,
    pub access_token_hash: Vec<u8>,
    pub metadata: Json<ClientMetadata>,
    /// The policy it registered under: a replacement (RFC 7592 §2.2) is held to it, whatever became of the token.
    pub policy: Json<RegistrationPolicy>,
    pub created_at: UnixTime,
    /// Registered without an initial access token, under its tenant's open registration.
    pub open_registration: bool,
}

/// A tenant's open registration: the policy registrations without an initial access token are held to.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = open_registrations)]
pub struct OpenRegistrationRow {
    pub tenant_id: String,
    pub policy: Json<RegistrationPolicy>,
    pub updated_by: String,
    pub updated_at: UnixTime,
}

/// The tenant's open registration, if it has one.
pub fn find_open(conn: &mut DbConn, tenant_id: &str) -> QueryResult<Option<OpenRegistrationRow>> {
    open_registrations::table
        .find(tenant_id)
        .select(OpenRegistrationRow::as_select())
        .get_result(conn)
        .optional()
}

/// Stores a tenant's open registration, replacing the one it had (inside the caller's transaction).
pub fn replace_open(conn: &mut DbConn, row: &OpenRegistrationRow) -> QueryResult<()> {
    delete_open(conn, &row.tenant_id)?;
    diesel::insert_into(open_registrations::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Turns a tenant's open registration off; false when it was off.
pub fn delete_open(conn: &mut DbConn, tenant_id: &str) -> QueryResult<bool> {
    diesel::delete(open_registrations::table.find(tenant_id))
        .execute(conn)
        .map(|n| n > 0)
}

/// How many clients of the tenant registered through its open registration still exist.
/// Holds the tenant's open registration until the caller's transaction ends (PostgreSQL's `FOR UPDATE`), so that
/// registrations racing in one tenant count its clients one after another. SQLite has one writer at a time already.
pub fn lock_open(conn: &mut DbConn, tenant_id: &str) -> QueryResult<()> {
    if let DbConn::Postgres(pg) = conn {
        diesel::sql_query("SELECT 1 FROM open_registrations WHERE tenant_id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::Text, _>(tenant_id)
            .execute(pg)?;
    }
    Ok(())
}

pub fn count_open_clients(conn: &mut DbConn, tenant_id: &str) -> QueryResult<i64> {
    client_registrations::table
        .inner_join(service_clients::table)
        .filter(client_registrations::open_registration.eq(true))
        .filter(service_clients::tenant_id.eq(tenant_id))
        .count()
        .get_result(conn)
}

pub fn insert_token(conn: &mut DbConn, row: &RegistrationTokenRow) -> QueryResult<()> {
    diesel::insert_into(registration_tokens::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_token(conn: &mut DbConn, id: &str) -> QueryResult<Option<RegistrationTokenRow>> {
    registration_tokens::table
        .find(id)
        .select(RegistrationTokenRow::as_select())
        .get_result(conn)
        .optional()
}

/// Up to `limit` tokens of the tenant after `after` by id.
pub fn list_tokens(
    conn: &mut DbConn,
    tenant_id: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<RegistrationTokenRow>> {
    let mut query = registration_tokens::table
        .filter(registration_tokens::tenant_id.eq(tenant_id))
        .select(RegistrationTokenRow::as_select())
        .order(registration_tokens::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(registration_tokens::id.gt(after));
    }
    query.load(conn)
}

pub fn delete_token(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::delete(registration_tokens::table.find(id))
        .execute(conn)
        .map(|n| n > 0)
}

/// Counts one use of the token if it has one left: one conditional update, so that two registrations at once
/// cannot both take the last use.
pub fn take_use(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    use registration_tokens::dsl;
    diesel::update(
        dsl::registration_tokens.find(id).filter(
            dsl::max_uses
                .is_null()
                .or(dsl::uses.lt(dsl::max_uses.assume_not_null())),
        ),
    )
    .set(dsl::uses.eq(dsl::uses + 1))
    .execute(conn)
    .map(|n| n == 1)
}

/// How many clients registered with the token still exist.
pub fn count_clients_of(conn: &mut DbConn, token_id: &str) -> QueryResult<i64> {
    client_registrations::table
        .filter(client_registrations::registration_token_id.eq(token_id))
        .count()
        .get_result(conn)
}

pub fn insert_registration(conn: &mut DbConn, row: &ClientRegistrationRow) -> QueryResult<()> {
    diesel::insert_into(client_registrations::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_registration(
    conn: &mut DbConn,
    client_id: &str,
) -> QueryResult<Option<ClientRegistrationRow>> {
    client_registrations::table
        .find(client_id)
        .select(ClientRegistrationRow::as_select())
        .get_result(conn)
        .optional()
}

/// The metadata a replacement registered.
pub fn set_metadata(
    conn: &mut DbConn,
    client_id: &str,
    metadata: &Json<ClientMetadata>,
) -> QueryResult<()> {
    diesel::update(client_registrations::table.find(client_id))
        .set(client_registrations::metadata.eq(metadata))
        .execute(conn)
        .map(|_| ())
}
