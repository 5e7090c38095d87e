//! The `authorization_codes` table: codes by their SHA-256, single use, short-lived.

use diesel::prelude::*;

use super::schema::authorization_codes;
use super::{write_transaction, DbConn};

/// An issued authorization code (only its hash is stored).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = authorization_codes)]
pub struct AuthorizationCodeRow {
    pub code_hash: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub code_challenge: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub family_id: Option<String>,
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
        .first(conn)
        .optional()
}

/// Marks the code used by the sign-in `family_id`, and stores that sign-in's first refresh token, atomically.
/// Returns false when the code was already used.
pub fn redeem(
    conn: &mut DbConn,
    code_hash: &str,
    family_id: &str,
    now: i64,
    first_refresh: &super::refresh_tokens::RefreshTokenRow,
) -> QueryResult<bool> {
    write_transaction(conn, |conn| {
        let marked = diesel::update(authorization_codes::table.find(code_hash))
            .filter(authorization_codes::used_at.is_null())
            .set((
                authorization_codes::used_at.eq(now),
                authorization_codes::family_id.eq(family_id),
            ))
            .execute(conn)?;
        if marked == 0 {
            return Ok(false);
        }
        super::refresh_tokens::insert(conn, first_refresh).map(|()| true)
    })
}

/// Forgets codes that expired before `now`.
pub fn delete_expired(conn: &mut DbConn, now: i64) -> QueryResult<usize> {
    diesel::delete(authorization_codes::table.filter(authorization_codes::expires_at.lt(now)))
        .execute(conn)
}
