//! RFC 9068 JWT access tokens: claims, lifetime, signing, and the RFC 6749 §5.1 token response.

use actix_web::http::header;
use actix_web::HttpResponse;
use serde::Serialize;

use super::error::OAuthError;
use crate::crypto::jwt;
use crate::domain::grant_type::GrantType;
use crate::domain::ids::random_base62;
use crate::domain::ttl;
use crate::domain::unix_now;
use crate::state::{AppState, CachedKey};

/// `aud`: one audience as a string, several as an array (RFC 7519 §4.1.3).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// The claims of an access token (RFC 9068 §2.2, DESIGN.md §3).
#[derive(Debug, Serialize)]
pub struct AccessTokenClaims<'a> {
    pub iss: String,
    pub sub: &'a str,
    pub aud: Audience,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub scope: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tid: Option<&'a str>,
    pub gty: &'static str,
}

/// What a grant decided: who the token is for, with which scopes and audience.
pub struct TokenGrant<'a> {
    pub grant: GrantType,
    pub subject: &'a str,
    pub scopes: Vec<String>,
    pub audience: Audience,
}

#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    scope: &'a str,
}

/// Signs an access token for `client` and answers it with `Cache-Control: no-store` (RFC 6749 §5.1).
pub fn respond(
    state: &AppState,
    client: &CachedKey,
    grant: TokenGrant<'_>,
) -> Result<HttpResponse, OAuthError> {
    let ttl = ttl::resolve(
        grant.grant,
        &client.client.ttl,
        client.tenant_ttl.as_ref(),
        &state.config.server_ttl(),
    );
    let iat = unix_now();
    let scope = grant.scopes.join(" ");
    let claims = AccessTokenClaims {
        iss: state.config.issuer(),
        sub: grant.subject,
        aud: grant.audience,
        exp: iat + ttl.seconds,
        iat,
        jti: random_base62(22),
        client_id: &client.client.id,
        scope: &scope,
        tid: client.client.tenant_id.as_deref(),
        gty: grant.grant.as_str(),
    };
    let keys = state.keyring.current();
    let access_token =
        jwt::encode(&keys.signer, "at+jwt", &claims).map_err(OAuthError::internal)?;
    let body = TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: ttl.seconds,
        scope: &scope,
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body))
}
