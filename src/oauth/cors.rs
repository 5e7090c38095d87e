//! CORS for the endpoints a browser app calls (docs/contract.md, "Client authentication and the protocol edge"): the JWKS is public; the token and revocation endpoints
//! answer the origins that some client registered (`allowed_origins`), and the token endpoint additionally refuses a
//! public client called from an origin it did not register.

use std::collections::HashSet;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};

use crate::db::service_clients;
use crate::state::AppState;

async fn registered_origins(state: &AppState) -> Arc<HashSet<String>> {
    if let Some(origins) = state.origins.get(&()) {
        return origins;
    }
    let loaded = state.db.run(service_clients::all_allowed_origins).await;
    let origins = Arc::new(
        loaded
            .unwrap_or_default()
            .into_iter()
            .collect::<HashSet<_>>(),
    );
    state.origins.insert((), origins.clone());
    origins
}

fn origin_of(req: &ServiceRequest) -> Option<String> {
    req.headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(String::from)
}

/// Adds `Access-Control-Allow-Origin` for registered origins, and answers preflight requests.
pub async fn allow_registered_origins(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(origin) = origin_of(&req) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let allowed = match req.app_data::<web::Data<AppState>>() {
        Some(state) => registered_origins(state).await.contains(&origin),
        None => false,
    };
    if req.method() == actix_web::http::Method::OPTIONS {
        let mut preflight = HttpResponse::NoContent();
        if allowed {
            preflight
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST"))
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    // RFC 9449 §4.1: a browser client sends its proof in the DPoP header.
                    "content-type, authorization, dpop",
                ))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"));
        }
        let mut response = req.into_response(preflight.finish());
        decorate(&mut response, &origin, allowed);
        return Ok(response.map_into_right_body());
    }
    let mut response = next.call(req).await?;
    decorate(&mut response, &origin, allowed);
    Ok(response.map_into_left_body())
}

fn decorate<B>(response: &mut ServiceResponse<B>, origin: &str, allowed: bool) {
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    if let (true, Ok(value)) = (allowed, HeaderValue::from_str(origin)) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
}

/// CORS for endpoints any web page may call, such as dynamic client registration (RFC 7591): they read no cookie
/// and trust nothing of the page's origin, so every origin is answered (`*`), and their preflight too.
pub async fn allow_any_origin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if origin_of(&req).is_none() {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    if req.method() == actix_web::http::Method::OPTIONS {
        let preflight = HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_METHODS,
                "GET, POST, PUT, DELETE",
            ))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "content-type, authorization",
            ))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
            .finish();
        return Ok(req.into_response(preflight).map_into_right_body());
    }
    let mut response = next.call(req).await?;
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(response.map_into_left_body())
}
