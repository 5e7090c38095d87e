//! `GET /v1/audit`: audit events, newest first, filterable by tenant, client, action, actor, object and time.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::Principal;
use super::{Page, PageQuery};
use crate::db::audit_events::{self, AuditEventRow, AuditFilter};
use crate::domain::time::UnixTime;
use crate::error::ApiError;
use crate::state::AppState;

/// `?tenant_id=&client_id=&action=` filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    /// e.g. `client.created`, `key.created`, `key.revoked`, `client.deleted`, `auth.failed`, `token.revoked`.
    pub action: Option<String>,
    /// Who acted: `cli`, a client id or a user id.
    pub actor: Option<String>,
    /// The object acted on (a client, key, user, … id).
    pub target: Option<String>,
    /// Events at or after this moment (seconds since the epoch).
    #[param(value_type = Option<i64>)]
    pub since: Option<UnixTime>,
    /// Events before this moment (seconds since the epoch).
    #[param(value_type = Option<i64>)]
    pub until: Option<UnixTime>,
}

#[utoipa::path(operation_id = "list_audit_events", get, path = "/v1/audit", tag = "audit", params(PageQuery, AuditQuery),
    responses((status = 200, body = Page<AuditEventRow>)), security(("bearer" = []), ("basic" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let filter = AuditFilter {
        tenant_id: principal.tenant_filter(query.tenant_id)?,
        client_id: query.client_id,
        action: query.action,
        actor: query.actor,
        target: query.target,
        since: query.since,
        until: query.until,
    };
    // Events still queued in memory belong in the answer: write them first.
    state.audit.flush(&state.db).await?;
    let (limit, cursor) = (page.limit(), page.cursor.clone());
    let rows = state
        .db
        .run(move |conn| audit_events::list(conn, &filter, cursor.as_deref(), limit + 1))
        .await?;
    Ok(
        HttpResponse::Ok().json(Page::from_rows(rows, limit, |e: &AuditEventRow| {
            e.id.clone()
        })),
    )
}
