//! `POST /oauth/introspect` (RFC 7662): an authenticated client asks whether a token is active.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::access_token;
use super::client_auth;
use super::error::OAuthError;
use super::form::OAuthForm;
use crate::state::AppState;

/// Answers `{"active": false}` for anything the caller may not see, so introspection is no existence oracle.
#[utoipa::path(post, path = "/oauth/introspect", tag = "oauth",
    request_body(content = super::schema::TokenParameter, content_type = "application/x-www-form-urlencoded"),
    security(("basic" = [])),
    responses(
        (status = 200, body = super::schema::IntrospectionAnswer),
        (status = 400, body = super::schema::OAuthErrorAnswer), (status = 401, body = super::schema::OAuthErrorAnswer),
        (status = 413, body = super::schema::OAuthErrorAnswer),
        (status = 429, body = super::schema::OAuthErrorAnswer), (status = 503, body = super::schema::OAuthErrorAnswer),
    ))]
pub async fn introspect(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let form = OAuthForm::read(&req, payload).await?;
    let caller = client_auth::authenticate(&state, &req, &form, "/oauth/introspect").await?;
    if caller.method == client_auth::AuthMethod::None {
        return Err(OAuthError::invalid_client(
            "public clients may not introspect tokens",
            true,
        ));
    }
    let token = form.require("token")?;
    let claims = access_token::verify(&state, token)
        .ok()
        // A tenant's client sees its own tenant's tokens; a global client sees every token.
        .filter(|c| caller.client.tenant_id.is_none() || c.tid == caller.client.tenant_id);
    let body = match claims {
        Some(c) => json!({
            "active": true,
            "scope": c.scope,
            "client_id": c.client_id,
            "sub": c.sub,
            "aud": c.aud,
            "iss": c.iss,
            "exp": c.exp,
            "iat": c.iat,
            "jti": c.jti,
            "tid": c.tid,
            "gty": c.gty,
            "token_type": "Bearer",
        }),
        None => json!({"active": false}),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body))
}
