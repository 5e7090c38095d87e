//! DPoP (RFC 9449): proofs at the token endpoint bind tokens to a key; every edge that takes a bound token demands
//! a proof of that key for its own request, once.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use serde_json::{json, Value};

use crate::authorization_code::{code_for, setup, REDIRECT, VERIFIER};
use crate::helpers::{basic, json_with_status, spawn_app, TestApp, TestClient};

/// A client's DPoP key pair, as a JOSE library would hold it.
enum DpopKey {
    Es256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl DpopKey {
    fn es256() -> DpopKey {
        DpopKey::Es256(EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap())
    }

    fn ed25519() -> DpopKey {
        DpopKey::Ed25519(Ed25519KeyPair::generate().unwrap())
    }

    fn alg(&self) -> &'static str {
        match self {
            DpopKey::Es256(_) => "ES256",
            DpopKey::Ed25519(_) => "EdDSA",
        }
    }

    fn public_jwk(&self) -> Value {
        match self {
            DpopKey::Es256(pair) => {
                let (x, y) = pair.public_key().as_ref()[1..].split_at(32);
                json!({"kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y)})
            }
            DpopKey::Ed25519(pair) => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key().as_ref())})
            }
        }
    }

    /// RFC 7638's thumbprint, computed here from its definition.
    fn thumbprint(&self) -> String {
        let jwk = self.public_jwk();
        let canonical = match self {
            DpopKey::Es256(_) => format!(
                r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                jwk["x"].as_str().unwrap(),
                jwk["y"].as_str().unwrap()
            ),
            DpopKey::Ed25519(_) => format!(
                r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
                jwk["x"].as_str().unwrap()
            ),
        };
        b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes()).as_ref())
    }

    fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature = match self {
            DpopKey::Es256(pair) => pair
                .sign(&SystemRandom::new(), input.as_bytes())
                .unwrap()
                .as_ref()
                .to_vec(),
            DpopKey::Ed25519(pair) => pair.sign(input.as_bytes()).as_ref().to_vec(),
        };
        format!("{input}.{}", b64(&signature))
    }

    fn header(&self) -> Value {
        json!({"typ": "dpop+jwt", "alg": self.alg(), "jwk": self.public_jwk()})
    }

    /// A fresh proof for `method` `url`, with `ath` for `access_token` when given.
    fn proof(&self, method: &str, url: &str, access_token: Option<&str>) -> String {
        self.sign(&self.header(), &claims(method, url, access_token))
    }
}

fn claims(method: &str, url: &str, access_token: Option<&str>) -> Value {
    let mut claims = json!({
        "jti": keygate::domain::ids::random_base62(16),
        "htm": method,
        "htu": url,
        "iat": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(),
    });
    if let Some(token) = access_token {
        let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
        claims["ath"] = json!(b64(hash.as_ref()));
    }
    claims
}

