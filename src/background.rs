//! The periodic work of a node, off the request path: reloading signing keys, syncing token revocations, writing
//! audit events and key usage in batches, and forgetting expired single-use and revocation records.

use std::time::Duration;

use crate::db::{authorization_codes, revoked_subjects, revoked_tokens, used_assertions};
use crate::domain::unix_now;
use crate::state::AppState;

/// How often queued audit events and key uses are written: the tick of every periodic task.
pub const FLUSH_EVERY: Duration = Duration::from_secs(2);
/// How often expired `jti` and revocation records are deleted.
const PURGE_EVERY_TICKS: u64 = 300;

/// Starts the loop on the current runtime; it runs until the process stops.
pub fn spawn(state: AppState) {
    actix_web::rt::spawn(async move {
        let mut tick: u64 = 0;
        let mut interval = actix_web::rt::time::interval(FLUSH_EVERY);
        loop {
            interval.tick().await;
            tick += 1;
            // A failed write is logged by the flush and retried on the next tick.
            let _ = state.audit.flush(&state.db).await;
            state.usage.flush(&state.db).await;
            if tick % sync_ticks(state.config.credential_cache_seconds) == 0 {
                if let Err(error) = state.revocations.sync(&state.db).await {
                    tracing::warn!(error = %error, "revocation sync failed; keeping what is in memory");
                }
            }
            if tick % sync_ticks(state.config.signing_key_refresh_seconds) == 0 {
                if let Err(error) = state.keyring.reload().await {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "signing key reload failed; keeping the keys in memory"
                    );
                }
            }
            if tick % PURGE_EVERY_TICKS == 0 {
                purge_expired(&state).await;
                state.rate_limits.forget_idle();
            }
        }
    });
}

/// Ticks between two runs of a task due every `seconds`.
fn sync_ticks(seconds: u64) -> u64 {
    (seconds / FLUSH_EVERY.as_secs()).max(1)
}

async fn purge_expired(state: &AppState) {
    let now = unix_now();
    let purged = state
        .db
        .run(move |conn| {
            Ok(used_assertions::delete_expired(conn, now)?
                + revoked_tokens::delete_expired(conn, now)?
                + revoked_subjects::delete_expired(conn, now)?
                + authorization_codes::delete_expired(conn, now)?)
        })
        .await;
    if let Err(error) = purged {
        tracing::warn!(error = %error, "purging expired records failed");
    }
}
