//! `private_key_jwt` client authentication (RFC 7523 §2.2, §3): a JWT signed with a client's registered key.
//!
//! The rules that need no key (audience, lifetime, `jti`) are checked first and named in the answer, so a client
//! library learns what to change; the key lookup and the signature come after and fail alike, so the answer does not
//! tell whether a client or key exists.

use serde::Deserialize;
use serde_json::Value;

use crate::crypto::jwt::{check_validity, verifying_key, Jws};
use crate::db::used_assertions::NewUse;
use crate::domain::time::UnixTime;
use crate::state::{AppState, CachedKey};

/// The only `client_assertion_type` (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Clock skew tolerated on `exp`, `nbf` and `iat`.
const LEEWAY_SECONDS: i64 = 30;

#[derive(Deserialize)]
struct AssertionClaims {
    iss: Option<String>,
    sub: Option<String>,
    // RFC 7519 §4.1.3 allows an array; keygate wants the one string that names it (docs/contract.md).
    aud: Option<Value>,
    exp: Option<UnixTime>,
    nbf: Option<UnixTime>,
    iat: Option<UnixTime>,
    jti: Option<String>,
}

/// Why an assertion was refused.
#[derive(Debug, thiserror::Error)]
pub enum AssertionError {
    #[error("malformed client assertion")]
    Malformed,
    /// A rule about the claims, checked before any key is looked up: safe to tell the caller.
    #[error("client assertion refused: {0}")]
    Rule(String),
    #[error("the client assertion's jti was already used")]
    Replayed,
    /// The key is unknown, or not the claimed client's, or the signature does not verify: told to the caller
    /// only as a failed authentication.
    #[error("unknown or unusable key {0:?}")]
    UnknownKey(String),
    #[error("{0}")]
    Signature(crate::crypto::jwt::JwsError),
    #[error("database unavailable")]
    Database(#[from] crate::db::DbError),
}

impl AssertionError {
    /// Whether the reason may be shown to a caller that has not proved who it is.
    pub fn is_disclosable(&self) -> bool {
        matches!(
            self,
            AssertionError::Malformed | AssertionError::Rule(_) | AssertionError::Replayed
        )
    }
}

/// An assertion whose claims passed the rules that need no key; `kid` names the access key to verify it with.
pub struct Checked<'a> {
    jws: Jws<'a>,
    pub kid: String,
    pub iss: String,
    jti: String,
    exp: UnixTime,
}

/// Reads an assertion and checks the rules that need no key: `iss` = `sub`, the audience, `exp` within the
/// configured lifetime, `iat`, `nbf` and `jti`.
pub fn check<'a>(
    state: &AppState,
    assertion: &'a str,
    endpoint: &str,
) -> Result<Checked<'a>, AssertionError> {
    let jws = Jws::parse(assertion).ok_or(AssertionError::Malformed)?;
    let kid = jws.header.kid.clone().ok_or(AssertionError::Malformed)?;
    let claims: AssertionClaims = jws.unverified_claims().ok_or(AssertionError::Malformed)?;
    let rule = |text: &str| AssertionError::Rule(text.to_string());
    let (Some(iss), Some(sub)) = (claims.iss, claims.sub) else {
        return Err(rule("iss and sub are required"));
    };
    if iss != sub {
        return Err(rule("iss and sub must both be the client_id"));
    }
    check_audience(state, claims.aud.as_ref(), endpoint)?;
    check_validity(claims.exp, claims.nbf, LEEWAY_SECONDS)
        .map_err(|e| AssertionError::Rule(e.to_string()))?;
    let now = UnixTime::now();
    let exp = claims.exp.unwrap_or(now);
    let max_lifetime = state.config.max_assertion_lifetime;
    if exp > now + max_lifetime + LEEWAY_SECONDS {
        return Err(AssertionError::Rule(format!(
            "exp too far in the future (at most {max_lifetime} s ahead)"
        )));
    }
    if claims.iat.is_some_and(|iat| iat > now + LEEWAY_SECONDS) {
        return Err(rule("iat is in the future"));
    }
    let jti = claims.jti.ok_or_else(|| rule("jti is required"))?;
    if jti.is_empty() || jti.len() > 256 {
        return Err(rule("jti must be 1 to 256 characters"));
    }
    Ok(Checked {
        jws,
        kid,
        iss,
        jti,
        exp,
    })
}

/// RFC 7523 §3: the audience is the authorization server; its issuer or the endpoint's URL identify it.
fn check_audience(
    state: &AppState,
    aud: Option<&Value>,
    endpoint: &str,
) -> Result<(), AssertionError> {
    let issuer = state.config.issuer();
    let accepted = [
        issuer.clone(),
        format!("{issuer}/oauth/token"),
        format!("{issuer}{endpoint}"),
    ];
    match aud {
        Some(Value::String(aud)) if accepted.contains(aud) => Ok(()),
        Some(Value::Array(_)) => Err(AssertionError::Rule(format!(
            "aud must be one string, {issuer} or {issuer}/oauth/token, not an array"
        ))),
        _ => Err(AssertionError::Rule(format!(
            "aud does not name this server (use {issuer} or {issuer}/oauth/token)"
        ))),
    }
}

/// Verifies a checked assertion's signature with `entry`'s key, then records its `jti` so that it is accepted only
/// once (remembered until its `exp`).
pub async fn verify(
    state: &AppState,
    entry: &CachedKey,
    checked: Checked<'_>,
) -> Result<(), AssertionError> {
    let unusable = || AssertionError::UnknownKey(entry.key.id.clone());
    if checked.iss != entry.client.id {
        return Err(unusable());
    }
    let jwk = entry.key.public_jwk.as_ref().ok_or_else(unusable)?;
    let (key, alg) = verifying_key(jwk).ok_or_else(unusable)?;
    // The header's alg must be the key's own: no `none`, no HMAC, no RSA key used as something else.
    checked
        .jws
        .verify::<serde::de::IgnoredAny>(&key, alg)
        .map_err(AssertionError::Signature)?;
    let spent = NewUse {
        namespace: entry.client.id.to_string(),
        jti: checked.jti,
        expires_at: checked.exp,
    };
    let fresh = state.replays.submit(&state.db, spent).await?;
    if fresh {
        Ok(())
    } else {
        Err(AssertionError::Replayed)
    }
}