/// The claims of a JWT, unverified (the tests around it check the signature where it matters).
fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// A client_credentials request of `client` carrying `proof` in the DPoP header.
async fn token_with_proof(app: &TestApp, client: &TestClient, proof: &str) -> reqwest::Response {
    app.http
        .post(app.url("/oauth/token"))
        .header(AUTHORIZATION, basic(&client.id, &client.secret))
        .header("DPoP", proof)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

/// A client_credentials access token of `client` bound to `key`.
async fn bound_token(app: &TestApp, client: &TestClient, key: &DpopKey) -> String {
    let proof = key.proof("POST", &app.url("/oauth/token"), None);
    let answer = json_with_status(token_with_proof(app, client, &proof).await, 200).await;
    answer["access_token"].as_str().unwrap().to_string()
}

/// `/v1/verify` as a resource server asks it for a request `GET https://api.example/documents/1`.
async fn verify(app: &TestApp, authorization: &str, proof: Option<&str>) -> reqwest::Response {
    let mut request = app
        .http
        .post(app.url("/v1/verify?htm=GET&htu=https%3A%2F%2Fapi.example%2Fdocuments%2F1"))
        .header(AUTHORIZATION, authorization);
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    request.send().await.unwrap()
}

const RESOURCE: &str = "https://api.example/documents/1";

async fn error_of(response: reqwest::Response, status: u16) -> String {
    let body = json_with_status(response, status).await;
    body["error"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn a_proof_binds_the_token_to_its_key_and_a_resource_demands_a_proof_of_that_key() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    let key = DpopKey::es256();
    let endpoint = app.url("/oauth/token");

    let answer = token_with_proof(&app, &client, &key.proof("POST", &endpoint, None)).await;
    let answer = json_with_status(answer, 200).await;
    assert_eq!(answer["token_type"], "DPoP");
    let token = answer["access_token"].as_str().unwrap();
    assert_eq!(jwt_claims(token)["cnf"]["jkt"], key.thumbprint());

    // Presented as Bearer, a bound token is refused, with both challenges so the caller learns the scheme.
    let refused = verify(&app, &format!("Bearer {token}"), None).await;
    let challenges: Vec<_> = refused
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        challenges
            .iter()
            .any(|c| c.starts_with("DPoP ") && c.contains("algs=")),
        "{challenges:?}"
    );
    assert_eq!(error_of(refused, 401).await, "invalid_token");

    // With a proof of its key for the resource's request, it is the client's identity, with cnf.
    let proof = key.proof("GET", RESOURCE, Some(token));
    let identity = json_with_status(
        verify(&app, &format!("DPoP {token}"), Some(&proof)).await,
        200,
    )
    .await;
    assert_eq!(identity["client_id"], client.id.as_str());
    assert_eq!(identity["cnf"]["jkt"], key.thumbprint());

    // The same proof again is a replay; a proof by another key, or for another request, or without ath, fails.
    let replayed = verify(&app, &format!("DPoP {token}"), Some(&proof)).await;
    assert_eq!(error_of(replayed, 401).await, "invalid_dpop_proof");
    let thief = DpopKey::es256().proof("GET", RESOURCE, Some(token));
    assert_eq!(
        error_of(
            verify(&app, &format!("DPoP {token}"), Some(&thief)).await,
            401
        )
        .await,
        "invalid_dpop_proof"
    );
    let elsewhere = key.proof("GET", "https://api.example/documents/2", Some(token));
    assert_eq!(
        error_of(
            verify(&app, &format!("DPoP {token}"), Some(&elsewhere)).await,
            401
        )
        .await,
        "invalid_dpop_proof"
    );
    let no_ath = key.proof("GET", RESOURCE, None);
    assert_eq!(
        error_of(
            verify(&app, &format!("DPoP {token}"), Some(&no_ath)).await,
            401
        )
        .await,
        "invalid_dpop_proof"
    );
    let no_proof = verify(&app, &format!("DPoP {token}"), None).await;
    assert_eq!(error_of(no_proof, 401).await, "invalid_dpop_proof");

    // An unbound token is not accepted under the DPoP scheme.
    let plain = app.token_for(&client).await;
    let proof = key.proof("GET", RESOURCE, Some(&plain));
    assert_eq!(
        error_of(
            verify(&app, &format!("DPoP {plain}"), Some(&proof)).await,
            401
        )
        .await,
        "invalid_token"
    );

    // Introspection reports the binding (RFC 9449 §6.2).
    let introspected = app
        .post_form(
            "/oauth/introspect",
            &[("token", token)],
            Some(&basic(&client.id, &client.secret)),
        )
        .await;
    let introspected = json_with_status(introspected, 200).await;
    assert_eq!(introspected["token_type"], "DPoP");
    assert_eq!(introspected["cnf"]["jkt"], key.thumbprint());

    let metadata = json_with_status(
        app.get("/.well-known/oauth-authorization-server").await,
        200,
    )
    .await;
    let algs = metadata["dpop_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    assert!(
        algs.contains(&json!("ES256")) && algs.contains(&json!("EdDSA")),
        "{algs:?}"
    );
}

#[actix_web::test]
async fn proofs_that_do_not_hold_are_invalid_dpop_proof_at_the_token_endpoint() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    let key = DpopKey::ed25519();
    let endpoint = app.url("/oauth/token");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();

    let mut old = claims("POST", &endpoint, None);
    old["iat"] = json!(now - 600);
    let mut no_jti = claims("POST", &endpoint, None);
    no_jti.as_object_mut().unwrap().remove("jti");
    let mut private_jwk = key.header();
    private_jwk["jwk"]["d"] = json!(b64(&[7; 32]));
    let mut untyped = key.header();
    untyped["typ"] = json!("JWT");
    let mut symmetric = key.header();
    symmetric["alg"] = json!("HS256");
    let mut mismatched = key.header();
    mismatched["alg"] = json!("ES256");
    let signed = key.proof("POST", &endpoint, None);
    let tampered = format!("{}x", &signed[..signed.len() - 1]);
    let cases = [
        ("wrong method", key.proof("GET", &endpoint, None)),
        (
            "wrong url",
            key.proof("POST", &app.url("/oauth/introspect"), None),
        ),
        ("iat ten minutes ago", key.sign(&key.header(), &old)),
        ("no jti", key.sign(&key.header(), &no_jti)),
        (
            "private key in the header",
            key.sign(&private_jwk, &claims("POST", &endpoint, None)),
        ),
        (
            "typ JWT",
            key.sign(&untyped, &claims("POST", &endpoint, None)),
        ),
        (
            "alg HS256",
            key.sign(&symmetric, &claims("POST", &endpoint, None)),
        ),
        (
            "alg of another key type",
            key.sign(&mismatched, &claims("POST", &endpoint, None)),
        ),
        // The cases above verified with this key, so each node knows its header by now: a signature must still
        // be the header's key's, not another's under the same header.
        ("bad signature", tampered),
        (
            "another key's signature under this key's header",
            DpopKey::ed25519().sign(&key.header(), &claims("POST", &endpoint, None)),
        ),
        ("not a JWT", "not-a-jwt".to_string()),
    ];
    for (case, proof) in cases {
        let answer = json_with_status(token_with_proof(&app, &client, &proof).await, 400).await;
        assert_eq!(answer["error"], "invalid_dpop_proof", "{case}: {answer}");
    }

    // A proof is accepted once: the same one again is a replay.
    let proof = key.proof("POST", &endpoint, None);
    json_with_status(token_with_proof(&app, &client, &proof).await, 200).await;
    let replay = json_with_status(token_with_proof(&app, &client, &proof).await, 400).await;
    assert_eq!(replay["error"], "invalid_dpop_proof");
    assert!(
        replay["error_description"]
            .as_str()
            .unwrap()
            .contains("already used"),
        "{replay}"
    );

    // Two DPoP headers are refused (RFC 9449 §4.3).
    let twice = app
        .http
        .post(&endpoint)
        .header(AUTHORIZATION, basic(&client.id, &client.secret))
        .header("DPoP", key.proof("POST", &endpoint, None))
        .header("DPoP", key.proof("POST", &endpoint, None))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of_oauth(twice).await, "invalid_dpop_proof");
}

