//! Revocations held in memory by every node: access tokens by `jti`, and subjects (a deleted or disabled user, a
//! deleted client or tenant) whose earlier tokens and sessions are refused. A revocation is refused at once on the
//! node that made it, and on every other node after its next sync (every `credential_cache_seconds`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::RwLock;

use crate::db::revoked_subjects::{self, RevokedSubjectRow};
use crate::db::revoked_tokens::{self, RevokedTokenRow};
use crate::db::{Db, DbError};
use crate::domain::time::UnixTime;

/// A sync re-reads revocations this many seconds before its last one, so clock skew between nodes loses none.
const SYNC_OVERLAP_SECONDS: i64 = 5;

/// The revoked, not yet expired tokens and subjects of the whole deployment, as of the last sync.
#[derive(Default)]
pub struct Revocations {
    /// `jti` → when the token expires.
    tokens: RwLock<HashMap<String, UnixTime>>,
    /// Subject id → (revoked at, forgotten after).
    subjects: RwLock<HashMap<String, (UnixTime, UnixTime)>>,
    synced_at: AtomicI64,
}

impl Revocations {
    /// Whether the token with this `jti` was revoked.
    pub fn contains(&self, jti: &str) -> bool {
        self.tokens
            .read()
            .map(|set| set.contains_key(jti))
            .unwrap_or(true)
    }

    /// Whether a token or session issued at `issued_at` to any of `subjects` (its user, client, tenant) is refused:
    /// one of them was revoked at or after that second.
    pub fn refuses<'a>(
        &self,
        subjects: impl IntoIterator<Item = &'a str>,
        issued_at: UnixTime,
    ) -> bool {
        let Ok(revoked) = self.subjects.read() else {
            return true;
        };
        if revoked.is_empty() {
            return false;
        }
        subjects
            .into_iter()
            .any(|id| revoked.get(id).is_some_and(|(at, _)| *at >= issued_at))
    }

    /// Waits, at most a second, until no token issued now to `subjects` would be refused: revocations are kept to
    /// the second, so a token issued in the very second its user was revoked (a sign-in right after a password
    /// change) would be refused with the ones it replaces.
    pub async fn wait_until_clear_of<'a>(&self, subjects: impl IntoIterator<Item = &'a str>) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        if self.refuses(subjects, UnixTime::from_seconds(now.as_secs() as i64)) {
            let into_next_second =
                std::time::Duration::from_nanos(1_000_000_000 - u64::from(now.subsec_nanos()));
            actix_web::rt::time::sleep(into_next_second + std::time::Duration::from_millis(5))
                .await;
        }
    }

    /// Stores a token revocation and applies it to this node at once.
    pub async fn revoke_token(&self, db: &Db, row: RevokedTokenRow) -> Result<(), DbError> {
        let (jti, expires_at) = (row.jti.clone(), row.expires_at);
        db.write(move |conn| revoked_tokens::insert(conn, &row))
            .await?;
        self.remember_tokens([(jti, expires_at)]);
        Ok(())
    }

    /// Applies subject revocations already stored (by the service layer's transaction) to this node.
    pub fn remember_subjects(&self, rows: impl IntoIterator<Item = RevokedSubjectRow>) {
        if let Ok(mut set) = self.subjects.write() {
            for row in rows {
                let entry = set
                    .entry(row.subject_id)
                    .or_insert((row.revoked_at, row.expires_at));
                *entry = (entry.0.max(row.revoked_at), entry.1.max(row.expires_at));
            }
        }
    }

    /// Reads revocations made by any node since the last sync, and forgets expired ones.
    pub async fn sync(&self, db: &Db) -> Result<(), DbError> {
        let now = UnixTime::now();
        let since =
            UnixTime::from_seconds(self.synced_at.load(Ordering::Relaxed)) - SYNC_OVERLAP_SECONDS;
        let (tokens, subjects) = db
            .run(move |conn| {
                Ok((
                    revoked_tokens::find_since(conn, since, now)?,
                    revoked_subjects::find_since(conn, since, now)?,
                ))
            })
            .await?;
        self.remember_tokens(tokens.into_iter().map(|r| (r.jti, r.expires_at)));
        self.remember_subjects(subjects);
        if let Ok(mut set) = self.tokens.write() {
            set.retain(|_, expires_at| *expires_at > now);
        }
        if let Ok(mut set) = self.subjects.write() {
            set.retain(|_, (_, expires_at)| *expires_at > now);
        }
        self.synced_at.store(now.seconds(), Ordering::Relaxed);
        Ok(())
    }

    fn remember_tokens(&self, entries: impl IntoIterator<Item = (String, UnixTime)>) {
        if let Ok(mut set) = self.tokens.write() {
            set.extend(entries);
        }
    }
}
