//! Making access keys of each kind (DESIGN.md §2): what to store, and what to show the caller exactly once.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ids::IdKind;
use super::private_key::PrivateKeyBundle;
use super::secret_key::{SecretKey, StoredSecret};
use crate::crypto::client_keys::{self, KeyUploadError};
use crate::crypto::signing_key::SigningAlg;

/// The kinds of access key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    Secret,
    PrivateKey,
    PublicKey,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Secret => "secret",
            KeyKind::PrivateKey => "private_key",
            KeyKind::PublicKey => "public_key",
        }
    }
}

/// What the caller asked for.
pub enum KeyRequest {
    Secret,
    PrivateKey(SigningAlg),
    PublicKey(Value),
}

/// A new key: what the database keeps, and the one-time string for the caller (none for uploaded keys).
pub struct NewAccessKey {
    pub id: String,
    pub kind: KeyKind,
    pub stored_secret: Option<StoredSecret>,
    pub public_jwk: Option<Value>,
    pub alg: Option<SigningAlg>,
    pub shown_once: Option<String>,
}

/// Makes a key for `client_id`. RSA generation is slow: call this off the async executor.
pub fn make(
    request: KeyRequest,
    client_id: &str,
    issuer: &str,
) -> Result<NewAccessKey, KeyUploadError> {
    match request {
        KeyRequest::Secret => {
            let key = SecretKey::generate();
            Ok(NewAccessKey {
                id: key.key_id().to_string(),
                kind: KeyKind::Secret,
                stored_secret: Some(key.to_stored()),
                public_jwk: None,
                alg: None,
                shown_once: Some(key.expose().to_string()),
            })
        }
        KeyRequest::PrivateKey(alg) => {
            let id = IdKind::AccessKey.generate();
            let pair = client_keys::generate(alg, &id)
                .map_err(|e| KeyUploadError::Malformed(e.to_string()))?;
            let bundle = PrivateKeyBundle {
                client_id: client_id.into(),
                issuer: issuer.into(),
                jwk: pair.private_jwk,
            };
            Ok(NewAccessKey {
                id,
                kind: KeyKind::PrivateKey,
                stored_secret: None,
                public_jwk: Some(pair.public_jwk),
                alg: Some(alg),
                shown_once: Some(bundle.encode()),
            })
        }
        KeyRequest::PublicKey(input) => {
            let (mut jwk, alg) = client_keys::parse_public_key(&input)?;
            let id = IdKind::AccessKey.generate();
            jwk["kid"] = Value::String(id.clone());
            jwk["alg"] = Value::String(alg.as_str().into());
            Ok(NewAccessKey {
                id,
                kind: KeyKind::PublicKey,
                stored_secret: None,
                public_jwk: Some(jwk),
                alg: Some(alg),
                shown_once: None,
            })
        }
    }
}
