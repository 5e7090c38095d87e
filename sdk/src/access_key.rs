//! Access keys as keygate hands them out: a secret key (`kg_sk_…`) or a private key (`kg_pk_…`).

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::private_key::{self, PrivateKeyBundle};
use crate::{random_id, unix_now, Error};

/// The prefix of every secret access key.
pub const SECRET_PREFIX: &str = "kg_sk_";

/// How long a client assertion is valid: keygate accepts at most five minutes.
const ASSERTION_SECONDS: i64 = 60;

/// A parsed access key. `Debug` shows its kind and id, never the key.
///
/// ```
/// use keygate_sdk::AccessKey;
///
/// let key = AccessKey::parse("kg_sk_acc_0123456789abcdefghijkl_secret").unwrap();
/// assert!(matches!(key, AccessKey::Secret(_)));
/// assert!(!format!("{key:?}").contains("0123456789"));
/// ```
pub enum AccessKey {
    /// A secret key: the `client_secret` with HTTP Basic, or an API key on its own.
    Secret(SecretString),
    /// A private key that signs `private_key_jwt` client assertions.
    Private(Box<PrivateAccessKey>),
}

/// A private access key, parsed once into a signing key.
pub struct PrivateAccessKey {
    bundle: PrivateKeyBundle,
    signing_key: EncodingKey,
    alg: Algorithm,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccessKey::Secret(_) => f.write_str("AccessKey::Secret(kg_sk_…)"),
            AccessKey::Private(key) => f
                .debug_struct("AccessKey::Private")
                .field("client_id", &key.bundle.client_id)
                .field("key_id", &key.bundle.key_id())
                .finish_non_exhaustive(),
        }
    }
}

impl AccessKey {
    /// Reads a `kg_sk_…` or `kg_pk_…` string (surrounding whitespace ignored).
    pub fn parse(input: &str) -> Result<AccessKey, Error> {
        let input = input.trim();
        if let Some(rest) = input.strip_prefix(SECRET_PREFIX) {
            if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(Error::InvalidKey("malformed secret key".into()));
            }
            return Ok(AccessKey::Secret(SecretString::from(input)));
        }
        if input.starts_with(private_key::PREFIX) {
            return PrivateAccessKey::parse(input).map(|key| AccessKey::Private(Box::new(key)));
        }
        Err(Error::InvalidKey(
            "not a keygate access key (expected kg_sk_… or kg_pk_…)".into(),
        ))
    }

    /// The keygate a private key was made by; secret keys do not say.
    pub fn issuer(&self) -> Option<&str> {
        match self {
            AccessKey::Secret(_) => None,
            AccessKey::Private(key) => Some(&key.bundle.issuer),
        }
    }
}

impl PrivateAccessKey {
    fn parse(input: &str) -> Result<PrivateAccessKey, Error> {
        let invalid = |e: private_key::PrivateKeyError| Error::InvalidKey(e.to_string());
        let bundle = PrivateKeyBundle::parse(input).map_err(invalid)?;
        let pkcs8 = bundle.to_pkcs8().map_err(invalid)?;
        let (signing_key, alg) = match bundle.alg() {
            "EdDSA" => (EncodingKey::from_ed_der(&pkcs8), Algorithm::EdDSA),
            "ES256" => (EncodingKey::from_ec_der(&pkcs8), Algorithm::ES256),
            _ => {
                // jsonwebtoken's RSA signer reads PKCS#1.
                use rsa::pkcs1::EncodeRsaPrivateKey;
                use rsa::pkcs8::DecodePrivateKey;
                let pkcs1 = rsa::RsaPrivateKey::from_pkcs8_der(&pkcs8)
                    .and_then(|key| Ok(key.to_pkcs1_der()?))
                    .map_err(|_| Error::InvalidKey("the RSA key does not encode".into()))?;
                (
                    EncodingKey::from_rsa_der(pkcs1.as_bytes()),
                    Algorithm::RS256,
                )
            }
        };
        Ok(PrivateAccessKey {
            bundle,
            signing_key,
            alg,
        })
    }

    /// The service client the key belongs to.
    pub fn client_id(&self) -> &str {
        &self.bundle.client_id
    }

    /// A fresh one-minute client assertion for `audience` (RFC 7523 §3: iss = sub = client_id, a single-use jti).
    pub fn assertion(&self, audience: &str) -> Result<String, Error> {
        let now = unix_now();
        let claims = json!({
            "iss": self.bundle.client_id,
            "sub": self.bundle.client_id,
            "aud": audience,
            "iat": now,
            "exp": now + ASSERTION_SECONDS,
            "jti": random_id(),
        });
        let mut header = Header::new(self.alg);
        header.kid = Some(self.bundle.key_id().to_string());
        jsonwebtoken::encode(&header, &claims, &self.signing_key)
            .map_err(|e| Error::InvalidKey(format!("cannot sign with this key: {e}")))
    }
}

impl AccessKey {
    /// The secret, for the HTTP layer only.
    pub(crate) fn secret(&self) -> Option<&str> {
        match self {
            AccessKey::Secret(secret) => Some(secret.expose_secret()),
            AccessKey::Private(_) => None,
        }
    }
}
