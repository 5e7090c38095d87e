//! Operations endpoints: `/healthz` (the process answers), `/readyz` (the database answers), `/metrics`.

use actix_web::http::header::ContentType;
use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.run(|conn| conn.batch_execute("SELECT 1")).await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(error) => {
            tracing::warn!(error = %error, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "reason": "database unreachable"}))
        }
    }
}

/// `GET /metrics`.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let text = state
        .metrics
        .encode(state.db.pool_state(), state.config.database_pool_size);
    match text {
        Ok(text) => HttpResponse::Ok()
            .content_type(ContentType(
                "application/openmetrics-text; version=1.0.0; charset=utf-8"
                    .parse()
                    .expect("a valid media type"),
            ))
            .body(text),
        Err(error) => {
            tracing::error!(error = %error, "cannot encode metrics");
            HttpResponse::InternalServerError().finish()
        }
    }
}
