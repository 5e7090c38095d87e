//! The `audit_events` table: who created, used, revoked or deleted what, and failed authentications.

use diesel::prelude::*;
use serde::Serialize;

use super::column::Json;
use super::schema::audit_events;
use super::DbConn;
use crate::domain::time::UnixTime;

/// An audit event. `detail` is a JSON object and never holds a secret.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = audit_events)]
pub struct AuditEventRow {
    pub id: String,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub actor: Option<String>,
    pub action: String,
    pub target: Option<String>,
    #[schema(value_type = Object)]
    pub detail: Json<serde_json::Value>,
    pub source_ip: Option<String>,
    pub created_at: UnixTime,
}

/// Stores a batch of events in one transaction.
pub fn insert_batch(conn: &mut DbConn, rows: &[AuditEventRow]) -> QueryResult<()> {
    conn.transaction(|conn| {
        for row in rows {
            diesel::insert_into(audit_events::table)
                .values(row)
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Filters of the audit listing.
#[derive(Debug, Default)]
pub struct AuditFilter {
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub action: Option<String>,
    /// Who acted: `cli`, a client id or a user id.
    pub actor: Option<String>,
    /// The object acted on.
    pub target: Option<String>,
    /// Events at or after this moment.
    pub since: Option<UnixTime>,
    /// Events before this moment.
    pub until: Option<UnixTime>,
}

/// Newest first: up to `limit` events with ids below the cursor `before`.
pub fn list(
    conn: &mut DbConn,
    filter: &AuditFilter,
    before: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<AuditEventRow>> {
    let mut query = audit_events::table
        .select(AuditEventRow::as_select())
        .order(audit_events::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(tenant_id) = &filter.tenant_id {
        query = query.filter(audit_events::tenant_id.eq(tenant_id.clone()));
    }
    if let Some(client_id) = &filter.client_id {
        query = query.filter(audit_events::client_id.eq(client_id.clone()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::action.eq(action.clone()));
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_events::actor.eq(actor.clone()));
    }
    if let Some(target) = &filter.target {
        query = query.filter(audit_events::target.eq(target.clone()));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_events::created_at.ge(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_events::created_at.lt(until));
    }
    if let Some(before) = before {
        query = query.filter(audit_events::id.lt(before.to_string()));
    }
    query.load(conn)
}
