//! Private access keys: `kg_pk_` + base64url(JSON `{client_id, issuer, jwk}`). The private JWK has `kid` = the
//! access key id and `alg`, so any JOSE library can sign a `private_key_jwt` client assertion (RFC 7523) with it.
//! keygate makes these strings with this module, and the SDK reads them with it.

use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

/// The prefix of every private access key.
pub const PREFIX: &str = "kg_pk_";

/// Why a string is not a usable private access key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PrivateKeyError {
    /// The string does not start with `kg_pk_`.
    #[error("not a keygate private key (expected the prefix kg_pk_)")]
    BadPrefix,
    /// The string or its JWK is damaged.
    #[error("malformed private key: {0}")]
    Malformed(String),
}

/// The decoded contents of a private access key. `Debug` never shows the JWK.
///
/// ```
/// use keygate_sdk::private_key::PrivateKeyBundle;
/// use serde_json::json;
///
/// let bundle = PrivateKeyBundle {
///     client_id: "sc_example".into(),
///     issuer: "http://127.0.0.1:8080".into(),
///     jwk: json!({"kty": "OKP", "crv": "Ed25519", "kid": "acc_example", "alg": "EdDSA", "x": "", "d": ""}),
/// };
/// let parsed = PrivateKeyBundle::parse(&bundle.encode()).unwrap();
/// assert_eq!(parsed.key_id(), "acc_example");
/// ```
#[derive(Clone, Serialize, Deserialize)]
pub struct PrivateKeyBundle {
    /// The service client the key belongs to.
    pub client_id: String,
    /// The keygate that made the key.
    pub issuer: String,
    /// The private JWK, with `kid` and `alg`.
    pub jwk: Value,
}

impl std::fmt::Debug for PrivateKeyBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKeyBundle")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl PrivateKeyBundle {
    /// The `kg_pk_…` string, to be shown exactly once.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(json))
    }

    /// Decodes a `kg_pk_…` string.
    pub fn parse(input: &str) -> Result<PrivateKeyBundle, PrivateKeyError> {
        let encoded = input
            .trim()
            .strip_prefix(PREFIX)
            .ok_or(PrivateKeyError::BadPrefix)?;
        let json = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(encoded)
                .map_err(|_| PrivateKeyError::Malformed("not base64url".into()))?,
        );
        let bundle: PrivateKeyBundle =
            serde_json::from_slice(&json).map_err(|e| PrivateKeyError::Malformed(e.to_string()))?;
        if bundle.jwk.get("kid").and_then(Value::as_str).is_none() || bundle.jwk.get("d").is_none()
        {
            return Err(PrivateKeyError::Malformed(
                "the JWK needs a kid and its private part".into(),
            ));
        }
        Ok(bundle)
    }

    /// The access key id (`kid` of the JWK).
    pub fn key_id(&self) -> &str {
        self.member("kid")
    }

    /// The JWS algorithm of the key (`EdDSA`, `ES256` or `RS256`).
    pub fn alg(&self) -> &str {
        self.member("alg")
    }

    fn member(&self, name: &str) -> &str {
        self.jwk
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The private key as PKCS#8 DER.
    pub fn to_pkcs8(&self) -> Result<Zeroizing<Vec<u8>>, PrivateKeyError> {
        pkcs8_from_private_jwk(&self.jwk)
    }
}

/// PKCS#8 DER of a private JWK made by keygate (Ed25519, P-256 or RSA, named by its `alg`).
pub fn pkcs8_from_private_jwk(jwk: &Value) -> Result<Zeroizing<Vec<u8>>, PrivateKeyError> {
    let text = |name: &str| jwk.get(name).and_then(Value::as_str).unwrap_or_default();
    let bytes = |name: &str| {
        URL_SAFE_NO_PAD
            .decode(text(name))
            .map(Zeroizing::new)
            .map_err(|_| PrivateKeyError::Malformed(format!("JWK member {name} is not base64url")))
    };
    let invalid = |_| PrivateKeyError::Malformed("the JWK is not a valid key".into());
    let der = match text("alg") {
        "EdDSA" => Ed25519KeyPair::from_seed_unchecked(&bytes("d")?)
            .map_err(|_| PrivateKeyError::Malformed("the JWK is not a valid key".into()))?
            .to_pkcs8v1()
            .map_err(invalid)?
            .as_ref()
            .to_vec(),
        "ES256" => {
            let point = [vec![4u8], bytes("x")?.to_vec(), bytes("y")?.to_vec()].concat();
            EcdsaKeyPair::from_private_key_and_public_key(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                &bytes("d")?,
                &point,
            )
            .map_err(|_| PrivateKeyError::Malformed("the JWK is not a valid key".into()))?
            .to_pkcs8v1()
            .map_err(invalid)?
            .as_ref()
            .to_vec()
        }
        "RS256" => {
            use rsa::pkcs8::EncodePrivateKey;
            let big = |name: &str| bytes(name).map(|b| rsa::BigUint::from_bytes_be(&b));
            rsa::RsaPrivateKey::from_components(
                big("n")?,
                big("e")?,
                big("d")?,
                vec![big("p")?, big("q")?],
            )
            .and_then(|key| Ok(key.to_pkcs8_der()?.as_bytes().to_vec()))
            .map_err(|_| PrivateKeyError::Malformed("the JWK is not a valid key".into()))?
        }
        other => {
            return Err(PrivateKeyError::Malformed(format!(
                "unsupported alg {other:?}"
            )))
        }
    };
    Ok(Zeroizing::new(der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_round_trip_and_hide_their_jwk_from_debug() {
        let bundle = PrivateKeyBundle {
            client_id: "sc_x".into(),
            issuer: "http://localhost".into(),
            jwk: serde_json::json!({"kid": "acc_1", "alg": "EdDSA", "d": "c2VjcmV0"}),
        };
        let parsed = PrivateKeyBundle::parse(&bundle.encode()).unwrap();
        assert_eq!((parsed.key_id(), parsed.alg()), ("acc_1", "EdDSA"));
        assert!(!format!("{parsed:?}").contains("c2VjcmV0"));
    }

    #[test]
    fn damaged_strings_are_refused() {
        assert_eq!(
            PrivateKeyBundle::parse("kg_sk_x").unwrap_err(),
            PrivateKeyError::BadPrefix
        );
        assert!(PrivateKeyBundle::parse("kg_pk_!!").is_err());
        let no_private_part = format!(
            "{PREFIX}{}",
            URL_SAFE_NO_PAD.encode(r#"{"client_id":"a","issuer":"b","jwk":{"kid":"c"}}"#)
        );
        assert!(PrivateKeyBundle::parse(&no_private_part).is_err());
    }
}
