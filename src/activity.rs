//! Tokens issued and failed authentications per tenant and hour, for the console's overview chart. Counted in
//! memory on the request path and added to `activity_hours` in one batch by the background flush, like key usage.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::db::activity_hours::{ActivityRow, HourCount};
use crate::db::{activity_hours, service_clients, Db, DbConn};
use crate::domain::time::UnixTime;

/// The event of a failed authentication (a token's event is its grant type).
pub const AUTHENTICATION_FAILED: &str = "authentication_failed";

/// The most distinct client ids a failure may be noted under between flushes: ids are claimed by whoever calls, so
/// beyond this failures are counted without a tenant rather than growing the map.
const MAX_CLAIMED_CLIENTS: usize = 10_000;

/// Whose an event is: a tenant's (`None`: a global client or an operator), or, for a failed client authentication,
/// the client id it claimed, whose tenant the flush looks up.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
enum Owner {
    Tenant(Option<String>),
    ClaimedClient(String),
}

/// Counts since the last flush, by (owner, hour, event).
#[derive(Clone, Default)]
pub struct Activity {
    counts: Arc<Mutex<Counts>>,
}

#[derive(Default)]
struct Counts {
    by_owner: HashMap<(Owner, i64, &'static str), i64>,
    claimed_clients: usize,
}

fn hour_now() -> i64 {
    UnixTime::now().seconds() / 3600
}

impl Activity {
    /// Notes an access token issued by `grant_type` to a client of `tenant_id`.
    pub fn token_issued(&self, tenant_id: Option<&str>, grant_type: &'static str) {
        self.note(Owner::Tenant(tenant_id.map(String::from)), grant_type);
    }

    /// Notes a refused user sign-in in `tenant_id` (`None`: an operator's).
    pub fn sign_in_failed(&self, tenant_id: Option<&str>) {
        self.note(
            Owner::Tenant(tenant_id.map(String::from)),
            AUTHENTICATION_FAILED,
        );
    }

    /// Notes a refused client authentication, under the client id it claimed, if any.
    pub fn client_authentication_failed(&self, claimed_id: Option<&str>) {
        let owner = match claimed_id {
            Some(id) => Owner::ClaimedClient(id.to_string()),
            None => Owner::Tenant(None),
        };
        self.note(owner, AUTHENTICATION_FAILED);
    }

    fn note(&self, owner: Owner, event: &'static str) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let mut key = (owner, hour_now(), event);
        if matches!(key.0, Owner::ClaimedClient(_)) && !counts.by_owner.contains_key(&key) {
            if counts.claimed_clients >= MAX_CLAIMED_CLIENTS {
                key.0 = Owner::Tenant(None);
            } else {
                counts.claimed_clients += 1;
            }
        }
        *counts.by_owner.entry(key).or_default() += 1;
    }

    /// Adds the counts to the database: claimed client ids are resolved to their tenants in one read (an id no
    /// client has counts without a tenant). Counts that could not be written are kept for the next flush.
    pub async fn flush(&self, db: &Db) {
        let batch = std::mem::take(&mut *self.counts.lock().unwrap_or_else(|p| p.into_inner()));
        if batch.by_owner.is_empty() {
            return;
        }
        // Shared with the write, not copied: the batch is read back only if the write fails.
        let batch = Arc::new(batch.by_owner);
        let written = {
            let batch = Arc::clone(&batch);
            db.write(move |conn| write(conn, &batch)).await
        };
        if let Err(error) = written {
            tracing::warn!(error = %error, "writing activity counts failed; kept for the next flush");
            let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
            for (key, count) in batch.iter() {
                *counts.by_owner.entry(key.clone()).or_default() += count;
            }
        }
    }
}

fn write(
    conn: &mut DbConn,
    by_owner: &HashMap<(Owner, i64, &'static str), i64>,
) -> diesel::QueryResult<()> {
    let claimed: Vec<String> = by_owner
        .keys()
        .filter_map(|(owner, ..)| match owner {
            Owner::ClaimedClient(id) => Some(id.clone()),
            Owner::Tenant(_) => None,
        })
        .collect();
    let tenant_of: HashMap<String, Option<String>> = if claimed.is_empty() {
        HashMap::new()
    } else {
        service_clients::tenants_of(conn, &claimed)?
            .into_iter()
            .collect()
    };
    let mut rows: HashMap<(String, i64, &'static str), i64> = HashMap::new();
    for ((owner, hour, event), count) in by_owner {
        let tenant = match owner {
            Owner::Tenant(tenant) => tenant.clone(),
            Owner::ClaimedClient(id) => tenant_of.get(id).cloned().flatten(),
        };
        *rows
            .entry((tenant.unwrap_or_default(), *hour, *event))
            .or_default() += count;
    }
    let rows: Vec<ActivityRow> = rows
        .into_iter()
        .map(|((tenant_id, hour, event), count)| ActivityRow {
            tenant_id,
            hour,
            event: event.to_string(),
            count,
        })
        .collect();
    activity_hours::add(conn, &rows)
}

/// Forgets hours older than a week: the console shows the last day.
pub fn purge(conn: &mut DbConn) -> diesel::QueryResult<usize> {
    activity_hours::delete_before(conn, hour_now() - 7 * 24)
}

/// The counts of the last hours, from `first_hour` (unix time / 3600) on.
pub struct LastHours {
    pub first_hour: i64,
    pub counts: Vec<HourCount>,
}

/// The counts per hour and event of the last `hours` hours (this one included), in one tenant or in all.
pub fn last_hours(
    conn: &mut DbConn,
    tenant_id: Option<&str>,
    hours: i64,
) -> diesel::QueryResult<LastHours> {
    let first_hour = hour_now() - (hours - 1);
    let counts = activity_hours::since(conn, tenant_id, first_hour)?;
    Ok(LastHours { first_hour, counts })
}
