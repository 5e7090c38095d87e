//! Single-use identifiers (the `jti`s of client assertions, trusted issuers' tokens and DPoP proofs) are spent in
//! the database, so that each is accepted once on every node. Requests that arrive together spend theirs together,
//! in one statement (`group_commit`).

use std::collections::HashSet;

use diesel::QueryResult;

use crate::db::used_assertions::{self, NewUse};
use crate::db::DbConn;
use crate::group_commit::GroupCommit;

/// The queue of identifiers waiting to be spent: `submit` answers false for one already spent (a replay).
pub type Replays = GroupCommit<NewUse, bool>;

pub fn replays() -> Replays {
    GroupCommit::new("keygate-replays", spend)
}

/// Records `uses`; false for each already spent, and for the second of two alike in one group (a replay of the first).
fn spend(conn: &mut DbConn, uses: &[NewUse]) -> QueryResult<Vec<bool>> {
    let mut seen = HashSet::new();
    let first: Vec<bool> = uses
        .iter()
        .map(|new| seen.insert((&new.namespace, &new.jti)))
        .collect();
    let unique: Vec<NewUse> = uses
        .iter()
        .zip(&first)
        .filter(|(_, first)| **first)
        .map(|(new, _)| new.clone())
        .collect();
    let mut fresh = used_assertions::insert_new(conn, &unique)?.into_iter();
    Ok(first
        .into_iter()
        .map(|first| first && fresh.next().unwrap_or(false))
        .collect())
}
