//! The `revoked_tokens` table: access tokens revoked before their expiry (RFC 7009), by `jti`.

use diesel::prelude::*;

use super::schema::revoked_tokens;
use super::{is_unique_violation, DbConn};
use crate::domain::time::UnixTime;

/// A revoked access token.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = revoked_tokens)]
pub struct RevokedTokenRow {
    pub jti: String,
    pub client_id: String,
    pub expires_at: UnixTime,
    pub revoked_at: UnixTime,
}

/// Records a revocation; revoking twice is not an error.
pub fn insert(conn: &mut DbConn, row: &RevokedTokenRow) -> QueryResult<()> {
    match diesel::insert_into(revoked_tokens::table)
        .values(row)
        .execute(conn)
    {
        Err(error) if !is_unique_violation(&error) => Err(error),
        _ => Ok(()),
    }
}

/// Revocations made at or after `since` of tokens still unexpired at `now`: what a node syncs.
pub fn find_since(
    conn: &mut DbConn,
    since: UnixTime,
    now: UnixTime,
) -> QueryResult<Vec<RevokedTokenRow>> {
    revoked_tokens::table
        .filter(revoked_tokens::revoked_at.ge(since))
        .filter(revoked_tokens::expires_at.gt(now))
        .select(RevokedTokenRow::as_select())
        .load(conn)
}

/// Forgets revocations of tokens that have expired anyway.
pub fn delete_expired(conn: &mut DbConn, now: UnixTime) -> QueryResult<usize> {
    diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(now))).execute(conn)
}
