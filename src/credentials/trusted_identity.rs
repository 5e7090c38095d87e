//! A trusted issuer's JWT as a service client's identity (RFC 7523 §3's rules for a JWT as an authorization grant;
//! docs/contract.md, "Trusted identities"): for the jwt-bearer and token-exchange grants, and for `/v1/verify`.
//!
//! Every trust of the token's `iss` is tried (several tenants may trust one CI provider): the signature by that
//! trust's keys with one of its algorithms, its audiences and token age, then its rules. Exactly one client must
//! match. Refusals name the rule that failed, never another tenant's configuration.

use std::collections::HashSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::client::{AuthMethod, AuthenticatedClient};
use crate::crypto::jwt::{check_validity, Jws};
use crate::db::trusted_issuers::TrustedIssuerRow;
use crate::db::used_assertions::NewUse;
use crate::db::{trusted_issuers, DbError};
use crate::domain::grant_type::GrantType;
use crate::domain::time::UnixTime;
use crate::domain::trusted_issuer::ALGORITHMS;
use crate::remote_keys::{KeyError, KeySet, KeyUrl};
use crate::state::AppState;

/// Clock skew tolerated on `exp`, `nbf` and `iat`.
const LEEWAY_SECONDS: i64 = 30;

/// The external identity behind a token: its issuer and subject (the `ext` claim of the tokens exchanged for it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExternalIdentity {
    pub iss: String,
    pub sub: String,
}

/// A verified external token and the client it maps to.
pub struct Federated {
    pub client: AuthenticatedClient,
    pub external: ExternalIdentity,
    pub exp: UnixTime,
    jti: Option<String>,
}

/// Why an external token was refused; the text is safe to show the caller.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("the token is not a JWT")]
    Malformed,
    #[error("the token's alg {0:?} is not accepted for its issuer")]
    Algorithm(String),
    #[error("the token's issuer is not trusted")]
    UnknownIssuer,
    #[error("{0}")]
    Keys(KeyError),
    #[error("the token's signature does not verify with its issuer's keys")]
    BadSignature,
    /// A claim against the trust's rules: expired, audience, age.
    #[error("{0}")]
    Claims(String),
    #[error("no rule of a trust of this issuer maps the token to a client")]
    NoRule,
    #[error("the token maps to several clients: name one with client_id")]
    Ambiguous,
    #[error("the token's jti was already used")]
    Replayed,
    #[error("the mapped client may not use the {0} grant")]
    GrantNotAllowed(GrantType),
    #[error("the mapped client's owner is disabled")]
    OwnerDisabled,
    #[error("database unavailable")]
    Database(#[from] DbError),
}

