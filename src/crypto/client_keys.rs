//! Client key pairs for `private_key_jwt`: server-generated ones (Ed25519, P-256, RSA) whose private JWK is handed
//! out once, and public keys that clients upload as a JWK or PEM. Only public JWKs are ever stored.

use aws_lc_rs::encoding::AsBigEndian;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, ParsedPublicKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::der::Decode;
use rsa::pkcs8::spki::SubjectPublicKeyInfoRef;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use serde_json::{json, Map, Value};

use super::signing_key::Signer;
use crate::domain::access_key::{KeyKind, KeyRequest, NewAccessKey};
use crate::domain::ids::IdKind;
use crate::domain::private_key::PrivateKeyBundle;
use crate::domain::secret_key::SecretKey;
use crate::domain::signing_alg::SigningAlg;

const RSA_MIN_BITS: usize = 2048;
const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_ED25519: &str = "1.3.101.112";
/// JWK members that only a private key has (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2).
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// A generated key pair as JWKs: the private one to hand out once, the public one to store.
pub struct GeneratedClientKey {
    pub private_jwk: Value,
    pub public_jwk: Value,
}

/// Why an uploaded public key is refused; each says what to do instead.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyUploadError {
    #[error("this is a private key: upload only the public part (the server never needs your private key)")]
    PrivateMaterial,
    #[error("RSA keys must have at least 2048 bits (this one has {0})")]
    RsaTooShort(usize),
    #[error(
        "unsupported key type or curve: use RSA (RS256), EC P-256 (ES256) or OKP Ed25519 (EdDSA)"
    )]
    Unsupported,
    #[error("the key's alg {0:?} does not match its type (use RS256, ES256 or EdDSA)")]
    AlgMismatch(String),
    #[error("malformed public key: {0}")]
    Malformed(String),
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn failed<E>(_: E) -> anyhow::Error {
    anyhow::anyhow!("key generation failed")
}

/// Generates a key pair for `alg`; both JWKs carry `kid` and `alg`.
pub fn generate(alg: SigningAlg, kid: &str) -> anyhow::Result<GeneratedClientKey> {
    let (public, private_extra) = match alg {
        SigningAlg::EdDSA => {
            let pair = Ed25519KeyPair::generate().map_err(failed)?;
            let seed = pair.seed().map_err(failed)?.as_be_bytes().map_err(failed)?;
            let public =
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key().as_ref())});
            (public, json!({"d": b64(seed.as_ref())}))
        }
        SigningAlg::ES256 => {
            let pair = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
                .map_err(failed)?;
            let scalar = pair.private_key().as_be_bytes().map_err(failed)?;
            let (x, y) = pair.public_key().as_ref()[1..].split_at(32);
            let public = json!({"kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y)});
            (public, json!({"d": b64(scalar.as_ref())}))
        }
        SigningAlg::RS256 => generate_rsa()?,
    };
    let mut public_jwk = public;
    public_jwk["kid"] = json!(kid);
    public_jwk["alg"] = json!(alg.as_str());
    public_jwk["use"] = json!("sig");
    let mut private_jwk = public_jwk.clone();
    if let (Some(target), Value::Object(extra)) = (private_jwk.as_object_mut(), private_extra) {
        target.extend(extra);
    }
    Ok(GeneratedClientKey {
        private_jwk,
        public_jwk,
    })
}

fn generate_rsa() -> anyhow::Result<(Value, Value)> {
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, RSA_MIN_BITS)?;
    let [p, q] = key.primes() else {
        anyhow::bail!("RSA key without two primes")
    };
    let be = |n: &rsa::BigUint| b64(&n.to_bytes_be());
    let (dp, dq) = (key.dp().map(be), key.dq().map(be));
    let qi = key.crt_coefficient().map(|c| be(&c));
    let public = json!({"kty": "RSA", "n": be(key.n()), "e": be(key.e())});
    let private = json!({"d": be(key.d()), "p": be(p), "q": be(q), "dp": dp, "dq": dq, "qi": qi});
    Ok((public, private))
}

