//! `POST /oauth/introspect` (RFC 7662): an authenticated client asks whether a token is active.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::client_auth;
use super::error::OAuthError;
use super::refresh_grant;
use crate::credentials::access_token::{self, Audience};
use crate::credentials::client::{AuthMethod, AuthenticatedClient};
use crate::credentials::dpop::{self, Confirmation};
use crate::domain::secret_key::REFRESH_TOKEN;
use crate::domain::time::UnixTime;
use crate::form::OAuthForm;
use crate::state::AppState;

/// Answers `{"active": false}` for anything the caller may not see, so introspection is no existence oracle.
#[utoipa::path(post, path = "/oauth/introspect", tag = "oauth",
    request_body(content = super::schema::TokenParameter, content_type = "application/x-www-form-urlencoded"),
    security(("basic" = [])),
    responses(
        (status = 200, body = IntrospectionAnswer),
        (status = 400, body = super::error::OAuthErrorAnswer), (status = 401, body = super::error::OAuthErrorAnswer),
        (status = 413, body = super::error::OAuthErrorAnswer),
        (status = 429, body = super::error::OAuthErrorAnswer), (status = 503, body = super::error::OAuthErrorAnswer),
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

/// RFC 7662 §2.2: the token's claims, or `{"active": false}` alone.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum IntrospectionAnswer {
    Active(Box<ActiveToken>),
    Inactive {
        /// Always false.
        active: bool,
    },
}

const INACTIVE: IntrospectionAnswer = IntrospectionAnswer::Inactive { active: false };

/// What introspection tells of a live token.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ActiveToken {
    /// Always true.
    active: bool,
    scope: String,
    client_id: String,
    sub: String,
    /// One audience, or several (access tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<serde_json::Value>)]
    aud: Option<Audience>,
    iss: String,
    exp: UnixTime,
    iat: UnixTime,
    /// The access token's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
    /// The tenant; null for a global client's token.
    tid: Option<String>,
    /// The grant that issued the access token.
    #[serde(skip_serializing_if = "Option::is_none")]
    gty: Option<String>,
    /// `Bearer`, `DPoP` (bound to the key `cnf` names), or `refresh_token`.
    token_type: &'static str,
    /// RFC 9449 §6.2: the DPoP key a bound access token is confirmed by.
    #[serde(skip_serializing_if = "Option::is_none")]
    cnf: Option<Confirmation>,
}

fn access_token(
    state: &AppState,
    caller: &AuthenticatedClient,
    token: &str,
) -> IntrospectionAnswer {
    let claims = access_token::verify(state, token)
        .ok()
        // A tenant's client sees its own tenant's tokens; a global client sees every token.
        .filter(|c| caller.client.tenant_id.is_none() || c.tid == caller.client.tenant_id);
    match claims {
        Some(c) => IntrospectionAnswer::Active(Box::new(ActiveToken {
            active: true,
            scope: c.scope,
            client_id: c.client_id,
            sub: c.sub,
            aud: Some(c.aud),
            iss: c.iss,
            exp: c.exp,
            iat: c.iat,
            jti: Some(c.jti),
            tid: c.tid,
            gty: Some(c.gty),
            token_type: match c.cnf {
                Some(_) => dpop::HEADER,
                None => "Bearer",
            },
            cnf: c.cnf,
        })),
        None => INACTIVE,
    }
}

/// RFC 7662 §2.1 covers refresh tokens: only the client they were issued to sees one, and only while it can still
/// be exchanged.
async fn refresh_token(
    state: &AppState,
    caller: &AuthenticatedClient,
    token: &str,
) -> Result<IntrospectionAnswer, OAuthError> {
    let found = refresh_grant::find_presented(state, token).await?;
    let now = UnixTime::now();
    Ok(match found {
        Some((row, user))
            if row.client_id == caller.client.id && row.is_usable(now) && !user.disabled =>
        {
            IntrospectionAnswer::Active(Box::new(ActiveToken {
                active: true,
                scope: row.scope.to_string(),
                client_id: row.client_id,
                sub: row.user_id,
                aud: None,
                iss: state.config.issuer(),
                exp: row.expires_at.min(row.idle_expires_at),
                iat: row.created_at,
                jti: None,
                tid: Some(user.tenant_id),
                gty: None,
                token_type: "refresh_token",
                cnf: row.dpop_jkt.map(|jkt| Confirmation { jkt }),
            }))
        }
        _ => INACTIVE,
    })
}
