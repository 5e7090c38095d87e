//! `private_key_jwt` client authentication (RFC 7523 §2.2, §3): a JWT signed with a client's registered key.

use serde::Deserialize;
use serde_json::Value;

use crate::crypto::jwt::verifying_key;
use crate::db::used_assertions;
use crate::domain::unix_now;
use crate::state::{AppState, CachedKey};

/// The only `client_assertion_type` (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// How far ahead an assertion may expire (DESIGN.md §3).
const MAX_LIFETIME_SECONDS: i64 = 300;
/// Clock skew tolerated on `exp`, `nbf` and `iat`.
const LEEWAY_SECONDS: i64 = 30;

#[derive(Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    // A string: DESIGN.md §5 refuses audience arrays.
    aud: String,
    exp: i64,
    #[serde(default)]
    iat: Option<i64>,
    jti: Option<String>,
}

/// Why an assertion was refused: a reason for the log and audit, never shown in detail to the caller.
#[derive(Debug, thiserror::Error)]
pub enum AssertionError {
    #[error("malformed client assertion")]
    Malformed,
    #[error("unknown or unusable key {0:?}")]
    UnknownKey(String),
    #[error("the key's algorithm is not the assertion's")]
    AlgorithmMismatch,
    #[error("invalid assertion: {0}")]
    Invalid(String),
    #[error("the assertion's jti was already used")]
    Replayed,
    #[error("database unavailable")]
    Database(#[from] crate::db::DbError),
}

/// Checks an assertion signed by `entry`'s key, then records its `jti` so that it is accepted only once.
pub async fn verify(
    state: &AppState,
    entry: &CachedKey,
    assertion: &str,
    endpoint: &str,
) -> Result<(), AssertionError> {
    let claims = check_signature(entry, assertion)?;
    check_claims(state, entry, &claims, endpoint)?;
    let jti = claims
        .jti
        .ok_or_else(|| AssertionError::Invalid("jti is required".into()))?;
    if jti.is_empty() || jti.len() > 256 {
        return Err(AssertionError::Invalid(
            "jti must be 1 to 256 characters".into(),
        ));
    }
    let client_id = entry.client.id.clone();
    let fresh = state
        .db
        .run(move |conn| used_assertions::insert_once(conn, &client_id, &jti, claims.exp))
        .await?;
    if fresh {
        Ok(())
    } else {
        Err(AssertionError::Replayed)
    }
}

/// The `kid` an assertion names: the access key id of the client key that signed it.
pub fn key_id(assertion: &str) -> Result<String, AssertionError> {
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| AssertionError::Malformed)?;
    header.kid.ok_or(AssertionError::Malformed)
}

fn check_signature(entry: &CachedKey, assertion: &str) -> Result<AssertionClaims, AssertionError> {
    let unusable = || AssertionError::UnknownKey(entry.key.id.clone());
    let jwk: Value = entry
        .key
        .public_jwk
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .ok_or_else(unusable)?;
    let (key, alg) = verifying_key(&jwk).ok_or_else(unusable)?;
    // The header's alg must be the key's own: no `none`, no HMAC, no RSA key used as something else.
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| AssertionError::Malformed)?;
    if header.alg != alg {
        return Err(AssertionError::AlgorithmMismatch);
    }
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.validate_aud = false;
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECONDS as u64;
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    let data = jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation)
        .map_err(|e| AssertionError::Invalid(e.to_string()))?;
    Ok(data.claims)
}

fn check_claims(
    state: &AppState,
    entry: &CachedKey,
    claims: &AssertionClaims,
    endpoint: &str,
) -> Result<(), AssertionError> {
    let client_id = &entry.client.id;
    if &claims.iss != client_id || &claims.sub != client_id {
        return Err(AssertionError::Invalid(
            "iss and sub must both be the client_id".into(),
        ));
    }
    // RFC 7523 §3: the audience is the authorization server; its issuer or the endpoint's URL identify it.
    let issuer = state.config.issuer();
    let accepted = [
        issuer.clone(),
        format!("{issuer}/oauth/token"),
        format!("{issuer}{endpoint}"),
    ];
    if !accepted.contains(&claims.aud) {
        return Err(AssertionError::Invalid(format!(
            "aud must be {issuer} or {issuer}/oauth/token"
        )));
    }
    let now = unix_now();
    if claims.exp > now + MAX_LIFETIME_SECONDS + LEEWAY_SECONDS {
        return Err(AssertionError::Invalid(
            "exp is more than 5 minutes ahead".into(),
        ));
    }
    if claims.iat.is_some_and(|iat| iat > now + LEEWAY_SECONDS) {
        return Err(AssertionError::Invalid("iat is in the future".into()));
    }
    Ok(())
}
