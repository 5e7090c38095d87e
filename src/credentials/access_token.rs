//! keygate's access tokens (RFC 9068): signed for a grant, verified for every edge that accepts them (`/v1`
//! Bearer, `/v1/verify`, introspection, revocation).

use actix_web::http::header::{self, HeaderMap};
use serde::{Deserialize, Serialize};

use super::client::AuthenticatedClient;
use super::dpop::{self, Confirmation, ProofError, ProvedRequest};
use super::trusted_identity::ExternalIdentity;
use crate::crypto::jwt;
use crate::domain::grant_type::GrantType;
use crate::domain::ids::random_base62;
use crate::domain::scope::Scopes;
use crate::domain::time::UnixTime;
use crate::domain::ttl;
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
    pub exp: UnixTime,
    pub iat: UnixTime,
    pub jti: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
    pub gty: String,
    /// For a token exchanged for a trusted issuer's token: that token's issuer and subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext: Option<ExternalIdentity>,
    /// The DPoP key the token is bound to (RFC 9449 §6.1): it is accepted only with a proof made with that key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
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
pub struct TokenGrant {
    pub grant: GrantType,
    /// The grant whose lifetime the token gets: the grant itself, or for a refresh the one that signed the user in.
    pub lifetime_of: GrantType,
    pub subject: String,
    /// The subject's tenant: the client's for client_credentials, the user's for user grants (a global client
    /// signs users of every tenant in).
    pub tenant_id: Option<String>,
    pub scopes: Scopes,
    pub audience: Audience,
    /// The token's `jti` when the grant stored it ahead (the code grant, so that a replayed code revokes it).
    pub jti: Option<String>,
    /// The external identity the client was mapped from (the trusted-identity grants).
    pub external: Option<ExternalIdentity>,
}

/// A fresh access-token `jti`.
pub fn new_jti() -> String {
    random_base62(22)
}

/// A signed access token and what its answer says of it.
pub struct SignedToken {
    pub access_token: String,
    pub expires_in: i64,
    pub scope: String,
}

/// Signs an access token for `client` with the lifetime its grant resolves to (client → tenant → server, under the
/// ceiling), bound to the DPoP key `cnf` names if any, once no revocation of its subjects is still within this second.
pub async fn sign(
    state: &AppState,
    client: &AuthenticatedClient,
    grant: TokenGrant,
    cnf: Option<Confirmation>,
) -> anyhow::Result<SignedToken> {
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
        Some(grant.subject.as_str()),
        Some(client.client.id.as_str()),
        grant.tenant_id.as_deref(),
    ];
    state
        .revocations
        .wait_until_clear_of(subjects.into_iter().flatten())
        .await;
    let iat = UnixTime::now();
    let scope = grant.scopes.to_string();
    let claims = AccessTokenClaims {
        iss: state.config.issuer(),
        sub: grant.subject,
        aud: grant.audience,
        exp: iat + seconds,
        iat,
        jti: grant.jti.unwrap_or_else(new_jti),
        client_id: client.client.id.clone(),
        scope: scope.clone(),
        tid: grant.tenant_id,
        gty: grant.grant.as_str().to_string(),
        ext: grant.external,
        cnf,
    };
    let keys = state.keyring.current();
    let access_token = jwt::encode(&keys.signer, "at+jwt", &claims)?;
    state.metrics.token_issued(grant.grant.short_name());
    state
        .activity
        .token_issued(client.client.tenant_id.as_deref(), grant.grant.short_name());
    Ok(SignedToken {
        access_token,
        expires_in: seconds,
        scope,
    })
}

/// The `Authorization` schemes an access token is presented under: RFC 6750 §2.1 and RFC 9449 §7.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Bearer,
    Dpop,
}

/// An access token as a request presents it: its scheme, and the request's DPoP proof if it sent one.
pub struct Presented<'a> {
    pub scheme: Scheme,
    pub token: &'a str,
    pub proof: Option<&'a str>,
}

impl<'a> Presented<'a> {
    /// The token of an `Authorization: Bearer` or `Authorization: DPoP` header (scheme names are case-insensitive,
    /// RFC 9110 §11.1); `None` for any other header, an empty credential, or none.
    pub fn from_headers(headers: &'a HeaderMap) -> Result<Option<Presented<'a>>, ProofError> {
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let Some((name, token)) = value.split_once(' ') else {
            return Ok(None);
        };
        let token = token.trim();
        if token.is_empty() {
            return Ok(None);
        }
        let scheme = match name {
            n if n.eq_ignore_ascii_case("Bearer") => Scheme::Bearer,
            n if n.eq_ignore_ascii_case(dpop::HEADER) => Scheme::Dpop,
            _ => return Ok(None),
        };
        let proof = dpop::header(headers)?;
        Ok(Some(Presented {
            scheme,
            token,
            proof,
        }))
    }
}

/// Why a presented access token was refused.
#[derive(Debug, thiserror::Error)]
pub enum PresentedError {
    #[error("invalid access token: {0}")]
    Token(#[from] jwt::VerifyError),
    /// A bound token sent as Bearer, or an unbound one sent as DPoP.
    #[error("{0}")]
    Scheme(&'static str),
    #[error("{0}")]
    Proof(#[from] ProofError),
}

/// Verifies a presented access token for a request (`method`, `url`): an unbound token only as Bearer, a
/// DPoP-bound one only under the DPoP scheme with a proof of its key for this request (RFC 9449 §7.1).
pub async fn verify_presented(
    state: &AppState,
    presented: &Presented<'_>,
    method: &str,
    url: &str,
) -> Result<AccessTokenClaims, PresentedError> {
    let claims = verify(state, presented.token)?;
    let bound_to = match (&claims.cnf, presented.scheme) {
        (None, Scheme::Bearer) => return Ok(claims),
        (Some(cnf), Scheme::Dpop) => cnf,
        (Some(_), Scheme::Bearer) => return Err(PresentedError::Scheme(
            "the access token is bound to a DPoP key: send it as Authorization: DPoP with a proof",
        )),
        (None, Scheme::Dpop) => {
            return Err(PresentedError::Scheme(
                "the access token is not DPoP-bound: send it as Authorization: Bearer",
            ))
        }
    };
    let proof = presented.proof.ok_or(ProofError::Missing("header"))?;
    let request = ProvedRequest {
        method,
        url,
        access_token: Some(presented.token),
    };
    if dpop::check(state, proof, &request).await? != *bound_to {
        return Err(ProofError::WrongKey.into());
    }
    Ok(claims)
}
