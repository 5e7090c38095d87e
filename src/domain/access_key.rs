//! Access keys of each kind (docs/contract.md, "Access keys"): what a caller asks for, what is stored, and what is
//! shown exactly once. `crypto::client_keys::make` makes them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::secret_key::StoredSecret;
use super::signing_alg::SigningAlg;

/// The kinds of access key.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
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

    pub fn parse(name: &str) -> Option<KeyKind> {
        [KeyKind::Secret, KeyKind::PrivateKey, KeyKind::PublicKey]
            .into_iter()
            .find(|k| k.as_str() == name)
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
