//! Private access keys: `kg_pk_` + base64url(JSON `{client_id, issuer, jwk}`) (DESIGN.md §2). The private JWK has
//! `kid` = the access key id and `alg`, so any JOSE library can sign a `private_key_jwt` assertion with it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The prefix of every private access key.
pub const PREFIX: &str = "kg_pk_";

/// Why a string is not a private access key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PrivateKeyError {
    #[error("not a keygate private key (expected the prefix kg_pk_)")]
    BadPrefix,
    #[error("malformed private key: {0}")]
    Malformed(String),
}

/// The decoded contents of a private access key. `Debug` never shows the JWK.
#[derive(Clone, Serialize, Deserialize)]
pub struct PrivateKeyBundle {
    pub client_id: String,
    pub issuer: String,
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
        let json = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| PrivateKeyError::Malformed("not base64url".into()))?;
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
        self.jwk
            .get("kid")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_round_trip_and_hide_their_jwk_from_debug() {
        let bundle = PrivateKeyBundle {
            client_id: "sc_x".into(),
            issuer: "http://127.0.0.1:8080".into(),
            jwk: serde_json::json!({"kty": "OKP", "kid": "acc_x", "d": "c2VjcmV0"}),
        };
        let encoded = bundle.encode();
        assert!(encoded.starts_with(PREFIX));
        assert!(encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
        assert_eq!(PrivateKeyBundle::parse(&encoded).unwrap().key_id(), "acc_x");
        assert!(!format!("{bundle:?}").contains("c2VjcmV0"));
        assert_eq!(
            PrivateKeyBundle::parse("kg_sk_x").unwrap_err(),
            PrivateKeyError::BadPrefix
        );
    }
}
