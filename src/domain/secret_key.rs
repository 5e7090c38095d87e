//! Secret access keys: `kg_sk_<key id>_<256-bit secret><checksum>` (docs/contract.md, "Access keys").
//!
//! The prefix lets secret scanners find leaked keys, the CRC32 checksum (as in GitHub's token format) rejects typos
//! without a database read, and the key id inside finds the stored key with one indexed read. The database keeps a
//! per-key salt and SHA-256(salt ‖ key): the secret is 256 random bits, so a password KDF would add cost, not safety.

use aws_lc_rs::digest::{Context, SHA256};
use rand::rngs::OsRng;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::ids::{encode_base62_fixed, is_base62, random_base62, IdKind};

/// The prefix of every secret access key.
pub const PREFIX: &str = "kg_sk_";

/// A kind of opaque secret in this format: its prefix and the kind of id inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretFormat {
    pub prefix: &'static str,
    pub id_kind: IdKind,
}

/// Secret access keys: `kg_sk_acc_…`.
pub const ACCESS_KEY: SecretFormat = SecretFormat {
    prefix: PREFIX,
    id_kind: IdKind::AccessKey,
};
/// Refresh tokens: `kg_rt_rt_…`, the same shape, so that they too are found by scanners and checked without a read.
pub const REFRESH_TOKEN: SecretFormat = SecretFormat {
    prefix: "kg_rt_",
    id_kind: IdKind::RefreshToken,
};
/// Initial access tokens for dynamic client registration: `kg_iat_rgt_…`.
pub const INITIAL_ACCESS_TOKEN: SecretFormat = SecretFormat {
    prefix: "kg_iat_",
    id_kind: IdKind::RegistrationToken,
};
/// Registration access tokens, each of one registered client: `kg_rat_rat_…`.
pub const REGISTRATION_ACCESS_TOKEN: SecretFormat = SecretFormat {
    prefix: "kg_rat_",
    id_kind: IdKind::RegistrationAccess,
};
/// Base62 characters of the secret part: 62^43 > 2^256.
const SECRET_LEN: usize = 43;
const CHECKSUM_LEN: usize = 6;

/// Why a string is not a well-formed secret access key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretKeyError {
    #[error("not a keygate secret key (expected the prefix kg_sk_)")]
    BadPrefix,
    #[error("malformed secret key")]
    Malformed,
    #[error("secret key checksum does not match (mistyped or truncated key)")]
    BadChecksum,
}

/// A whole secret access key, parsed and checksum-verified. Never printed by `Debug`.
pub struct SecretKey {
    key_id: String,
    full: SecretString,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// What the database keeps of a secret key: a random salt and SHA-256(salt ‖ key).
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSecret {
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

impl SecretKey {
    /// A new random key with a new key id.
    pub fn generate() -> SecretKey {
        SecretKey::generate_in(ACCESS_KEY)
    }

    /// A new random secret of `format` with a new id.
    pub fn generate_in(format: SecretFormat) -> SecretKey {
        let key_id = format.id_kind.generate();
        let body = format!("{}{key_id}_{}", format.prefix, random_base62(SECRET_LEN));
        let full = format!("{body}{}", checksum(&body));
        SecretKey {
            key_id,
            full: full.into(),
        }
    }

    /// Parses and checks the shape and checksum of `input`, without any database read.
    pub fn parse(input: &str) -> Result<SecretKey, SecretKeyError> {
        SecretKey::parse_in(ACCESS_KEY, input)
    }

    /// Parses a secret of `format`.
    pub fn parse_in(format: SecretFormat, input: &str) -> Result<SecretKey, SecretKeyError> {
        let rest = input
            .strip_prefix(format.prefix)
            .ok_or(SecretKeyError::BadPrefix)?;
        let id_len = format.id_kind.id_len();
        if rest.len() != id_len + 1 + SECRET_LEN + CHECKSUM_LEN || !rest.is_ascii() {
            return Err(SecretKeyError::Malformed);
        }
        let (key_id, tail) = rest.split_at(id_len);
        let secret_and_sum = tail.strip_prefix('_').ok_or(SecretKeyError::Malformed)?;
        if !format.id_kind.matches(key_id) || !is_base62(secret_and_sum) {
            return Err(SecretKeyError::Malformed);
        }
        let (body, sum) = input.split_at(input.len() - CHECKSUM_LEN);
        if checksum(body).as_bytes().ct_eq(sum.as_bytes()).unwrap_u8() != 1 {
            return Err(SecretKeyError::BadChecksum);
        }
        Ok(SecretKey {
            key_id: key_id.to_string(),
            full: input.to_string().into(),
        })
    }

    /// The access key id (`acc_…`) embedded in the key.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The whole key string, to be shown exactly once.
    pub fn expose(&self) -> &str {
        self.full.expose_secret()
    }

    /// Salts and hashes this key for storage.
    pub fn to_stored(&self) -> StoredSecret {
        let mut salt = vec![0u8; 16];
        OsRng.fill_bytes(&mut salt);
        let hash = salted_sha256(&salt, self.expose());
        StoredSecret { salt, hash }
    }

    /// Whether this key is the one `stored` was made from; compares in constant time.
    pub fn matches(&self, stored: &StoredSecret) -> bool {
        let hash = salted_sha256(&stored.salt, self.expose());
        hash.ct_eq(&stored.hash).into()
    }
}

fn salted_sha256(salt: &[u8], key: &str) -> Vec<u8> {
    let mut context = Context::new(&SHA256);
    context.update(salt);
    context.update(key.as_bytes());
    context.finish().as_ref().to_vec()
}

fn checksum(body: &str) -> String {
    encode_base62_fixed(u64::from(crc32fast::hash(body.as_bytes())), CHECKSUM_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_back_with_their_key_id() {
        let key = SecretKey::generate();
        let parsed = SecretKey::parse(key.expose()).expect("a generated key parses");
        assert_eq!(parsed.key_id(), key.key_id());
        assert!(key
            .expose()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_'));
    }

    #[test]
    fn a_single_changed_character_fails_the_checksum() {
        let key = SecretKey::generate();
        let mut chars: Vec<char> = key.expose().chars().collect();
        let i = chars.len() - 10;
        chars[i] = if chars[i] == 'a' { 'b' } else { 'a' };
        let typo: String = chars.into_iter().collect();
        assert_eq!(
            SecretKey::parse(&typo).unwrap_err(),
            SecretKeyError::BadChecksum
        );
    }

    #[test]
    fn wrong_shapes_are_refused() {
        assert_eq!(
            SecretKey::parse("ghp_abc").unwrap_err(),
            SecretKeyError::BadPrefix
        );
        assert_eq!(
            SecretKey::parse("kg_sk_short").unwrap_err(),
            SecretKeyError::Malformed
        );
        let key = SecretKey::generate();
        let truncated = &key.expose()[..key.expose().len() - 1];
        assert_eq!(
            SecretKey::parse(truncated).unwrap_err(),
            SecretKeyError::Malformed
        );
    }

    #[test]
    fn stored_secret_matches_only_its_key() {
        let key = SecretKey::generate();
        let stored = key.to_stored();
        assert!(key.matches(&stored));
        assert!(!SecretKey::generate().matches(&stored));
        assert!(!format!("{:?}", key).contains(key.expose()));
    }
}
