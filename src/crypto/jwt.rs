//! JWT issuance: compact JWS with a header naming the key, signed by a cached `Signer`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;

use super::signing_key::Signer;

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
    Invalid(#[from] jsonwebtoken::errors::Error),
}

/// Verifies a compact JWS of type `typ` from `issuer`: signature by a known key with its own algorithm, `iss`, and
/// `exp`/`nbf` with `leeway` seconds. Audience checks are the caller's.
pub fn verify<T: serde::de::DeserializeOwned>(
    keys: &VerifyingKeys,
    token: &str,
    typ: &'static str,
    issuer: &str,
    leeway: u64,
) -> Result<T, VerifyError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
    if header.typ.as_deref() != Some(typ) {
        return Err(VerifyError::WrongType(typ));
    }
    let kid = header.kid.ok_or(VerifyError::UnknownKey)?;
    let (key, alg) = keys.get(&kid).ok_or(VerifyError::UnknownKey)?;
    let mut validation = jsonwebtoken::Validation::new(*alg);
    validation.set_issuer(&[issuer]);
    validation.validate_aud = false;
    validation.validate_nbf = true;
    validation.leeway = leeway;
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    Ok(jsonwebtoken::decode::<T>(token, key, &validation)?.claims)
}

/// The `jsonwebtoken` algorithm of one of ours.
pub fn jwt_algorithm(alg: super::signing_key::SigningAlg) -> jsonwebtoken::Algorithm {
    match alg {
        super::signing_key::SigningAlg::RS256 => jsonwebtoken::Algorithm::RS256,
        super::signing_key::SigningAlg::ES256 => jsonwebtoken::Algorithm::ES256,
        super::signing_key::SigningAlg::EdDSA => jsonwebtoken::Algorithm::EdDSA,
    }
}

/// A verifying key from a public JWK whose `alg` is one of ours.
pub fn verifying_key(
    jwk: &serde_json::Value,
) -> Option<(jsonwebtoken::DecodingKey, jsonwebtoken::Algorithm)> {
    let alg = super::signing_key::SigningAlg::parse(jwk.get("alg")?.as_str()?)?;
    let parsed: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).ok()?;
    Some((
        jsonwebtoken::DecodingKey::from_jwk(&parsed).ok()?,
        jwt_algorithm(alg),
    ))
}
