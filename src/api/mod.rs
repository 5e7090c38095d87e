//! The `/v1` management API: JSON in and out, `{error, message}` errors, cursor-paginated lists.

pub mod audit;
pub mod auth;
pub mod authorize;
pub mod clients;
pub mod keys;
pub mod openapi;
pub mod records;
pub mod roles;
pub mod self_service;
pub mod signing_keys;
pub mod tenants;
pub mod users;
pub mod verify;

use actix_web::web;
use serde::{Deserialize, Serialize};

/// Routes of `/v1` and `/openapi.json`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .configure(crate::error::extractor_configs)
            // The hot paths first: actix tries routes in order, and each dynamic one costs a regex match.
            .configure(verify::configure)
            .configure(authorize::configure)
            .configure(tenants::configure)
            .configure(users::configure)
            .configure(clients::configure)
            .configure(keys::configure)
            .configure(audit::configure)
            .configure(roles::configure)
            .configure(records::configure)
            .configure(self_service::configure)
            .configure(signing_keys::configure)
            .default_service(web::to(unknown_endpoint)),
    )
    .route("/openapi.json", web::get().to(openapi::document));
}

async fn unknown_endpoint() -> Result<actix_web::HttpResponse, crate::error::ApiError> {
    Err(crate::error::ApiError::not_found("endpoint"))
}

/// `?limit=&cursor=` of every list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// At most this many items (1–200, default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page size, bounded.
    pub fn limit(&self) -> i64 {
        i64::from(self.limit.unwrap_or(50).clamp(1, 200))
    }
}

/// One page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page of a small, bounded collection read whole (a client's keys, the signing keys, a user's own clients):
    /// ordered by id, the same `limit`/`cursor` shape as the lists paged in the database.
    pub fn of_all(mut items: Vec<T>, page: &PageQuery, id_of: impl Fn(&T) -> &str) -> Page<T> {
        items.sort_by(|a, b| id_of(a).cmp(id_of(b)));
        if let Some(cursor) = &page.cursor {
            items.retain(|item| id_of(item) > cursor.as_str());
        }
        let limit = page.limit();
        Page::from_rows(items, limit, |item| id_of(item).to_string())
    }

    /// A page from up to `limit + 1` fetched rows: the extra row only says that more follow.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> String) -> Page<T> {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(cursor_of)
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}
