//! `last_used_at` of access keys, kept off the hot path: uses are noted in memory and written in one batch.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::db::{access_keys, Db};
use crate::domain::time::UnixTime;

/// Access keys used since the last flush, with the time of their latest use.
#[derive(Clone, Default)]
pub struct KeyUsage {
    used: Arc<Mutex<HashMap<String, UnixTime>>>,
}

impl KeyUsage {
    /// Notes that `key_id` was used now.
    pub fn touch(&self, key_id: &str) {
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        used.insert(key_id.to_string(), UnixTime::now());
    }

    /// Writes the noted uses in one transaction.
    pub async fn flush(&self, db: &Db) {
        let batch = std::mem::take(&mut *self.used.lock().unwrap_or_else(|p| p.into_inner()));
        if batch.is_empty() {
            return;
        }
        let uses: Vec<(String, UnixTime)> = batch.into_iter().collect();
        if let Err(error) = db
            .write(move |conn| access_keys::update_last_used(conn, &uses))
            .await
        {
            tracing::warn!(error = %error, "writing last_used_at failed");
        }
    }
}
