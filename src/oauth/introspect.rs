//! `POST /oauth/introspect` (RFC 7662): an authenticated client asks whether a token is active.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::client_auth;
use super::error::OAuthError;
use super::refresh_grant;
use crate::credentials::access_token;
use crate::credentials::client::{AuthMethod, AuthenticatedClient};
use crate::domain::secret_key::REFRESH_TOKEN;
use crate::domain::unix_now;
use crate::form::OAuthForm;
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
    if caller.method == AuthMethod::None {
        return Err(OAuthError::invalid_client(
            "public clients may not introspect tokens",
            true,
        ));
    }
    let token = form.require("token")?;
    let body = if token.starts_with(REFRESH_TOKEN.prefix) {
        refresh_token(&state, &caller, token).await?
    } else {
        access_token(&state, &caller, token)
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body))
}

fn access_token(state: &AppState, caller: &AuthenticatedClient, token: &str) -> Value {
    let claims = access_token::verify(state, token)
        .ok()
        // A tenant's client sees its own tenant's tokens; a global client sees every token.
        .filter(|c| caller.client.tenant_id.is_none() || c.tid == caller.client.tenant_id);
    match claims {
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
    }
}

/// RFC 7662 §2.1 covers refresh tokens: only the client they were issued to sees one, and only while it can still
/// be exchanged.
async fn refresh_token(
    state: &AppState,
    caller: &AuthenticatedClient,
    token: &str,
) -> Result<Value, OAuthError> {
    let found = refresh_grant::find_presented(state, token).await?;
    let now = unix_now();
    Ok(match found {
        Some((row, user))
            if row.client_id == caller.client.id && row.is_usable(now) && !user.disabled =>
        {
            json!({
                "active": true,
                "scope": row.scope,
                "client_id": row.client_id,
                "sub": row.user_id,
                "iss": state.config.issuer(),
                "exp": row.expires_at.min(row.idle_expires_at),
                "iat": row.created_at,
                "tid": user.tenant_id,
                "token_type": "refresh_token",
            })
        }
        _ => json!({"active": false}),
    })
}
