//! The `revoked_subjects` table: users, clients and tenants whose earlier tokens and sessions are refused.

use diesel::prelude::*;

use super::schema::revoked_subjects;
use super::DbConn;
use crate::domain::time::UnixTime;

/// Tokens and sessions of `subject_id` issued at or before `revoked_at` are refused until `expires_at`, when the
/// last of them has expired anyway.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = revoked_subjects)]
pub struct RevokedSubjectRow {
    pub subject_id: String,
    pub revoked_at: UnixTime,
    pub expires_at: UnixTime,
}

/// Records a revocation, moving a subject's earlier one forward.
pub fn upsert(conn: &mut DbConn, row: &RevokedSubjectRow) -> QueryResult<()> {
    let changes = (
        revoked_subjects::revoked_at.eq(row.revoked_at),
        revoked_subjects::expires_at.eq(row.expires_at),
    );
    // The one upsert of the code base: the enum connection has none, each backend has the same one.
    let insert = diesel::insert_into(revoked_subjects::table).values(row);
    let upsert = insert
        .on_conflict(revoked_subjects::subject_id)
        .do_update()
        .set(changes);
    match conn {
        DbConn::Sqlite(sqlite) => upsert.execute(sqlite).map(drop),
        DbConn::Postgres(pg) => upsert.execute(pg).map(drop),
    }
}

/// Revocations made at or after `since` that still cover live tokens at `now`: what a node syncs.
pub fn find_since(
    conn: &mut DbConn,
    since: UnixTime,
    now: UnixTime,
) -> QueryResult<Vec<RevokedSubjectRow>> {
    revoked_subjects::table
        .filter(revoked_subjects::revoked_at.ge(since))
        .filter(revoked_subjects::expires_at.gt(now))
        .select(RevokedSubjectRow::as_select())
        .load(conn)
}

/// Forgets revocations that no live token needs any more.
pub fn delete_expired(conn: &mut DbConn, now: UnixTime) -> QueryResult<usize> {
    diesel::delete(revoked_subjects::table.filter(revoked_subjects::expires_at.lt(now)))
        .execute(conn)
}
