//! DPoP (RFC 9449): with every request a client proves that it holds the private key its tokens are bound to, so a
//! stolen token is useless without that key. A proof is a JWT signed by the key it carries in its header; it names
//! the request it was made for (`htm`, `htu`), when (`iat`), once (`jti`), and at a resource the token (`ath`).

use std::sync::Arc;

use actix_web::http::header::HeaderMap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::crypto::jwt::{foreign_verifying_key, verify_with_known_header, Jws};
use crate::db::used_assertions::NewUse;
use crate::domain::time::UnixTime;
use crate::state::{AppState, ProofKey};

/// The request header that carries a proof (RFC 9449 §4.1), and the `Authorization` scheme of a bound token (§7.1).
pub const HEADER: &str = "DPoP";
/// The `typ` of a proof (RFC 9449 §4.2).
const PROOF_TYPE: &str = "dpop+jwt";
/// The algorithms a proof may be signed with: asymmetric only (RFC 9449 §4.2), advertised in the metadata.
pub const ALGORITHMS: &[&str] = &["ES256", "ES384", "RS256", "PS256", "EdDSA", "Ed25519"];
/// How far a proof's `iat` may be from the server's clock (RFC 9449 §11.1): its `jti` is remembered that long.
pub const IAT_WINDOW_SECONDS: i64 = 60;
/// The longest `jti` remembered, as for client assertions.
const MAX_JTI: usize = 256;

/// A token's confirmation claim (RFC 7800 §3.1): the SHA-256 thumbprint of the key it is bound to (RFC 9449 §6.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Confirmation {
    pub jkt: String,
}

/// Why a proof was refused; every reason is safe to tell the caller, who made the proof.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error("send at most one DPoP header")]
    SeveralHeaders,
    #[error("the DPoP proof is not a JWT of type dpop+jwt with a public jwk in its header")]
    Malformed,
    #[error("the DPoP proof's alg must be one of {}", ALGORITHMS.join(", "))]
    Algorithm,
    #[error("the DPoP proof's signature does not verify with the jwk in its header")]
    Signature,
    #[error("the DPoP proof is missing {0}")]
    Missing(&'static str),
    #[error("the DPoP proof's htm is not this request's method {0}")]
    Method(String),
    #[error("the DPoP proof's htu is not this request's URL {0}")]
    Url(String),
    #[error("the DPoP proof's iat is more than {IAT_WINDOW_SECONDS} s from the server's time")]
    Time,
    #[error("the DPoP proof's ath is not the hash of the access token sent with it")]
    TokenHash,
    #[error("the DPoP proof's key is not the one the access token is bound to")]
    WrongKey,
    #[error("the DPoP proof was already used (its jti is spent)")]
    Replayed,
    #[error("database unavailable")]
    Database(#[from] crate::db::DbError),
}

/// The request a proof must have been made for.
pub struct ProvedRequest<'a> {
    pub method: &'a str,
    /// The request's URL; its query and fragment are ignored (RFC 9449 §4.3).
    pub url: &'a str,
    /// At a resource: the access token sent with the proof, whose hash `ath` must be.
    pub access_token: Option<&'a str>,
}

#[derive(Deserialize)]
struct ProofClaims {
    jti: Option<String>,
    htm: Option<String>,
    htu: Option<String>,
    iat: Option<UnixTime>,
    ath: Option<String>,
}

/// The `DPoP` header's value: `None` when absent, refused when sent more than once (RFC 9449 §4.3).
pub fn header(headers: &HeaderMap) -> Result<Option<&str>, ProofError> {
    let mut values = headers.get_all(HEADER);
    let first = values.next();
    if values.next().is_some() {
        return Err(ProofError::SeveralHeaders);
    }
    first
        .map(|v| v.to_str().map_err(|_| ProofError::Malformed))
        .transpose()
}

