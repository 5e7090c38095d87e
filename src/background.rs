//! The periodic work of a node, off the request path: reloading signing keys, syncing token revocations, writing
//! audit events and key usage in batches, and forgetting expired single-use and revocation records.

use crate::db::{authorization_codes, revoked_subjects, revoked_tokens, used_assertions};
use crate::domain::time::UnixTime;
use crate::state::AppState;

/// How often expired `jti` and revocation records are deleted, in seconds.
const PURGE_EVERY: u64 = 600;

/// Starts the loop on the current runtime; it runs until the process stops.
pub fn spawn(state: AppState) {
    actix_web::rt::spawn(async move {
        let mut tick: u64 = 0;
        // Queued audit events and key uses are written every tick (`background_tick_ms`).
        let config = state.config.clone();
        let mut interval = actix_web::rt::time::interval(config.background_tick());
        loop {
            interval.tick().await;
            tick += 1;
            // A failed write is logged by the flush and retried on the next tick.
            let _ = state.audit.flush(&state.db).await;
            state.usage.flush(&state.db).await;
            state.activity.flush(&state.db).await;
            if tick % config.ticks_per(config.credential_cache_seconds) == 0 {
                if let Err(error) = state.revocations.sync(&state.db).await {
                    tracing::warn!(error = %error, "revocation sync failed; keeping what is in memory");
                }
            }
            if tick % config.ticks_per(config.signing_key_refresh_seconds) == 0 {
                if let Err(error) = state.keyring.reload().await {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "signing key reload failed; keeping the keys in memory"
                    );
                }
            }
            if tick % config.ticks_per(PURGE_EVERY) == 0 {
                purge_expired(&state).await;
                state.rate_limits.forget_idle();
            }
        }
    });
}

async fn purge_expired(state: &AppState) {
    let now = UnixTime::now();
    let purged = state
        .db
        .write(move |conn| {
            Ok(used_assertions::delete_expired(conn, now)?
                + revoked_tokens::delete_expired(conn, now)?
                + revoked_subjects::delete_expired(conn, now)?
                + authorization_codes::delete_expired(conn, now)?
                + crate::activity::purge(conn)?)
        })
        .await;
    if let Err(error) = purged {
        tracing::warn!(error = %error, "purging expired records failed");
    }
}
