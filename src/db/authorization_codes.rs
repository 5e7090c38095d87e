//! The `authorization_codes` table: codes by their SHA-256, single use, short-lived.

use diesel::prelude::*;

use super::schema::authorization_codes;
use super::DbConn;
use crate::domain::scope::Scopes;
use crate::domain::time::UnixTime;

/// An issued authorization code (only its hash is stored).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = authorization_codes)]
pub struct AuthorizationCodeRow {
    pub code_hash: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scope: Scopes,
    pub code_challenge: String,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    pub used_at: Option<UnixTime>,
    /// Set when the code is exchanged: the sign-in it started and the access token it was exchanged for.
    pub family_id: Option<String>,
    pub access_token_jti: Option<String>,
    /// OpenID Connect: the request's `nonce`, and the sign-in session and time the code was issued in.
    pub nonce: Option<String>,
    pub auth_time: Option<UnixTime>,
    pub session_id: Option<String>,
}

pub fn insert(conn: &mut DbConn, row: &AuthorizationCodeRow) -> QueryResult<()> {
    diesel::insert_into(authorization_codes::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, code_hash: &str) -> QueryResult<Option<AuthorizationCodeRow>> {
    authorization_codes::table
        .find(code_hash)
        .select(AuthorizationCodeRow::as_select())
        .get_result(conn)
        .optional()
}

/// Marks an unused code used by the sign-in `family_id`; returns false when it was used already.
pub fn mark_used(
    conn: &mut DbConn,
    code_hash: &str,
    family_id: &str,
    access_token_jti: &str,
    now: UnixTime,
) -> QueryResult<bool> {
    diesel::update(authorization_codes::table.find(code_hash))
        .filter(authorization_codes::used_at.is_null())
        .set((
            authorization_codes::used_at.eq(now),
            authorization_codes::family_id.eq(family_id),
            authorization_codes::access_token_jti.eq(access_token_jti),
        ))
        .execute(conn)
        .map(|marked| marked > 0)
}

/// Forgets codes that expired before `now`.
pub fn delete_expired(conn: &mut DbConn, now: UnixTime) -> QueryResult<usize> {
    diesel::delete(authorization_codes::table.filter(authorization_codes::expires_at.lt(now)))
        .execute(conn)
}
