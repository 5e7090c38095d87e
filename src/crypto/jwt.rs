//! JWT issuance: compact JWS with a header naming the key, signed by a cached `Signer`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::signing_key::Signer;
use crate::domain::time::UnixTime;

#[derive(Serialize)]
struct Header<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: &'a str,
}

/// Signs `claims` as a compact JWS with header `typ` (e.g. `at+jwt`, RFC 9068 §2.1) and the signer's `kid`.
pub fn encode(signer: &Signer, typ: &str, claims: &impl Serialize) -> anyhow::Result<String> {
    let header = Header {
        alg: signer.alg.as_str(),
        typ,
        kid: &signer.kid,
    };
    let mut token = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?));
    let signature = signer.sign(token.as_bytes())?;
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature));
    Ok(token)
}

/// Keys that verify tokens, by `kid`, each with the one algorithm it may be used with.
pub type VerifyingKeys =
    std::collections::HashMap<String, (jsonwebtoken::DecodingKey, jsonwebtoken::Algorithm)>;

/// Why a token was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("not a JWT")]
    Malformed,
    #[error("the token's type is not {0}")]
    WrongType(&'static str),
    #[error("unknown signing key")]
    UnknownKey,
    #[error("the token was revoked")]
    Revoked,
    #[error("{0}")]
    Invalid(#[from] JwsError),
}

/// The protected header of a compact JWS (RFC 7515 §4.1), as far as keygate reads it.
#[derive(Deserialize)]
pub struct JwsHeader {
    pub alg: String,
    pub kid: Option<String>,
    pub typ: Option<String>,
    /// The public key a DPoP proof carries (RFC 9449 §4.2).
    pub jwk: Option<serde_json::Value>,
}

/// A compact JWS (RFC 7515 §7.1) split into its parts, its header decoded; nothing in it is trusted until
/// [`Jws::verify`] passes. Read by hand because `jsonwebtoken` does not know RFC 9864's fully specified `Ed25519`.
pub struct Jws<'a> {
    pub header: JwsHeader,
    signing_input: &'a str,
    payload: &'a str,
    signature: &'a str,
}

/// Why a JWS or its claims were refused; the text is safe to show a caller.
#[derive(Debug, thiserror::Error)]
pub enum JwsError {
    #[error("the header's alg is not the key's algorithm")]
    AlgorithmMismatch,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the payload is not a JSON object of the expected claims")]
    BadClaims,
    #[error("exp is missing")]
    NoExpiry,
    #[error("the token has expired")]
    Expired,
    #[error("nbf is in the future")]
    NotYetValid,
    #[error("iss is not this server")]
    WrongIssuer,
}

impl<'a> Jws<'a> {
    /// Splits `token` and decodes its header; `None` unless it is three base64url parts with a JSON header.
    pub fn parse(token: &'a str) -> Option<Jws<'a>> {
        let (signing_input, signature) = token.rsplit_once('.')?;
        let (header, payload) = signing_input.split_once('.')?;
        let header = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
        Some(Jws {
            header,
            signing_input,
            payload,
            signature,
        })
    }

    /// The claims before the signature is checked: only for rules whose failure is told before any key is
    /// looked up.
    pub fn unverified_claims<T: DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(self.payload).ok()?).ok()
    }

    /// The claims, once the signature is `key`'s under `alg` and the header names `alg`: an Ed25519 key's
    /// assertions may say `EdDSA` (RFC 8037) or `Ed25519` (RFC 9864), the same signature either way.
    pub fn verify<T: DeserializeOwned>(
        &self,
        key: &jsonwebtoken::DecodingKey,
        alg: jsonwebtoken::Algorithm,
    ) -> Result<T, JwsError> {
        let named = match self.header.alg.as_str() {
            "Ed25519" => Some(jsonwebtoken::Algorithm::EdDSA),
            other => other.parse().ok(),
        };
        if named != Some(alg) {
            return Err(JwsError::AlgorithmMismatch);
        }
        verify_parts(self.signing_input, self.payload, self.signature, key, alg)
    }
}

/// The claims of compact JWS `token` whose header is already known to name `key` and `alg` (a proof key cached
/// by its header's bytes): the header is neither decoded again nor compared.
pub fn verify_with_known_header<T: DeserializeOwned>(
    token: &str,
    key: &jsonwebtoken::DecodingKey,
    alg: jsonwebtoken::Algorithm,
) -> Result<T, JwsError> {
    let (signing_input, signature) = token.rsplit_once('.').ok_or(JwsError::BadSignature)?;
    let (_, payload) = signing_input
        .split_once('.')
        .ok_or(JwsError::BadSignature)?;
    verify_parts(signing_input, payload, signature, key, alg)
}

fn verify_parts<T: DeserializeOwned>(
    signing_input: &str,
    payload: &str,
    signature: &str,
    key: &jsonwebtoken::DecodingKey,
    alg: jsonwebtoken::Algorithm,
) -> Result<T, JwsError> {
    let valid = jsonwebtoken::crypto::verify(signature, signing_input.as_bytes(), key, alg)
        .unwrap_or(false);
    if !valid {
        return Err(JwsError::BadSignature);
    }
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| JwsError::BadClaims)?;
    serde_json::from_slice(&payload).map_err(|_| JwsError::BadClaims)
}

