//! The `used_assertions` table: client assertion `jti`s seen, so that each is accepted once across all nodes.

use diesel::prelude::*;

use super::schema::used_assertions;
use super::{is_unique_violation, DbConn};
use crate::domain::time::UnixTime;

/// Records a `jti` for `client_id`; returns false when it was already used (a replay).
pub fn insert_once(
    conn: &mut DbConn,
    client_id: &str,
    jti: &str,
    expires_at: UnixTime,
) -> QueryResult<bool> {
    let row = (
        used_assertions::client_id.eq(client_id),
        used_assertions::jti.eq(jti),
        used_assertions::expires_at.eq(expires_at),
    );
    match diesel::insert_into(used_assertions::table)
        .values(row)
        .execute(conn)
    {
        Ok(_) => Ok(true),
        Err(error) if is_unique_violation(&error) => Ok(false),
        Err(error) => Err(error),
    }
}

/// Forgets assertions that expired before `now`: they can no longer be replayed anyway.
pub fn delete_expired(conn: &mut DbConn, now: UnixTime) -> QueryResult<usize> {
    diesel::delete(used_assertions::table.filter(used_assertions::expires_at.lt(now))).execute(conn)
}