#[actix_web::test]
async fn a_proof_sent_many_times_at_once_is_accepted_once_beside_fresh_ones() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    let key = DpopKey::es256();
    let endpoint = app.url("/oauth/token");
    // Replays land in the same group as their original and in later ones; fresh proofs share their groups.
    let replayed = key.proof("POST", &endpoint, None);
    let fresh: Vec<String> = (0..20)
        .map(|_| key.proof("POST", &endpoint, None))
        .collect();
    let requests = (0..20).flat_map(|i| [replayed.clone(), fresh[i].clone()]);
    let answers = futures_util::future::join_all(requests.map(|proof| {
        let (app, client) = (&app, &client);
        async move { token_with_proof(app, client, &proof).await.status() }
    }))
    .await;
    let (of_replayed, of_fresh): (Vec<_>, Vec<_>) =
        answers.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let accepted = of_replayed
        .iter()
        .filter(|(_, s)| s.as_u16() == 200)
        .count();
    assert_eq!(accepted, 1, "{answers:?}");
    assert!(
        of_replayed
            .iter()
            .all(|(_, s)| matches!(s.as_u16(), 200 | 400)),
        "{answers:?}"
    );
    assert!(
        of_fresh.iter().all(|(_, s)| s.as_u16() == 200),
        "{answers:?}"
    );
}

