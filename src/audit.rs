//! The audit log. Changes are audited inside their own transaction by the service layer (`record_now`); what
//! happens on the hot paths (failed authentications, token revocations, replays) is queued without waiting and
//! written in batches by a background task, so a flood of failures costs one insert per batch, not one per request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::db::audit_events::{self, AuditEventRow};
use crate::db::column::Json;
use crate::db::{Db, DbConn, DbError};
use crate::domain::ids::random_base62;
use crate::domain::time::UnixTime;

/// The most events kept waiting for a write; past it new events are dropped (and counted in the log).
const MAX_PENDING: usize = 10_000;

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// One thing that happened. `detail` must never hold a secret.
#[derive(Debug, Default, Clone)]
pub struct AuditEvent {
    pub action: &'static str,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub detail: Option<Value>,
    pub source_ip: Option<String>,
}

impl AuditEvent {
    pub fn new(action: &'static str) -> AuditEvent {
        AuditEvent {
            action,
            ..AuditEvent::default()
        }
    }

    fn into_row(self) -> AuditEventRow {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        // Millisecond time, then this process's sequence number: ids sort in the order events happened on a node
        // and serve as the listing cursor; the random tail keeps nodes' ids apart.
        let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed) % 1_000_000;
        AuditEventRow {
            id: format!("evt_{now_ms:013}{sequence:06}{}", random_base62(6)),
            tenant_id: self.tenant_id,
            client_id: self.client_id,
            actor: self.actor,
            action: self.action.to_string(),
            target: self.target,
            detail: Json(
                self.detail
                    .unwrap_or_else(|| Value::Object(Default::default())),
            ),
            source_ip: self.source_ip,
            created_at: UnixTime::now(),
        }
    }
}

/// The queue of events waiting to be written.
#[derive(Clone, Default)]
pub struct AuditLog {
    pending: Arc<Mutex<Vec<AuditEventRow>>>,
    /// Held while a batch is written, so that a flush returns only once everything queued before it is stored
    /// (the audit listing flushes first and must see every earlier event).
    writing: Arc<tokio::sync::Mutex<()>>,
}

impl AuditLog {
    /// Queues an event; never blocks on the database.
    pub fn record(&self, event: AuditEvent) {
        let row = event.into_row();
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if pending.len() < MAX_PENDING {
            pending.push(row);
        } else {
            tracing::warn!(action = row.action, "audit queue full; event dropped");
        }
    }

    /// Writes everything queued so far in one transaction; on failure the events are queued again and the error
    /// returned, so that a reader who flushed first never takes an incomplete log for the whole one.
    pub async fn flush(&self, db: &Db) -> Result<(), DbError> {
        let _writing = self.writing.lock().await;
        let batch = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        if batch.is_empty() {
            return Ok(());
        }
        let rows = batch.clone();
        let written = db
            .write(move |conn| audit_events::insert_batch(conn, &rows))
            .await;
        if let Err(error) = &written {
            tracing::warn!(error = %error, events = batch.len(), "audit write failed; will retry");
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            let room = MAX_PENDING.saturating_sub(pending.len());
            pending.extend(batch.into_iter().take(room));
        }
        written
    }
}

/// Writes one event at once, for the CLI.
pub fn record_now(conn: &mut DbConn, event: AuditEvent) -> diesel::QueryResult<()> {
    audit_events::insert_batch(conn, &[event.into_row()])
}
