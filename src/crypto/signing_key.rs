//! Signing keys: generation (RSA through the `rsa` crate, EC and Ed25519 through aws-lc-rs), their public JWK, and a
//! parsed key pair that signs without re-parsing the private key on every token.

use anyhow::Context;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING,
    RSA_PKCS1_SHA256,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::domain::ids::random_base62;
use crate::domain::signing_alg::SigningAlg;

/// A freshly generated key pair: its id, its private key as PKCS#8 DER, and its public JWK.
pub struct GeneratedKey {
    pub kid: String,
    pub alg: SigningAlg,
    pub pkcs8: Zeroizing<Vec<u8>>,
    pub public_jwk: Value,
}

/// Generates a key pair for `alg`. RSA generation takes a while: call it off the async executor.
pub fn generate(alg: SigningAlg) -> anyhow::Result<GeneratedKey> {
    let kid = random_base62(16);
    let (pkcs8, key_fields) = match alg {
        SigningAlg::RS256 => generate_rsa()?,
        SigningAlg::ES256 => {
            let doc = EcdsaKeyPair::generate_pkcs8(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                &SystemRandom::new(),
            )
            .map_err(|_| anyhow::anyhow!("P-256 key generation failed"))?;
            let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref())?;
            // An uncompressed point: 0x04 ‖ x ‖ y.
            let point = pair.public_key().as_ref();
            let (x, y) = point[1..].split_at(32);
            let fields = json!({"kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y)});
            (Zeroizing::new(doc.as_ref().to_vec()), fields)
        }
        SigningAlg::EdDSA => {
            let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
                .map_err(|_| anyhow::anyhow!("Ed25519 key generation failed"))?;
            let pair = Ed25519KeyPair::from_pkcs8(doc.as_ref())?;
            let fields =
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key().as_ref())});
            (Zeroizing::new(doc.as_ref().to_vec()), fields)
        }
    };
    let mut public_jwk = key_fields;
    public_jwk["kid"] = json!(kid);
    public_jwk["alg"] = json!(alg.as_str());
    public_jwk["use"] = json!("sig");
    Ok(GeneratedKey {
        kid,
        alg,
        pkcs8,
        public_jwk,
    })
}

fn generate_rsa() -> anyhow::Result<(Zeroizing<Vec<u8>>, Value)> {
    use rsa::pkcs8::EncodePrivateKey;
    use rsa::traits::PublicKeyParts;
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
        .context("RSA key generation failed")?;
    let der = key.to_pkcs8_der().context("RSA key encoding failed")?;
    let fields =
        json!({"kty": "RSA", "n": b64(&key.n().to_bytes_be()), "e": b64(&key.e().to_bytes_be())});
    Ok((Zeroizing::new(der.as_bytes().to_vec()), fields))
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

enum KeyPairKind {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A parsed private key, ready to sign: parsing happens once, when the key is loaded.
pub struct Signer {
    pub kid: String,
    pub alg: SigningAlg,
    pair: KeyPairKind,
    rng: SystemRandom,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Parses a PKCS#8 DER private key for `alg`.
    pub fn from_pkcs8(kid: &str, alg: SigningAlg, der: &[u8]) -> anyhow::Result<Signer> {
        let pair = match alg {
            SigningAlg::RS256 => KeyPairKind::Rsa(RsaKeyPair::from_pkcs8(der)?),
            SigningAlg::ES256 => KeyPairKind::Ecdsa(EcdsaKeyPair::from_pkcs8(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                der,
            )?),
            SigningAlg::EdDSA => KeyPairKind::Ed25519(Ed25519KeyPair::from_pkcs8(der)?),
        };
        Ok(Signer {
            kid: kid.to_string(),
            alg,
            pair,
            rng: SystemRandom::new(),
        })
    }

    /// The JWS signature of `message` (RFC 7518 §3: PKCS#1 v1.5, fixed-width r ‖ s, or Ed25519).
    pub fn sign(&self, message: &[u8]) -> anyhow::Result<Vec<u8>> {
        let failed = |_| anyhow::anyhow!("signing failed");
        match &self.pair {
            KeyPairKind::Rsa(pair) => {
                let mut signature = vec![0u8; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut signature)
                    .map_err(failed)?;
                Ok(signature)
            }
            KeyPairKind::Ecdsa(pair) => Ok(pair
                .sign(&self.rng, message)
                .map_err(failed)?
                .as_ref()
                .to_vec()),
            KeyPairKind::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_generates_a_key_that_signs() {
        for alg in [SigningAlg::RS256, SigningAlg::ES256, SigningAlg::EdDSA] {
            let key = generate(alg).unwrap();
            assert_eq!(key.public_jwk["kid"], key.kid.as_str());
            let signer = Signer::from_pkcs8(&key.kid, alg, &key.pkcs8).unwrap();
            assert!(!signer.sign(b"message").unwrap().is_empty());
        }
    }
}
