//! The writes of a sign-in's token grants that span tables: redeeming an authorization code for the sign-in's
//! first refresh token, and rotating a refresh token; and ending a sign-in session's refresh tokens. Each is all or nothing; neither is audited (they are the
//! token path, and their failures — a replay — are audited by the grant that detects them).

use diesel::QueryResult;

use crate::db::refresh_tokens::{self, RefreshTokenRow};
use crate::db::{authorization_codes, write_transaction, DbConn};

/// Marks the code used by the sign-in of `first_refresh` and stores that refresh token. Returns false, storing
/// nothing, when the code was already used.
pub fn redeem_code(
    conn: &mut DbConn,
    code_hash: &str,
    first_refresh: &RefreshTokenRow,
    access_token_jti: &str,
) -> QueryResult<bool> {
    write_transaction(conn, |conn| {
        let now = first_refresh.created_at;
        let family = &first_refresh.family_id;
        if !authorization_codes::mark_used(conn, code_hash, family, access_token_jti, now)? {
            return Ok(false);
        }
        refresh_tokens::insert(conn, first_refresh).map(|()| true)
    })
}

/// Spends `spent` and stores its successor. Returns false, storing nothing, when `spent` was already used or
/// revoked: a replay, for which the caller revokes the family.
pub fn rotate_refresh_token(
    conn: &mut DbConn,
    spent: &str,
    successor: &RefreshTokenRow,
) -> QueryResult<bool> {
    refresh_tokens::rotate(conn, spent, successor)
}

/// Revokes every refresh token issued in the sign-in session `session_id` (RP-initiated logout); how many.
pub fn end_session(conn: &mut DbConn, session_id: &str) -> QueryResult<usize> {
    refresh_tokens::revoke_session(conn, session_id, crate::domain::time::UnixTime::now())
}
