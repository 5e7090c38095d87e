//! The writes of a sign-in's token grants that span tables: redeeming an authorization code for the sign-in's
//! first refresh token, and rotating refresh tokens; and ending a sign-in session's refresh tokens. Each is all or
//! nothing; none is audited (they are the token path, and their failures — a replay — are audited by the grant that
//! detects them).

use diesel::QueryResult;

use crate::db::refresh_tokens::{self, RefreshTokenRow, Rotation};
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

/// Spends each `spent` and stores its successor (`refresh_tokens::rotate`, whose rules it is); answers, in order,
/// whether each rotated. False, storing nothing for it, when its token was already used or revoked: a replay, for
/// which the caller revokes the family.
pub fn rotate_refresh_tokens(conn: &mut DbConn, rotations: &[Rotation]) -> QueryResult<Vec<bool>> {
    refresh_tokens::rotate(conn, rotations)
}

/// Revokes every refresh token issued in the sign-in session `session_id` (RP-initiated logout); how many.
pub fn end_session(conn: &mut DbConn, session_id: &str) -> QueryResult<usize> {
    refresh_tokens::revoke_session(conn, session_id, crate::domain::time::UnixTime::now())
}
