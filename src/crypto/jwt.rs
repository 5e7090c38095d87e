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
