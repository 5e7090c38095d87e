//! The master key: AES-256-GCM over signing keys' private parts, so that a copy of the database alone signs nothing.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

const KEY_LEN: usize = 32;
const FORMS_LABEL: &[u8] = b"keygate page forms v1";

/// The key that seals signing keys, and the key for page forms derived from it. `Debug` shows nothing of them.
pub struct MasterKey {
    sealing: LessSafeKey,
    forms: hmac::Key,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

/// A sealed value could not be opened: wrong master key, or the ciphertext was altered.
#[derive(Debug, thiserror::Error)]
#[error("the master key does not decrypt this value (wrong master key, or altered data)")]
pub struct OpenError;

impl MasterKey {
    /// The configured key (`master_key`), else the one in `file`, which is created (0600) when absent.
    pub fn load(configured: Option<&SecretString>, path: &Path) -> anyhow::Result<MasterKey> {
        if let Some(encoded) = configured {
            return MasterKey::decode(encoded.expose_secret())
                .context("KEYGATE_MASTER_KEY is invalid");
        }
        if !path.exists() {
            create_key_file(path)?;
            tracing::warn!(
                path = %path.display(),
                "generated a new master key file; back it up and give every node the same key \
                 (KEYGATE_MASTER_KEY or KEYGATE_MASTER_KEY_FILE): signing keys cannot be decrypted without it"
            );
        }
        let contents = Zeroizing::new(
            fs::read_to_string(path)
                .with_context(|| format!("cannot read master key file {}", path.display()))?,
        );
        MasterKey::decode(contents.trim())
            .with_context(|| format!("master key file {} is invalid", path.display()))
    }

    /// Base64 of exactly 32 bytes.
    pub fn decode(encoded: &str) -> anyhow::Result<MasterKey> {
        let bytes = Zeroizing::new(STANDARD.decode(encoded.trim()).context("not base64")?);
        anyhow::ensure!(
            bytes.len() == KEY_LEN,
            "must be {KEY_LEN} bytes, base64-encoded (openssl rand -base64 32)"
        );
        let key =
            UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| anyhow::anyhow!("unusable key"))?;
        // A separate key for each purpose (RFC 5869): nothing signed for a form can open a sealed value.
        let forms = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &bytes), FORMS_LABEL);
        Ok(MasterKey {
            sealing: LessSafeKey::new(key),
            forms: hmac::Key::new(hmac::HMAC_SHA256, forms.as_ref()),
        })
    }

    /// The HMAC key that binds page forms' CSRF tokens to this deployment (the same on every node).
    pub fn forms_key(&self) -> &hmac::Key {
        &self.forms
    }

    /// Encrypts `plaintext`, bound to `context` (e.g. the key id), as nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> anyhow::Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| anyhow::anyhow!("no randomness"))?;
        let mut buffer = plaintext.to_vec();
        self.sealing
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                &mut buffer,
            )
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        let mut sealed = nonce.to_vec();
        sealed.append(&mut buffer);
        Ok(sealed)
    }

    /// Decrypts what `seal` made with the same `context`.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        if sealed.len() < NONCE_LEN {
            return Err(OpenError);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| OpenError)?;
        let mut buffer = Zeroizing::new(ciphertext.to_vec());
        let plaintext_len = self
            .sealing
            .open_in_place(nonce, Aad::from(context), &mut buffer)
            .map_err(|_| OpenError)?
            .len();
        buffer.truncate(plaintext_len);
        Ok(buffer)
    }
}

/// A fresh random master key, base64-encoded.
pub fn generate_encoded() -> anyhow::Result<Zeroizing<String>> {
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    SystemRandom::new()
        .fill(bytes.as_mut())
        .map_err(|_| anyhow::anyhow!("no randomness"))?;
    Ok(Zeroizing::new(STANDARD.encode(bytes.as_ref())))
}

fn create_key_file(path: &Path) -> anyhow::Result<()> {
    let encoded = generate_encoded()?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create master key file {}", path.display()))?;
    writeln!(file, "{}", encoded.as_str())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_context() {
        let key = MasterKey::decode(&generate_encoded().unwrap()).unwrap();
        let sealed = key.seal(b"kid-1", b"private").unwrap();
        assert_eq!(key.open(b"kid-1", &sealed).unwrap().as_slice(), b"private");
        assert!(key.open(b"kid-2", &sealed).is_err());
        let other = MasterKey::decode(&generate_encoded().unwrap()).unwrap();
        assert!(other.open(b"kid-1", &sealed).is_err());
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(MasterKey::decode(&STANDARD.encode([0u8; 16])).is_err());
    }
}