/// Verifies `token` against the trusts of its issuer and maps it to one client: `wanted` (a `client_id` the caller
/// named) chooses among several; `grant`, when exchanging, must be one the client may use.
pub async fn verify(
    state: &AppState,
    token: &str,
    wanted: Option<&str>,
    grant: Option<GrantType>,
) -> Result<Federated, TrustError> {
    let jws = Jws::parse(token).ok_or(TrustError::Malformed)?;
    let alg = jws.header.alg.clone();
    if !ALGORITHMS.contains(&alg.as_str()) && alg != "Ed25519" {
        return Err(TrustError::Algorithm(alg));
    }
    let claims: Map<String, Value> = jws.unverified_claims().ok_or(TrustError::Malformed)?;
    let iss = text(&claims, "iss")
        .ok_or(TrustError::UnknownIssuer)?
        .to_string();
    let trusts = trusts_of(state, &iss).await?;
    if trusts.is_empty() {
        return Err(TrustError::UnknownIssuer);
    }
    let named = if alg == "Ed25519" {
        "EdDSA"
    } else {
        alg.as_str()
    };
    let trusts: Vec<TrustedIssuerRow> = trusts
        .iter()
        .filter(|t| t.algorithms.iter().any(|a| a == named))
        .cloned()
        .collect();
    if trusts.is_empty() {
        return Err(TrustError::Algorithm(alg));
    }
    let trusts = signed_for(state, &jws, &trusts).await?;
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .map(UnixTime::from_seconds);
    let nbf = claims
        .get("nbf")
        .and_then(Value::as_i64)
        .map(UnixTime::from_seconds);
    check_validity(exp, nbf, LEEWAY_SECONDS).map_err(|e| TrustError::Claims(e.to_string()))?;
    let now = UnixTime::now();
    let iat = claims.get("iat").and_then(Value::as_i64);
    if iat.is_some_and(|iat| iat > now.seconds() + LEEWAY_SECONDS) {
        return Err(TrustError::Claims("iat is in the future".into()));
    }
    let for_audience: Vec<&TrustedIssuerRow> = trusts
        .into_iter()
        .filter(|t| t.audiences.iter().any(|a| names_audience(&claims, a)))
        .collect();
    if for_audience.is_empty() {
        return Err(TrustError::Claims(
            "the token's aud is not an audience its issuer is trusted for".into(),
        ));
    }
    let young_enough = |t: &TrustedIssuerRow| match t.max_token_age {
        None => true,
        Some(age) => iat.is_some_and(|iat| now.seconds() - iat <= age + LEEWAY_SECONDS),
    };
    let in_age: Vec<&TrustedIssuerRow> = for_audience
        .into_iter()
        .filter(|t| young_enough(t))
        .collect();
    if in_age.is_empty() {
        return Err(TrustError::Claims(
            "the token is older than its issuer's trust allows (iat and max_token_age)".into(),
        ));
    }
    let mut mapped: Vec<(&str, Option<&str>)> = in_age
        .iter()
        .flat_map(|t| {
            t.rules
                .iter()
                .filter(|rule| rule.matches(&claims))
                .map(|rule| (rule.client_id.as_str(), t.tenant_id.as_deref()))
        })
        .filter(|(client, _)| wanted.is_none_or(|w| w == *client))
        .collect();
    mapped.sort();
    mapped.dedup_by_key(|(client, _)| *client);
    let (client_id, tenant_id) = match mapped.as_slice() {
        [] => return Err(TrustError::NoRule),
        [one] => (one.0.to_string(), one.1.map(String::from)),
        _ => return Err(TrustError::Ambiguous),
    };
    let Some(found) = crate::credentials::client::find_client(state, &client_id).await? else {
        return Err(TrustError::NoRule);
    };
    let (row, tenant_ttl, owner_disabled) = found.as_ref().clone();
    if tenant_id.is_some() && row.tenant_id != tenant_id {
        return Err(TrustError::NoRule);
    }
    if owner_disabled == Some(true) {
        return Err(TrustError::OwnerDisabled);
    }
    let client: crate::domain::service_client::ServiceClient = row.into();
    if let Some(grant) = grant.filter(|g| !client.grant_types.contains(g)) {
        return Err(TrustError::GrantNotAllowed(grant));
    }
    Ok(Federated {
        client: AuthenticatedClient {
            client,
            tenant_ttl: tenant_ttl.map(|ttl| ttl.0),
            method: AuthMethod::TrustedIdentity,
        },
        external: ExternalIdentity {
            sub: text(&claims, "sub").unwrap_or_default().to_string(),
            iss,
        },
        exp: exp.unwrap_or(now),
        jti: text(&claims, "jti").map(String::from),
    })
}

/// Every trust of `iss`, from the node's cache when it has them (`AppState::trusts`).
async fn trusts_of(state: &AppState, iss: &str) -> Result<Arc<Vec<TrustedIssuerRow>>, DbError> {
    let use_cache = state.config.credential_cache_seconds > 0;
    if let Some(trusts) = use_cache.then(|| state.trusts.get(iss)).flatten() {
        return Ok(trusts);
    }
    let issuer = iss.to_string();
    let trusts = Arc::new(
        state
            .db
            .run(move |conn| trusted_issuers::find_by_issuer(conn, &issuer))
            .await?,
    );
    if use_cache {
        state.trusts.insert(iss.to_string(), trusts.clone());
    }
    Ok(trusts)
}