/// A signer for a private JWK made by `generate` (the JWK inside a `kg_pk_` key).
pub fn signer_from_private_jwk(jwk: &Value) -> anyhow::Result<Signer> {
    let pkcs8 = keygate_sdk::private_key::pkcs8_from_private_jwk(jwk)?;
    let text = |name: &str| jwk.get(name).and_then(Value::as_str).unwrap_or_default();
    let alg = SigningAlg::parse(text("alg"))
        .ok_or_else(|| anyhow::anyhow!("the key has no supported alg"))?;
    Signer::from_pkcs8(text("kid"), alg, &pkcs8)
}

/// Whether a JWK holds private key material.
pub fn has_private_members(jwk: &Value) -> bool {
    jwk.as_object()
        .is_some_and(|jwk| PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)))
}

/// Reads an uploaded public key (a JWK object, or a PEM string) into a normalized public JWK and its algorithm.
pub fn parse_public_key(input: &Value) -> Result<(Value, SigningAlg), KeyUploadError> {
    match input {
        Value::Object(jwk) => parse_jwk(jwk),
        Value::String(pem) => parse_pem(pem),
        _ => Err(KeyUploadError::Malformed(
            "public_key must be a JWK object or a PEM string".into(),
        )),
    }
}

fn parse_jwk(jwk: &Map<String, Value>) -> Result<(Value, SigningAlg), KeyUploadError> {
    if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
        return Err(KeyUploadError::PrivateMaterial);
    }
    let member = |name: &str| -> Result<Vec<u8>, KeyUploadError> {
        let text = jwk.get(name).and_then(Value::as_str);
        let text =
            text.ok_or_else(|| KeyUploadError::Malformed(format!("missing member {name:?}")))?;
        URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| KeyUploadError::Malformed(format!("{name:?} is not base64url")))
    };
    let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or_default();
    let crv = jwk.get("crv").and_then(Value::as_str).unwrap_or_default();
    let (normalized, alg) = match (kty, crv) {
        ("RSA", _) => (rsa_public(&member("n")?, &member("e")?)?, SigningAlg::RS256),
        ("EC", "P-256") => (ec_public(&member("x")?, &member("y")?)?, SigningAlg::ES256),
        ("OKP", "Ed25519") => (ed25519_public(&member("x")?)?, SigningAlg::EdDSA),
        _ => return Err(KeyUploadError::Unsupported),
    };
    if let Some(declared) = jwk.get("alg").and_then(Value::as_str) {
        if declared != alg.as_str() {
            return Err(KeyUploadError::AlgMismatch(declared.to_string()));
        }
    }
    Ok((normalized, alg))
}

fn parse_pem(pem: &str) -> Result<(Value, SigningAlg), KeyUploadError> {
    if pem.contains("PRIVATE KEY") {
        return Err(KeyUploadError::PrivateMaterial);
    }
    let malformed = |e: &dyn std::fmt::Display| KeyUploadError::Malformed(e.to_string());
    let (label, der) =
        rsa::pkcs8::der::pem::decode_vec(pem.trim().as_bytes()).map_err(|e| malformed(&e))?;
    if label == "RSA PUBLIC KEY" {
        let key = rsa::RsaPublicKey::from_pkcs1_der(&der).map_err(|e| malformed(&e))?;
        return Ok((
            rsa_public(&key.n().to_bytes_be(), &key.e().to_bytes_be())?,
            SigningAlg::RS256,
        ));
    }
    if label != "PUBLIC KEY" {
        return Err(KeyUploadError::Malformed(format!(
            "unexpected PEM label {label:?}"
        )));
    }
    let spki = SubjectPublicKeyInfoRef::from_der(&der).map_err(|e| malformed(&e))?;
    let bits = spki.subject_public_key.raw_bytes();
    match spki.algorithm.oid.to_string().as_str() {
        OID_RSA => {
            let key = rsa::RsaPublicKey::from_public_key_der(&der).map_err(|e| malformed(&e))?;
            Ok((
                rsa_public(&key.n().to_bytes_be(), &key.e().to_bytes_be())?,
                SigningAlg::RS256,
            ))
        }
        OID_EC => {
            let curve = spki
                .algorithm
                .parameters_oid()
                .map(|oid| oid.to_string())
                .unwrap_or_default();
            if curve != OID_P256 || bits.len() != 65 || bits[0] != 4 {
                return Err(KeyUploadError::Unsupported);
            }
            Ok((ec_public(&bits[1..33], &bits[33..])?, SigningAlg::ES256))
        }
        OID_ED25519 => Ok((ed25519_public(bits)?, SigningAlg::EdDSA)),
        _ => Err(KeyUploadError::Unsupported),
    }
}

