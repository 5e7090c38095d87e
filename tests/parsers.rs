//! Property tests for every parser of outside input: whatever arrives, none may panic, and what keygate itself
//! writes parses back to the same thing. Inputs are arbitrary text and bytes, and near-misses built from the real
//! formats (a valid key with one character changed, base64 of arbitrary bytes behind `Basic `, JWT-shaped and
//! JWK-shaped junk), which reach deeper than random text does.
#![allow(clippy::unwrap_used)]

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use keygate::credentials::client::decode_basic;
use keygate::crypto::client_keys::parse_public_key;
use keygate::crypto::jwt::{self, VerifyingKeys};
use keygate::crypto::signing_key::generate;
use keygate::domain::resource::{Resource, ResourcePattern};
use keygate::domain::secret_key::SecretKey;
use keygate::domain::signing_alg::SigningAlg;
use keygate::domain::{pkce, scope};
use keygate::form::OAuthForm;
use keygate_sdk::private_key::PrivateKeyBundle;
use proptest::prelude::*;
use secrecy::ExposeSecret;
use serde_json::{json, Value};

/// Arbitrary JSON values, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::hash_map(".{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// JWK-shaped objects: the real member names with arbitrary or base64url values.
fn jwk_like() -> impl Strategy<Value = Value> {
    let member = prop_oneof![
        Just("kty"),
        Just("crv"),
        Just("x"),
        Just("y"),
        Just("n"),
        Just("e"),
        Just("alg"),
        Just("kid"),
        Just("use"),
        Just("d")
    ];
    let value = prop_oneof![
        prop_oneof![
            Just("RSA"),
            Just("EC"),
            Just("OKP"),
            Just("P-256"),
            Just("Ed25519"),
            Just("RS256"),
            Just("ES256"),
            Just("EdDSA"),
            Just("AQAB")
        ]
        .prop_map(Value::from),
        prop::collection::vec(any::<u8>(), 0..300)
            .prop_map(|b| Value::from(URL_SAFE_NO_PAD.encode(b))),
        json_value(),
    ];
    prop::collection::vec((member, value), 0..8).prop_map(|pairs| {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    })
}

/// Three base64url segments of arbitrary JSON or bytes: a JWT to the eye.
fn jwt_like() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        json_value().prop_map(|v| URL_SAFE_NO_PAD.encode(v.to_string())),
        prop::collection::vec(any::<u8>(), 0..200).prop_map(|b| URL_SAFE_NO_PAD.encode(b)),
        ".{0,30}",
    ];
    (segment.clone(), segment.clone(), segment).prop_map(|(h, c, s)| format!("{h}.{c}.{s}"))
}

