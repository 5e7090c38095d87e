//! `/console/audit`: the audit log in reach, newest first, filtered by actor, action, object and time, paged, each
//! event linked to its object.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{day_start, page, render, Admin, Nav};
use crate::db::audit_events::{self, AuditEventRow, AuditFilter};
use crate::pages::extract::PageError;
use crate::state::AppState;

/// Events per page.
const PAGE_SIZE: i64 = 50;

/// The filters as typed (`since`/`until` are dates), and `before`: the last event of the previous page.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    before: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage<'a> {
    nav: Nav,
    events: &'a [AuditEventRow],
    query: &'a AuditQuery,
    next: Option<String>,
}

/// Where the console shows an event's object, if it shows it.
pub fn link_of(event: &AuditEventRow) -> Option<String> {
    let target = event.target.as_deref()?;
    let (kind, _) = target.split_once('_')?;
    match kind {
        "sc" => Some(format!("/console/clients/{target}")),
        "acc" => event
            .client_id
            .as_ref()
            .map(|c| format!("/console/clients/{c}")),
        "rec" => Some(format!("/console/records/{target}")),
        "rol" => Some("/console/roles".into()),
        "ten" => Some(format!("/console/tenants/{target}/users")),
        "usr" => event
            .tenant_id
            .as_ref()
            .map(|t| format!("/console/tenants/{t}/users")),
        _ => None,
    }
}

/// `GET /console/audit`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let typed = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
    let filter = AuditFilter {
        tenant_id: admin.actor.tenant_filter(None)?,
        client_id: None,
        action: typed(&query.action),
        actor: typed(&query.actor),
        target: typed(&query.target),
        since: day_start(&query.since),
        // Until a day: to the end of it.
        until: day_start(&query.until).map(|start| start + 24 * 3600),
    };
    // Events still queued in memory belong in the answer: write them first.
    state.audit.flush(&state.db).await?;
    let before = typed(&query.before);
    let mut events = state
        .db
        .run(move |conn| audit_events::list(conn, &filter, before.as_deref(), PAGE_SIZE + 1))
        .await?;
    let more = events.len() as i64 > PAGE_SIZE;
    events.truncate(PAGE_SIZE as usize);
    let next = match (more, events.last()) {
        (true, Some(last)) => {
            let filters = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("actor", &query.actor)
                .append_pair("action", &query.action)
                .append_pair("target", &query.target)
                .append_pair("since", &query.since)
                .append_pair("until", &query.until)
                .append_pair("before", &last.id)
                .finish();
            Some(format!("/console/audit?{filters}"))
        }
        _ => None,
    };
    Ok(page(&req, &state, &admin, StatusCode::OK, |nav| {
        render(AuditPage {
            nav,
            events: &events,
            query: &query,
            next,
        })
    }))
}