/// Checks a proof for `request` (RFC 9449 §4.3) and spends its `jti` on every node; returns the key's thumbprint.
pub async fn check(
    state: &AppState,
    proof: &str,
    request: &ProvedRequest<'_>,
) -> Result<Confirmation, ProofError> {
    let (header, _) = proof.split_once('.').ok_or(ProofError::Malformed)?;
    let (key, cached) = match state.proof_keys.get(header) {
        Some(key) => (key, true),
        None => (Arc::new(parse_proof_key(proof)?), false),
    };
    let claims: ProofClaims =
        verify_with_known_header(proof, &key.key, key.alg).map_err(|_| ProofError::Signature)?;
    // Only a key that made a good signature is remembered.
    if !cached {
        state.proof_keys.insert(header.into(), key.clone());
    }
    let jkt = key.jkt.clone();
    let jti = claims
        .jti
        .filter(|j| !j.is_empty() && j.len() <= MAX_JTI)
        .ok_or(ProofError::Missing("jti"))?;
    let htm = claims.htm.ok_or(ProofError::Missing("htm"))?;
    if htm != request.method {
        return Err(ProofError::Method(request.method.to_string()));
    }
    let htu = claims.htu.ok_or(ProofError::Missing("htu"))?;
    if !keygate_sdk::htu_matches(&htu, request.url) {
        return Err(ProofError::Url(request.url.to_string()));
    }
    let iat = claims.iat.ok_or(ProofError::Missing("iat"))?;
    let now = UnixTime::now();
    if iat > now + IAT_WINDOW_SECONDS || iat + IAT_WINDOW_SECONDS < now {
        return Err(ProofError::Time);
    }
    if let Some(token) = request.access_token {
        let ath = claims.ath.ok_or(ProofError::Missing("ath"))?;
        if ath != token_hash(token) {
            return Err(ProofError::TokenHash);
        }
    }
    // RFC 9449 §11.1: a proof is accepted once while its iat is within the window; jtis are kept per key, so one
    // key's proofs cannot spend another's.
    let spent = NewUse {
        namespace: format!("dpop:{jkt}"),
        jti,
        expires_at: iat + IAT_WINDOW_SECONDS,
    };
    let fresh = state.replays.submit(&state.db, spent).await?;
    match fresh {
        true => Ok(Confirmation { jkt }),
        false => Err(ProofError::Replayed),
    }
}

/// The key a proof's header names, with its algorithm and thumbprint (cached per node by the header's bytes).
fn parse_proof_key(proof: &str) -> Result<ProofKey, ProofError> {
    let jws = Jws::parse(proof).ok_or(ProofError::Malformed)?;
    if jws.header.typ.as_deref() != Some(PROOF_TYPE) {
        return Err(ProofError::Malformed);
    }
    let jwk = jws.header.jwk.as_ref().ok_or(ProofError::Malformed)?;
    let (key, alg) = verifying_key(jwk, &jws.header.alg)?;
    let jkt = thumbprint(jwk).ok_or(ProofError::Malformed)?;
    Ok(ProofKey { key, alg, jkt })
}

/// The key in a proof's header and the algorithm its `alg` names, if the two belong together.
fn verifying_key(
    jwk: &Value,
    alg: &str,
) -> Result<(jsonwebtoken::DecodingKey, jsonwebtoken::Algorithm), ProofError> {
    use jsonwebtoken::Algorithm;
    let text = |name: &str| jwk.get(name).and_then(Value::as_str);
    let (algorithm, kty, crv) = match alg {
        "ES256" => (Algorithm::ES256, "EC", Some("P-256")),
        "ES384" => (Algorithm::ES384, "EC", Some("P-384")),
        "RS256" => (Algorithm::RS256, "RSA", None),
        "PS256" => (Algorithm::PS256, "RSA", None),
        "EdDSA" | "Ed25519" => (Algorithm::EdDSA, "OKP", Some("Ed25519")),
        _ => return Err(ProofError::Algorithm),
    };
    let private = ["d", "p", "q", "dp", "dq", "qi", "k"]
        .iter()
        .any(|m| jwk.get(m).is_some());
    if private || text("kty") != Some(kty) || text("crv") != crv {
        return Err(ProofError::Malformed);
    }
    let key = foreign_verifying_key(jwk).ok_or(ProofError::Malformed)?;
    Ok((key, algorithm))
}

/// The JWK SHA-256 thumbprint (RFC 7638 §3): the required members in lexicographic order, no white space.
pub fn thumbprint(jwk: &Value) -> Option<String> {
    let member = |name: &str| {
        let value = jwk.get(name)?.as_str()?;
        // Base64url and curve names need no JSON escaping; anything else is no key of ours.
        let plain = value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        plain.then(|| format!("\"{name}\":\"{value}\""))
    };
    let names: &[&str] = match jwk.get("kty")?.as_str()? {
        "EC" => &["crv", "kty", "x", "y"],
        "OKP" => &["crv", "kty", "x"],
        "RSA" => &["e", "kty", "n"],
        _ => return None,
    };
    let members = names
        .iter()
        .map(|n| member(n))
        .collect::<Option<Vec<_>>>()?;
    let canonical = format!("{{{}}}", members.join(","));
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    Some(URL_SAFE_NO_PAD.encode(digest.as_ref()))
}

/// `ath`: the base64url SHA-256 of the access token (RFC 9449 §4.2).
pub fn token_hash(access_token: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_is_rfc_7638s_example() {
        // RFC 7638 §3.1.
        let jwk = serde_json::json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            thumbprint(&jwk).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }
}
