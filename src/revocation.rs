//! Revoked access tokens, by `jti`, held in memory by every node: a revocation is refused at once on the node
//! that made it, and on every other node after its next sync (every `credential_cache_seconds`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::RwLock;

use crate::db::revoked_tokens::{self, RevokedTokenRow};
use crate::db::{Db, DbError};
use crate::domain::unix_now;

/// A sync re-reads revocations this many seconds before its last one, so clock skew between nodes loses none.
const SYNC_OVERLAP_SECONDS: i64 = 5;

/// The revoked, not yet expired tokens of the whole deployment, as of the last sync.
#[derive(Default)]
pub struct RevokedTokens {
    expiry_by_jti: RwLock<HashMap<String, i64>>,
    synced_at: AtomicI64,
}

impl RevokedTokens {
    /// Whether the token with this `jti` was revoked.
    pub fn contains(&self, jti: &str) -> bool {
        self.expiry_by_jti
            .read()
            .map(|set| set.contains_key(jti))
            .unwrap_or(true)
    }

    /// Stores a revocation and applies it to this node at once.
    pub async fn revoke(&self, db: &Db, row: RevokedTokenRow) -> Result<(), DbError> {
        let (jti, expires_at) = (row.jti.clone(), row.expires_at);
        db.run(move |conn| revoked_tokens::insert(conn, &row))
            .await?;
        self.remember([(jti, expires_at)]);
        Ok(())
    }

    /// Reads revocations made by any node since the last sync, and forgets expired ones.
    pub async fn sync(&self, db: &Db) -> Result<(), DbError> {
        let now = unix_now();
        let since = self.synced_at.load(Ordering::Relaxed) - SYNC_OVERLAP_SECONDS;
        let rows = db
            .run(move |conn| revoked_tokens::find_since(conn, since, now))
            .await?;
        self.remember(rows.into_iter().map(|r| (r.jti, r.expires_at)));
        if let Ok(mut set) = self.expiry_by_jti.write() {
            set.retain(|_, expires_at| *expires_at > now);
        }
        self.synced_at.store(now, Ordering::Relaxed);
        Ok(())
    }

    fn remember(&self, entries: impl IntoIterator<Item = (String, i64)>) {
        if let Ok(mut set) = self.expiry_by_jti.write() {
            set.extend(entries);
        }
    }
}
