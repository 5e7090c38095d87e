//! RFC 9068 JWT access tokens: claims, lifetime, signing, and the RFC 6749 §5.1 token response.

use actix_web::http::header;
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::client_auth::AuthenticatedClient;
use super::error::OAuthError;
use crate::crypto::jwt;
use crate::domain::grant_type::GrantType;
use crate::domain::ids::random_base62;
use crate::domain::scope::Scopes;
use crate::domain::ttl;
use crate::domain::unix_now;
use crate::state::AppState;

/// `aud`: one audience as a string, several as an array (RFC 7519 §4.1.3).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn contains(&self, audience: &str) -> bool {
        match self {
            Audience::One(one) => one == audience,
            Audience::Many(many) => many.iter().any(|a| a == audience),
        }
    }
}

/// The claims of an access token (RFC 9068 §2.2; docs/contract.md, "Access tokens").
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
    pub gty: String,
}

impl AccessTokenClaims {
    /// The granted scopes.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split(' ').filter(|s| !s.is_empty())
    }
}

/// Verifies one of our access tokens: signature by a published key, `typ`, `iss`, `exp`, and neither the token
/// nor its user, client or tenant revoked since it was issued.
pub fn verify(state: &AppState, token: &str) -> Result<AccessTokenClaims, jwt::VerifyError> {
    let keys = state.keyring.current();
    let claims: AccessTokenClaims =
        jwt::verify(&keys.verifying, token, "at+jwt", &state.config.issuer(), 5)?;
    let subjects = [
        Some(claims.sub.as_str()),
        Some(claims.client_id.as_str()),
        claims.tid.as_deref(),
    ];
    if state.revocations.contains(&claims.jti)
        || state
            .revocations
            .refuses(subjects.into_iter().flatten(), claims.iat)
    {
        return Err(jwt::VerifyError::Revoked);
    }
    Ok(claims)
}

/// What a grant decided: who the token is for, in which tenant, with which scopes and audience.
pub struct TokenGrant<'a> {
    pub grant: GrantType,
    /// The grant whose lifetime the token gets: the grant itself, or for a refresh the one that signed the user in.
    pub lifetime_of: GrantType,
    pub subject: &'a str,
    /// The subject's tenant: the client's for client_credentials, the user's for user grants (a global client
    /// signs users of every tenant in).
    pub tenant_id: Option<&'a str>,
    pub scopes: Scopes,
    pub audience: Audience,
    /// The token's `jti` when the grant stored it ahead (the code grant, so that a replayed code revokes it).
    pub jti: Option<String>,
}

#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    scope: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

/// A fresh access-token `jti`.
pub fn new_jti() -> String {
    random_base62(22)
}

/// Signs an access token for `client` and answers it, with the refresh token when there is one, and
/// `Cache-Control: no-store` (RFC 6749 §5.1).
pub async fn respond(
    state: &AppState,
    client: &AuthenticatedClient,
    grant: TokenGrant<'_>,
    refresh_token: Option<String>,
) -> Result<HttpResponse, OAuthError> {
    let server = state.config.server_ttl();
    let lifetime = ttl::resolve(
        grant.lifetime_of,
        &client.client.ttl,
        client.tenant_ttl.as_ref(),
        &server,
    );
    // The ceiling holds whatever the overrides say, server defaults included.
    let seconds = lifetime.seconds.min(state.config.max_access_token_ttl);
    let subjects = [
        Some(grant.subject),
        Some(client.client.id.as_str()),
        grant.tenant_id,
    ];
    state
        .revocations
        .wait_until_clear_of(subjects.into_iter().flatten())
        .await;
    let iat = unix_now();
    let scope = grant.scopes.to_string();
    let claims = AccessTokenClaims {
        iss: state.config.issuer(),
        sub: grant.subject.to_string(),
        aud: grant.audience,
        exp: iat + seconds,
        iat,
        jti: grant.jti.unwrap_or_else(new_jti),
        client_id: client.client.id.clone(),
        scope: scope.clone(),
        tid: grant.tenant_id.map(String::from),
        gty: grant.grant.as_str().to_string(),
    };
    let keys = state.keyring.current();
    let access_token =
        jwt::encode(&keys.signer, "at+jwt", &claims).map_err(OAuthError::internal)?;
    state.metrics.token_issued(grant.grant.as_str());
    let body = TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: seconds,
        scope: &scope,
        refresh_token,
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body))
}