/// `exp` (required) and `nbf` against the clock, `leeway` seconds either way (RFC 7519 §4.1.4, §4.1.5).
pub fn check_validity(
    exp: Option<UnixTime>,
    nbf: Option<UnixTime>,
    leeway: i64,
) -> Result<(), JwsError> {
    let now = UnixTime::now();
    match exp {
        None => Err(JwsError::NoExpiry),
        Some(exp) if exp + leeway <= now => Err(JwsError::Expired),
        _ if nbf.is_some_and(|nbf| nbf > now + leeway) => Err(JwsError::NotYetValid),
        _ => Ok(()),
    }
}

#[derive(Deserialize)]
struct Registered {
    iss: Option<String>,
    exp: Option<UnixTime>,
    nbf: Option<UnixTime>,
}

/// Verifies a compact JWS of type `typ` from `issuer`: signature by a known key with its own algorithm, `iss`, and
/// `exp`/`nbf` with `leeway` seconds. Audience checks are the caller's.
pub fn verify<T: DeserializeOwned>(
    keys: &VerifyingKeys,
    token: &str,
    typ: &'static str,
    issuer: &str,
    leeway: i64,
) -> Result<T, VerifyError> {
    let (claims, registered) = signed_claims(keys, token, typ, issuer)?;
    check_validity(registered.exp, registered.nbf, leeway)?;
    Ok(T::deserialize(claims).map_err(|_| JwsError::BadClaims)?)
}

/// One of our tokens checked like [`verify`] but for the clock: for a token that may have expired on purpose.
pub fn verify_signature<T: DeserializeOwned>(
    keys: &VerifyingKeys,
    token: &str,
    typ: &'static str,
    issuer: &str,
) -> Result<T, VerifyError> {
    let (claims, _) = signed_claims(keys, token, typ, issuer)?;
    Ok(T::deserialize(claims).map_err(|_| JwsError::BadClaims)?)
}

/// The claims of a token of type `typ` signed by one of `keys` and issued by `issuer`.
fn signed_claims(
    keys: &VerifyingKeys,
    token: &str,
    typ: &'static str,
    issuer: &str,
) -> Result<(serde_json::Value, Registered), VerifyError> {
    let jws = Jws::parse(token).ok_or(VerifyError::Malformed)?;
    if jws.header.typ.as_deref() != Some(typ) {
        return Err(VerifyError::WrongType(typ));
    }
    let kid = jws.header.kid.as_deref().ok_or(VerifyError::UnknownKey)?;
    let (key, alg) = keys.get(kid).ok_or(VerifyError::UnknownKey)?;
    let claims: serde_json::Value = jws.verify(key, *alg)?;
    let registered = Registered::deserialize(&claims).map_err(|_| JwsError::BadClaims)?;
    if registered.iss.as_deref() != Some(issuer) {
        return Err(JwsError::WrongIssuer.into());
    }
    Ok((claims, registered))
}

/// The `jsonwebtoken` algorithm of one of ours.
pub fn jwt_algorithm(alg: crate::domain::signing_alg::SigningAlg) -> jsonwebtoken::Algorithm {
    match alg {
        crate::domain::signing_alg::SigningAlg::RS256 => jsonwebtoken::Algorithm::RS256,
        crate::domain::signing_alg::SigningAlg::ES256 => jsonwebtoken::Algorithm::ES256,
        crate::domain::signing_alg::SigningAlg::EdDSA => jsonwebtoken::Algorithm::EdDSA,
    }
}

/// A verifying key from a public JWK whose `alg` is one of ours.
pub fn verifying_key(
    jwk: &serde_json::Value,
) -> Option<(jsonwebtoken::DecodingKey, jsonwebtoken::Algorithm)> {
    let alg = crate::domain::signing_alg::SigningAlg::parse(jwk.get("alg")?.as_str()?)?;
    let parsed: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).ok()?;
    Some((
        jsonwebtoken::DecodingKey::from_jwk(&parsed).ok()?,
        jwt_algorithm(alg),
    ))
}

/// A verifying key from another issuer's public JWK (RSA of 2048 bits or more, EC P-256/P-384, OKP Ed25519), for
/// whichever asymmetric algorithm its token names; `None` for anything else (symmetric `oct` keys included).
pub fn foreign_verifying_key(jwk: &serde_json::Value) -> Option<jsonwebtoken::DecodingKey> {
    let text = |name: &str| jwk.get(name).and_then(serde_json::Value::as_str);
    let usable = match text("kty")? {
        "RSA" => URL_SAFE_NO_PAD
            .decode(text("n")?)
            .is_ok_and(|n| n.len() >= 256),
        "EC" => matches!(text("crv")?, "P-256" | "P-384"),
        "OKP" => text("crv")? == "Ed25519",
        _ => false,
    };
    if !usable || text("use").is_some_and(|u| u != "sig") {
        return None;
    }
    let parsed: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).ok()?;
    jsonwebtoken::DecodingKey::from_jwk(&parsed).ok()
}
