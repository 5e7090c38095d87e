//! DPoP proofs at a resource server (RFC 9449 §7): a token bound to a key (`cnf.jkt`) is accepted only with a fresh
//! proof, signed by that key, for this very request and this very token.

use std::time::Duration;

use aws_lc_rs::digest::{digest, SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::Error;

/// How far a proof's `iat` may be from this server's clock; its `jti` is remembered that long.
const IAT_WINDOW: i64 = 60;
/// The algorithms a proof may use: asymmetric only (RFC 9449 §4.2). Also the `algs` of the challenge.
pub(crate) const ALGORITHMS: &str = "ES256 ES384 RS256 PS256 EdDSA";

/// The request a DPoP proof must have been made for: its method and its URL as the client called it (scheme, host
/// and path; query and fragment are ignored).
#[derive(Debug, Clone, Copy)]
pub struct ProvedRequest<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// `https://api.example.com/documents/1`
    pub url: &'a str,
}

#[derive(Deserialize)]
struct ProofClaims {
    jti: String,
    htm: String,
    htu: String,
    iat: i64,
    ath: Option<String>,
}

/// The `jti`s of accepted proofs, per key, for the window: a proof is accepted once by this process.
pub(crate) struct SpentProofs(moka::sync::Cache<String, ()>);

impl SpentProofs {
    pub(crate) fn new() -> SpentProofs {
        SpentProofs(
            moka::sync::Cache::builder()
                .max_capacity(1_000_000)
                .time_to_live(Duration::from_secs(2 * IAT_WINDOW as u64))
                .build(),
        )
    }

    /// Checks `proof` for `request` and `access_token`, made with the key whose thumbprint is `jkt`.
    pub(crate) fn check(
        &self,
        proof: &str,
        request: ProvedRequest<'_>,
        access_token: &str,
        jkt: &str,
    ) -> Result<(), Error> {
        let refused = |why: &str| Error::InvalidDpopProof(why.to_string());
        let header = jsonwebtoken::decode_header(proof).map_err(|_| refused("not a JWT"))?;
        if header.typ.as_deref() != Some("dpop+jwt") {
            return Err(refused("typ is not dpop+jwt"));
        }
        if !ALGORITHMS.split(' ').any(|a| a.parse() == Ok(header.alg)) {
            return Err(refused("alg is not an allowed asymmetric algorithm"));
        }
        let jwk = header.jwk.ok_or_else(|| refused("no jwk in the header"))?;
        if jwk.thumbprint(ThumbprintHash::SHA256) != jkt {
            return Err(refused("not made with the key the token is bound to"));
        }
        let key = DecodingKey::from_jwk(&jwk).map_err(|_| refused("unusable jwk"))?;
        let claims = jsonwebtoken::decode::<ProofClaims>(proof, &key, &validation(header.alg))
            .map_err(|e| refused(&e.to_string()))?
            .claims;
        if claims.htm != request.method {
            return Err(refused("htm is not this request's method"));
        }
        if !htu_matches(&claims.htu, request.url) {
            return Err(refused("htu is not this request's URL"));
        }
        if (claims.iat - crate::unix_now()).abs() > IAT_WINDOW {
            return Err(refused("iat is too far from now"));
        }
        let ath = URL_SAFE_NO_PAD.encode(digest(&SHA256, access_token.as_bytes()));
        if claims.ath.as_deref() != Some(ath.as_str()) {
            return Err(refused("ath is not the access token's hash"));
        }
        let entry = self.0.entry(format!("{jkt}.{}", claims.jti)).or_insert(());
        match entry.is_fresh() {
            true => Ok(()),
            false => Err(refused("the proof was already used")),
        }
    }
}

/// The signature and the proof's own algorithm; the claims are checked by hand (a proof has no `exp`).
fn validation(alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation
}

/// Whether a DPoP proof's `htu` names the request URL `url` (RFC 9449 §4.3): both without query and fragment,
/// compared after the syntax- and scheme-based normalisation of RFC 3986 §6.2.2 and §6.2.3 (the URL parser's).
/// keygate checks its own proofs with this too.
///
/// ```
/// assert!(keygate_sdk::htu_matches("https://API.example:443/documents/1", "https://api.example/documents/1?x=1"));
/// assert!(!keygate_sdk::htu_matches("https://api.example/documents/1", "https://api.example/documents/2"));
/// assert!(!keygate_sdk::htu_matches("not a url", "not a url"));
/// ```
pub fn htu_matches(htu: &str, url: &str) -> bool {
    let target = |text: &str| {
        let mut parsed = url::Url::parse(text).ok()?;
        parsed.set_query(None);
        parsed.set_fragment(None);
        Some(parsed)
    };
    matches!((target(htu), target(url)), (Some(a), Some(b)) if a == b)
}