async fn error_of_oauth(response: reqwest::Response) -> String {
    let body = json_with_status(response, 400).await;
    body["error"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn a_client_that_requires_dpop_gets_no_token_without_a_proof_and_keygate_takes_its_bound_token(
) {
    let app = spawn_app().await;
    let admin = app.admin().clone();
    let admin_token = app.admin_token().await;
    let changed = app
        .api(
            reqwest::Method::PATCH,
            &format!("/v1/clients/{}", admin.id),
            &admin_token,
            Some(json!({"dpop_bound_access_tokens": true})),
        )
        .await;
    let changed = json_with_status(changed, 200).await;
    assert_eq!(changed["dpop_bound_access_tokens"], true);

    let without = app.token_basic(&admin, "").await;
    assert_eq!(error_of_oauth(without).await, "invalid_dpop_proof");

    let key = DpopKey::es256();
    let token = bound_token(&app, &admin, &key).await;

    // keygate's own API is a resource too: the bound token needs a proof of its key for each request.
    let clients = app.url("/v1/clients");
    let listed = app
        .http
        .get(&clients)
        .header(AUTHORIZATION, format!("DPoP {token}"))
        .header("DPoP", key.proof("GET", &clients, Some(&token)))
        .send()
        .await
        .unwrap();
    json_with_status(listed, 200).await;
    let as_bearer = app
        .api(reqwest::Method::GET, "/v1/clients", &token, None)
        .await;
    assert_eq!(error_of(as_bearer, 401).await, "invalid_token");
}

#[actix_web::test]
async fn a_public_clients_refresh_tokens_are_bound_to_the_key_that_began_the_sign_in() {
    let app = spawn_app().await;
    let client_id = setup(&app, "Bound SPA").await;
    let key = DpopKey::es256();
    let endpoint = app.url("/oauth/token");
    let code = code_for(&app, &client_id).await;
    let post = |form: Vec<(&'static str, String)>, proof: Option<String>| {
        let mut request = app.http.post(&endpoint).form(&form);
        if let Some(proof) = proof {
            request = request.header("DPoP", proof);
        }
        request.send()
    };
    let exchange = vec![
        ("grant_type", "authorization_code".to_string()),
        ("client_id", client_id.clone()),
        ("code", code),
        ("redirect_uri", REDIRECT.to_string()),
        ("code_verifier", VERIFIER.to_string()),
    ];
    let answer = post(exchange, Some(key.proof("POST", &endpoint, None)))
        .await
        .unwrap();
    let answer = json_with_status(answer, 200).await;
    assert_eq!(answer["token_type"], "DPoP");
    let refresh_token = answer["refresh_token"].as_str().unwrap().to_string();
    let refresh = |token: &str| {
        vec![
            ("grant_type", "refresh_token".to_string()),
            ("client_id", client_id.clone()),
            ("refresh_token", token.to_string()),
        ]
    };

    // Without a proof, or with another key's, the refresh token is worth nothing to whoever stole it.
    let stolen = post(refresh(&refresh_token), None).await.unwrap();
    assert_eq!(error_of_oauth(stolen).await, "invalid_grant");
    let thief = DpopKey::es256().proof("POST", &endpoint, None);
    let stolen = post(refresh(&refresh_token), Some(thief)).await.unwrap();
    assert_eq!(error_of_oauth(stolen).await, "invalid_grant");

    // The key's holder refreshes, and the rotated token stays bound.
    let answer = post(
        refresh(&refresh_token),
        Some(key.proof("POST", &endpoint, None)),
    )
    .await
    .unwrap();
    let answer = json_with_status(answer, 200).await;
    assert_eq!(answer["token_type"], "DPoP");
    assert_eq!(
        jwt_claims(answer["access_token"].as_str().unwrap())["cnf"]["jkt"],
        key.thumbprint()
    );
    let next = answer["refresh_token"].as_str().unwrap();
    let unproved = post(refresh(next), None).await.unwrap();
    assert_eq!(error_of_oauth(unproved).await, "invalid_grant");
}

#[actix_web::test]
async fn the_sdks_extractor_takes_a_bound_token_only_with_a_fresh_proof_for_its_request() {
    let app = spawn_app().await;
    let (documents, reader, _) = crate::document_repository::world(&app).await;
    let key = DpopKey::es256();
    let token = bound_token(&app, &reader, &key).await;
    let welcome = format!("{documents}/documents/welcome");
    let get = |authorization: String, proof: Option<String>| {
        let mut request = app.http.get(&welcome).header(AUTHORIZATION, authorization);
        if let Some(proof) = proof {
            request = request.header("DPoP", proof);
        }
        request.send()
    };

    let proof = key.proof("GET", &welcome, Some(&token));
    let read = get(format!("DPoP {token}"), Some(proof.clone()))
        .await
        .unwrap();
    assert_eq!(read.status(), 200);

    let replayed = get(format!("DPoP {token}"), Some(proof)).await.unwrap();
    let challenge = replayed.headers()[WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.starts_with("DPoP realm=\"documents\"")
            && challenge.contains("invalid_dpop_proof"),
        "{challenge}"
    );
    assert_eq!(error_of(replayed, 401).await, "invalid_dpop_proof");

    let as_bearer = get(format!("Bearer {token}"), None).await.unwrap();
    assert!(as_bearer.headers()[WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .starts_with("DPoP "));
    assert_eq!(error_of(as_bearer, 401).await, "invalid_token");

    let thief = DpopKey::es256().proof("GET", &welcome, Some(&token));
    let stolen = get(format!("DPoP {token}"), Some(thief)).await.unwrap();
    assert_eq!(error_of(stolen, 401).await, "invalid_dpop_proof");
    let other_document = key.proof("GET", &format!("{documents}/documents/other"), Some(&token));
    let elsewhere = get(format!("DPoP {token}"), Some(other_document))
        .await
        .unwrap();
    assert_eq!(error_of(elsewhere, 401).await, "invalid_dpop_proof");
}

/// oauth4webapi's own DPoP handle, as its documentation uses it: the token it gets is bound to its key, and it calls
/// keygate's API as a protected resource with a proof per request; the same token as Bearer is refused.
#[actix_web::test]
async fn oauth4webapi_binds_its_token_with_its_dpop_handle_and_calls_keygate_with_proofs() {
    let app = spawn_app().await;
    let admin = app.admin().clone();
    let answer = crate::helpers::run_node(
        "oauth4webapi.mjs",
        &["dpop", &app.address, &admin.id, &admin.secret],
    );
    assert!(
        answer["token_type"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case("DPoP"),
        "{answer}"
    );
    assert_eq!(
        answer["cnf"]["jkt"], answer["jkt"],
        "bound to the library's own key"
    );
    assert_eq!(answer["resource_status"], 200, "{answer}");
    assert_eq!(answer["bearer_status"], 401, "{answer}");
}