/// Records the token's `jti` (when it has one) so that it is exchanged once, on every node (RFC 7523 §3 item 7).
/// Keyed by the issuer, kept until the token's `exp`.
pub async fn consume(state: &AppState, federated: &Federated) -> Result<(), TrustError> {
    let Some(jti) = federated.jti.clone() else {
        return Ok(());
    };
    if jti.is_empty() || jti.len() > 256 {
        return Err(TrustError::Claims("jti must be 1 to 256 characters".into()));
    }
    let spent = NewUse {
        namespace: federated.external.iss.clone(),
        jti,
        expires_at: federated.exp,
    };
    let fresh = state.replays.submit(&state.db, spent).await?;
    match fresh {
        true => Ok(()),
        false => Err(TrustError::Replayed),
    }
}

/// The trusts whose keys signed the token. A key source shared by several trusts is asked once.
async fn signed_for<'t>(
    state: &AppState,
    jws: &Jws<'_>,
    trusts: &'t [TrustedIssuerRow],
) -> Result<Vec<&'t TrustedIssuerRow>, TrustError> {
    let alg: jsonwebtoken::Algorithm = match jws.header.alg.as_str() {
        "Ed25519" => jsonwebtoken::Algorithm::EdDSA,
        other => other
            .parse()
            .map_err(|_| TrustError::Algorithm(other.to_string()))?,
    };
    let kid = jws.header.kid.as_deref();
    let mut verified: HashSet<KeySource> = HashSet::new();
    let mut refused: HashSet<KeySource> = HashSet::new();
    let mut key_error = None;
    for trust in trusts {
        let source = KeySource::of(trust);
        if verified.contains(&source) || refused.contains(&source) {
            continue;
        }
        let keys = match &source {
            KeySource::Inline(_) => trust
                .jwks
                .as_ref()
                .and_then(|jwks| KeySet::from_jwks(jwks))
                .map(std::sync::Arc::new)
                .ok_or(KeyError::Unavailable),
            KeySource::Remote(url) => state.remote_keys.keys(url, kid).await,
        };
        let signed = match keys {
            Ok(keys) => keys
                .candidates(kid)
                .filter(|k| {
                    k.alg.as_deref().is_none_or(|a| {
                        a == jws.header.alg || a == "EdDSA" && alg == jsonwebtoken::Algorithm::EdDSA
                    })
                })
                .any(|k| jws.verify::<serde::de::IgnoredAny>(&k.key, alg).is_ok()),
            Err(error) => {
                key_error = Some(error);
                false
            }
        };
        match signed {
            true => verified.insert(source),
            false => refused.insert(source),
        };
    }
    let signed: Vec<&TrustedIssuerRow> = trusts
        .iter()
        .filter(|t| verified.contains(&KeySource::of(t)))
        .collect();
    match (signed.is_empty(), key_error) {
        (false, _) => Ok(signed),
        (true, Some(error)) => Err(TrustError::Keys(error)),
        (true, None) => Err(TrustError::BadSignature),
    }
}

/// Where a trust's keys come from, to ask each source once.
#[derive(PartialEq, Eq, Hash)]
enum KeySource {
    /// Inline keys, by the trust's id.
    Inline(String),
    Remote(KeyUrl),
}

impl KeySource {
    fn of(trust: &TrustedIssuerRow) -> KeySource {
        match (&trust.jwks, &trust.jwks_uri) {
            (Some(_), _) => KeySource::Inline(trust.id.clone()),
            (None, Some(uri)) => KeySource::Remote(KeyUrl::Jwks(uri.clone())),
            (None, None) => KeySource::Remote(KeyUrl::Discovery(trust.issuer.clone())),
        }
    }
}

fn text<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

/// `aud` names `audience`: the string itself, or an array holding it (RFC 7519 §4.1.3).
fn names_audience(claims: &Map<String, Value>, audience: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(aud)) => aud == audience,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    }
}
