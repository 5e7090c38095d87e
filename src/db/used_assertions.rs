//! The `used_assertions` table: the `jti`s of client assertions, trusted issuers' tokens and DPoP proofs seen, so
//! that each is accepted once across all nodes.

use diesel::prelude::*;

use super::schema::used_assertions;
use super::{is_unique_violation, DbConn};
use crate::domain::time::UnixTime;

/// Records a `jti` for `client_id`; returns false when it was already used (a replay).
///
/// On PostgreSQL the commit does not wait for the WAL to reach the disk (`synchronous_commit = off` for this
/// transaction alone): the unique index still decides at once on every node, and all a crash can lose is the
/// last fraction of a second of records, whose proofs and assertions would be replayable only until their short
/// `exp`. Waiting for the flush made each such request pay a disk sync.
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
    let insert = |conn: &mut DbConn| {
        diesel::insert_into(used_assertions::table)
            .values(row)
            .execute(conn)
    };
    let inserted = match conn {
        DbConn::Postgres(_) => conn.transaction(|conn| {
            diesel::sql_query("SET LOCAL synchronous_commit TO OFF").execute(conn)?;
            insert(conn)
        }),
        DbConn::Sqlite(_) => insert(conn),
    };
    match inserted {
        Ok(_) => Ok(true),
        Err(error) if is_unique_violation(&error) => Ok(false),
        Err(error) => Err(error),
    }
}

/// Forgets assertions that expired before `now`: they can no longer be replayed anyway.
pub fn delete_expired(conn: &mut DbConn, now: UnixTime) -> QueryResult<usize> {
    diesel::delete(used_assertions::table.filter(used_assertions::expires_at.lt(now))).execute(conn)
}