/// A string with one character replaced, inserted or removed.
fn mutated(original: String) -> impl Strategy<Value = String> {
    let len = original.chars().count();
    (0..=len, any::<char>(), 0..3u8).prop_map(move |(at, c, how)| {
        let mut chars: Vec<char> = original.chars().collect();
        match how {
            0 if at < chars.len() => chars[at] = c,
            1 => chars.insert(at, c),
            _ if at < chars.len() => {
                chars.remove(at);
            }
            _ => chars.push(c),
        }
        chars.into_iter().collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn basic_headers_never_panic(text in ".{0,200}", bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode_basic(text.as_bytes());
        let _ = decode_basic(format!("Basic {}", STANDARD.encode(&bytes)).as_bytes());
        let _ = decode_basic(&bytes);
    }

    #[test]
    fn basic_credentials_round_trip(id in "[A-Za-z0-9_]{1,40}", secret in "[ -~]{1,60}") {
        // RFC 6749 §2.3.1: each part form-encoded, then joined and base64-encoded.
        let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let header = format!("Basic {}", STANDARD.encode(format!("{}:{}", encode(&id), encode(&secret))));
        let (decoded_id, decoded_secret) = decode_basic(header.as_bytes()).unwrap();
        prop_assert_eq!(decoded_id, id);
        prop_assert_eq!(decoded_secret.expose_secret(), secret.as_str());
    }

    #[test]
    fn form_bodies_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), text in "([a-z_]{1,12}=[^&]{0,20}&?){0,12}") {
        let _ = OAuthForm::parse(&bytes);
        if let Ok(form) = OAuthForm::parse(text.as_bytes()) {
            let _ = form.get("grant_type");
            let _ = form.resources();
        }
    }

    #[test]
    fn secret_keys_never_panic_and_a_changed_key_is_refused(text in ".{0,120}", which in 0..1000usize) {
        let _ = SecretKey::parse(&text);
        let key = SecretKey::generate();
        let reparsed = SecretKey::parse(key.expose()).unwrap();
        prop_assert_eq!(reparsed.key_id(), key.key_id());
        let mut changed: Vec<char> = key.expose().chars().collect();
        let at = which % changed.len();
        changed[at] = if changed[at] == 'A' { 'B' } else { 'A' };
        let changed: String = changed.into_iter().collect();
        // The checksum catches every single-character typo (or the key still matches only its own hash).
        if let Ok(parsed) = SecretKey::parse(&changed) {
            prop_assert!(!parsed.matches(&key.to_stored()));
        }
    }

    #[test]
    fn mutated_secret_keys_never_panic(input in mutated(SecretKey::generate().expose().to_string())) {
        let _ = SecretKey::parse(&input);
    }

    #[test]
    fn private_keys_never_panic(text in ".{0,200}", bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = PrivateKeyBundle::parse(&text);
        let _ = PrivateKeyBundle::parse(&format!("kg_pk_{}", URL_SAFE_NO_PAD.encode(&bytes)));
        let _ = keygate_sdk::AccessKey::parse(&text);
    }

    #[test]
    fn client_assertions_never_panic(token in jwt_like(), text in ".{0,100}") {
        for input in [&token, &text] {
            if let Some(jws) = jwt::Jws::parse(input) {
                let _ = jws.unverified_claims::<Value>();
            }
        }
    }

    #[test]
    fn uploaded_public_keys_never_panic(jwk in jwk_like(), any_json in json_value(), pem_body in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_public_key(&jwk);
        let _ = parse_public_key(&any_json);
        let pem = format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", STANDARD.encode(&pem_body));
        let _ = parse_public_key(&Value::from(pem));
        let _ = jwt::verifying_key(&jwk);
    }

    #[test]
    fn resource_patterns_never_panic_and_normal_forms_round_trip(text in ".{0,80}", path in "(/[a-z0-9%*.]{0,6}){0,5}(/\\*)?") {
        let _ = Resource::parse(&text);
        let _ = ResourcePattern::parse(&text);
        if let Ok(pattern) = ResourcePattern::parse(&path) {
            let again = ResourcePattern::parse(&pattern.to_text()).unwrap();
            prop_assert_eq!(again.to_text(), pattern.to_text());
            prop_assert!(again.covers(&pattern) && pattern.covers(&again));
        }
    }

    #[test]
    fn scopes_and_pkce_never_panic(text in ".{0,200}") {
        let allowed = vec!["documents:read".to_string()];
        let _ = scope::grant(Some(&text), &allowed, &allowed);
        let _ = pkce::is_valid_challenge(&text);
        let _ = pkce::is_valid_verifier(&text);
        let _ = pkce::verify(&text, &text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Access tokens presented to `/v1/verify` and introspection: arbitrary, JWT-shaped, or a real one altered.
    #[test]
    fn access_tokens_never_panic(token in jwt_like(), text in ".{0,200}", at in any::<prop::sample::Index>()) {
        let key = generate(SigningAlg::EdDSA).unwrap();
        let signer = keygate::crypto::signing_key::Signer::from_pkcs8(&key.kid, SigningAlg::EdDSA, &key.pkcs8).unwrap();
        let mut keys = VerifyingKeys::new();
        keys.insert(key.kid.clone(), jwt::verifying_key(&key.public_jwk).unwrap());
        let real = jwt::encode(&signer, "at+jwt", &json!({"iss": "https://k", "sub": "sc_x", "exp": 4_000_000_000u64})).unwrap();
        // One character inside the claims segment (not its last, whose low bits base64 may ignore).
        let mut altered = real.clone().into_bytes();
        let (start, end) = (real.find('.').unwrap() + 1, real.rfind('.').unwrap() - 1);
        let i = start + at.index(end - start);
        altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        for candidate in [&token, &text, &altered] {
            let _ = jwt::verify::<Value>(&keys, candidate, "at+jwt", "https://k", 5);
        }
        prop_assert!(jwt::verify::<Value>(&keys, &real, "at+jwt", "https://k", 5).is_ok());
        prop_assert!(jwt::verify::<Value>(&keys, &altered, "at+jwt", "https://k", 5).is_err());
    }
}