fn rsa_public(n: &[u8], e: &[u8]) -> Result<Value, KeyUploadError> {
    let modulus = rsa::BigUint::from_bytes_be(n);
    let bits = modulus.bits();
    if bits < RSA_MIN_BITS {
        return Err(KeyUploadError::RsaTooShort(bits));
    }
    rsa::RsaPublicKey::new(modulus, rsa::BigUint::from_bytes_be(e))
        .map_err(|e| KeyUploadError::Malformed(e.to_string()))?;
    Ok(json!({"kty": "RSA", "n": b64(n.strip_prefix(&[0]).unwrap_or(n)), "e": b64(e)}))
}

fn ec_public(x: &[u8], y: &[u8]) -> Result<Value, KeyUploadError> {
    let point = [&[4u8][..], x, y].concat();
    ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point)
        .map_err(|_| KeyUploadError::Malformed("not a point on P-256".into()))?;
    Ok(json!({"kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y)}))
}

fn ed25519_public(x: &[u8]) -> Result<Value, KeyUploadError> {
    if x.len() != 32 {
        return Err(KeyUploadError::Malformed(
            "an Ed25519 public key is 32 bytes".into(),
        ));
    }
    Ok(json!({"kty": "OKP", "crv": "Ed25519", "x": b64(x)}))
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
            let pair = generate(alg, &id).map_err(|e| KeyUploadError::Malformed(e.to_string()))?;
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
            let (mut jwk, alg) = parse_public_key(&input)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_public_keys_upload_cleanly_and_private_ones_are_refused() {
        for alg in [SigningAlg::EdDSA, SigningAlg::ES256, SigningAlg::RS256] {
            let key = generate(alg, "acc_test").unwrap();
            let (normalized, parsed_alg) = parse_public_key(&key.public_jwk).unwrap();
            assert_eq!(parsed_alg, alg);
            assert_eq!(normalized["kty"], key.public_jwk["kty"]);
            assert_eq!(
                parse_public_key(&key.private_jwk),
                Err(KeyUploadError::PrivateMaterial)
            );
        }
    }

    #[test]
    fn generated_private_jwks_sign() {
        for alg in [SigningAlg::EdDSA, SigningAlg::ES256, SigningAlg::RS256] {
            let key = generate(alg, "acc_test").unwrap();
            let signer = signer_from_private_jwk(&key.private_jwk).unwrap();
            assert_eq!((signer.kid.as_str(), signer.alg), ("acc_test", alg));
            assert!(!signer.sign(b"message").unwrap().is_empty());
        }
    }

    #[test]
    fn short_rsa_unknown_curves_and_bad_points_are_refused() {
        let short = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 1024).unwrap();
        let jwk = json!({"kty": "RSA", "n": b64(&short.n().to_bytes_be()), "e": "AQAB"});
        assert_eq!(
            parse_public_key(&jwk),
            Err(KeyUploadError::RsaTooShort(1024))
        );
        let p384 = json!({"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"});
        assert_eq!(parse_public_key(&p384), Err(KeyUploadError::Unsupported));
        let off_curve =
            json!({"kty": "EC", "crv": "P-256", "x": b64(&[1; 32]), "y": b64(&[2; 32])});
        assert!(matches!(
            parse_public_key(&off_curve),
            Err(KeyUploadError::Malformed(_))
        ));
    }

    #[test]
    fn pem_public_keys_are_read_and_pem_private_keys_refused() {
        use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
        let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        let pem = key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        let (jwk, alg) = parse_public_key(&Value::String(pem)).unwrap();
        assert_eq!((jwk["kty"].as_str(), alg), (Some("RSA"), SigningAlg::RS256));
        let private = key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
        assert_eq!(
            parse_public_key(&Value::String(private)),
            Err(KeyUploadError::PrivateMaterial)
        );
    }
}
