//! The `used_assertions` table: the `jti`s of client assertions, trusted issuers' tokens and DPoP proofs seen, so
//! that each is accepted once across all nodes.

use std::collections::HashSet;

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};

use super::schema::used_assertions;
use super::DbConn;
use crate::domain::time::UnixTime;

/// A `jti` to record: under whose name (a client, an issuer, a DPoP key) and until when it could be replayed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NewUse {
    pub namespace: String,
    pub jti: String,
    pub expires_at: UnixTime,
}

/// Records `uses` (no two alike) in one transaction; answers, in order, whether each was new (false: a replay).
///
/// On PostgreSQL the commit does not wait for the WAL to reach the disk (`synchronous_commit = off` for this
/// statement's transaction alone): the unique index still decides at once on every node, and all a crash can lose
/// is the last fraction of a second of records, whose proofs and assertions would be replayable only until their
/// short `exp`. The setting and the rows are one statement, so one round trip for the whole group.
pub fn insert_new(conn: &mut DbConn, uses: &[NewUse]) -> QueryResult<Vec<bool>> {
    let inserted: HashSet<(String, String)> = match conn {
        DbConn::Postgres(pg) => {
            #[derive(QueryableByName)]
            struct Inserted {
                #[diesel(sql_type = Text)]
                client_id: String,
                #[diesel(sql_type = Text)]
                jti: String,
            }
            let column = |f: fn(&NewUse) -> String| uses.iter().map(f).collect::<Vec<_>>();
            let expiries: Vec<i64> = uses.iter().map(|u| u.expires_at.seconds()).collect();
            diesel::sql_query(
                "WITH unsynced AS (SELECT set_config('synchronous_commit', 'off', true)) \
                 INSERT INTO used_assertions (client_id, jti, expires_at) \
                 SELECT n, j, e FROM unsynced, unnest($1::text[], $2::text[], $3::bigint[]) AS u(n, j, e) \
                 ON CONFLICT DO NOTHING RETURNING client_id, jti",
            )
            .bind::<Array<Text>, _>(column(|u| u.namespace.clone()))
            .bind::<Array<Text>, _>(column(|u| u.jti.clone()))
            .bind::<Array<BigInt>, _>(expiries)
            .load::<Inserted>(pg)?
            .into_iter()
            .map(|row| (row.client_id, row.jti))
            .collect()
        }
        DbConn::Sqlite(sqlite) => sqlite.immediate_transaction(|sqlite| {
            let mut inserted = HashSet::new();
            for new in uses {
                let row = (
                    used_assertions::client_id.eq(&new.namespace),
                    used_assertions::jti.eq(&new.jti),
                    used_assertions::expires_at.eq(new.expires_at),
                );
                if diesel::insert_or_ignore_into(used_assertions::table)
                    .values(row)
                    .execute(sqlite)?
                    == 1
                {
                    inserted.insert((new.namespace.clone(), new.jti.clone()));
                }
            }
            Ok::<_, diesel::result::Error>(inserted)
        })?,
    };
    Ok(uses
        .iter()
        .map(|u| inserted.contains(&(u.namespace.clone(), u.jti.clone())))
        .collect())
}

/// Forgets assertions that expired before `now`: they can no longer be replayed anyway.
pub fn delete_expired(conn: &mut DbConn, now: UnixTime) -> QueryResult<usize> {
    diesel::delete(used_assertions::table.filter(used_assertions::expires_at.lt(now))).execute(conn)
}
