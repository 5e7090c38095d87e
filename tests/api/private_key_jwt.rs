//! `private_key_jwt` (RFC 7523): assertions signed with keys made by keygate or uploaded, from Rust, Python and the
//! CLI, and every way an assertion can be wrong.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use keygate::crypto::client_keys::signer_from_private_jwk;
use keygate::domain::ids::random_base62;
use keygate::domain::private_key::PrivateKeyBundle;
use keygate::domain::time::UnixTime;
use serde_json::{json, Value};

use crate::helpers::{json_with_status, run_python, spawn_app, verify_with_jwks, TestApp};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A `kg_pk_` key of a new client, made through the API.
async fn private_key(app: &TestApp, alg: &str) -> (String, PrivateKeyBundle) {
    let admin = app.admin_token().await;
    let client = app.create_client(&["--scope", "documents:read"]);
    let key = app
        .api_post(
            &format!("/v1/clients/{}/keys", client.id),
            &admin,
            json!({"kind": "private_key", "alg": alg}),
        )
        .await;
    let text = key["key"].as_str().unwrap().to_string();
    (text.clone(), PrivateKeyBundle::parse(&text).unwrap())
}

/// Standard claims for `bundle`'s client, to be altered by each test.
fn claims(app: &TestApp, bundle: &PrivateKeyBundle) -> Value {
    let now = UnixTime::now().seconds();
    json!({
        "iss": bundle.client_id, "sub": bundle.client_id, "aud": app.url("/oauth/token"),
        "iat": now, "exp": now + 60, "jti": random_base62(22),
    })
}

fn sign(bundle: &PrivateKeyBundle, claims: &Value) -> String {
    keygate::crypto::jwt::encode(
        &signer_from_private_jwk(&bundle.jwk).unwrap(),
        "JWT",
        claims,
    )
    .unwrap()
}

async fn token_with_assertion(app: &TestApp, assertion: &str) -> reqwest::Response {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    app.post_form("/oauth/token", &form, None).await
}

async fn assert_invalid_client(response: reqwest::Response) {
    invalid_client(response).await;
}

/// Asserts a 401 `invalid_client` (no Basic challenge: no Authorization header was sent); its description.
async fn invalid_client(response: reqwest::Response) -> String {
    assert!(response.headers().get("www-authenticate").is_none());
    let body = json_with_status(response, 401).await;
    assert_eq!(body["error"], "invalid_client");
    body["error_description"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn assertions_signed_with_each_generated_key_type_get_a_token() {
    let app = spawn_app().await;
    for alg in ["EdDSA", "ES256", "RS256"] {
        let (_, bundle) = private_key(&app, alg).await;
        let response = token_with_assertion(&app, &sign(&bundle, &claims(&app, &bundle))).await;
        let body = json_with_status(response, 200).await;
        let (_, token) = verify_with_jwks(
            body["access_token"].as_str().unwrap(),
            &app.jwks().await,
            &app.address,
            &app.address,
        );
        assert_eq!(token["client_id"], bundle.client_id.as_str());
    }
}

#[actix_web::test]
async fn the_cli_prints_a_token_from_a_private_key_and_from_a_secret_key() {
    let app = spawn_app().await;
    let (key, bundle) = private_key(&app, "EdDSA").await;
    let output = app
        .cli()
        .args(["token"])
        .env("KEYGATE_ACCESS_KEY", &key)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_string();
    let (_, claims) = verify_with_jwks(&token, &app.jwks().await, &app.address, &app.address);
    assert_eq!(claims["client_id"], bundle.client_id.as_str());

    let client = app.create_client(&[]);
    let output = app.cli_json(&["token", "--key", &client.secret]);
    let (_, claims) = verify_with_jwks(
        output["access_token"].as_str().unwrap(),
        &app.jwks().await,
        &app.address,
        &app.address,
    );
    assert_eq!(claims["client_id"], client.id.as_str());
}

/// PyJWT, as a Python service would use it: sign an assertion with the JWK inside a `kg_pk_` key and post it.
const PYTHON_CLIENT: &str = r#"
import base64, json, sys, time, uuid, urllib.parse, urllib.request
import jwt
data = sys.argv[1][len("kg_pk_"):]
bundle = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
signing_key = jwt.PyJWK(bundle["jwk"])
now = int(time.time())
claims = {"iss": bundle["client_id"], "sub": bundle["client_id"], "aud": bundle["issuer"] + "/oauth/token",
          "iat": now, "exp": now + 60, "jti": str(uuid.uuid4())}
assertion = jwt.encode(claims, signing_key.key, algorithm=bundle["jwk"]["alg"], headers={"kid": bundle["jwk"]["kid"]})
form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_assertion_type":
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion": assertion}).encode()
print(json.load(urllib.request.urlopen(bundle["issuer"] + "/oauth/token", form))["access_token"])
"#;

#[actix_web::test]
async fn python_pyjwt_signs_with_a_key_made_by_the_api() {
    let app = spawn_app().await;
    for alg in ["EdDSA", "ES256", "RS256"] {
        let (key, bundle) = private_key(&app, alg).await;
        let token = run_python(PYTHON_CLIENT, &[&key]);
        let (_, claims) = verify_with_jwks(&token, &app.jwks().await, &app.address, &app.address);
        assert_eq!(claims["sub"], bundle.client_id.as_str());
    }
}

#[actix_web::test]
async fn python_pyjwt_signs_with_its_own_key_whose_public_half_was_uploaded() {
    let app = spawn_app().await;
    crate::helpers::python();
    let admin = app.admin_token().await;
    let client = app.create_client(&[]);
    let dir = tempfile::tempdir().unwrap();
    let private_pem = dir.path().join("client.pem");
    let public_pem = run_python(
        "import sys\nfrom cryptography.hazmat.primitives.asymmetric import ec\nfrom cryptography.hazmat.primitives import serialization as s\n\
         k = ec.generate_private_key(ec.SECP256R1())\n\
         open(sys.argv[1], 'wb').write(k.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()))\n\
         print(k.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo).decode())",
        &[private_pem.to_str().unwrap()],
    );
    let key = app
        .api_post(
            &format!("/v1/clients/{}/keys", client.id),
            &admin,
            json!({"kind": "public_key", "public_key": public_pem}),
        )
        .await;
    let token = run_python(
        "import sys, time, uuid, json, urllib.parse, urllib.request\nimport jwt\n\
         pem, kid, client_id, issuer = sys.argv[1:5]\nnow = int(time.time())\n\
         a = jwt.encode({'iss': client_id, 'sub': client_id, 'aud': issuer, 'iat': now, 'exp': now + 60, 'jti': str(uuid.uuid4())},\n\
                        open(pem, 'rb').read(), algorithm='ES256', headers={'kid': kid})\n\
         form = urllib.parse.urlencode({'grant_type': 'client_credentials', 'client_id': client_id,\n\
             'client_assertion_type': 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', 'client_assertion': a}).encode()\n\
         print(json.load(urllib.request.urlopen(issuer + '/oauth/token', form))['access_token'])",
        &[private_pem.to_str().unwrap(), key["id"].as_str().unwrap(), &client.id, &app.address],
    );
    let (_, claims) = verify_with_jwks(&token, &app.jwks().await, &app.address, &app.address);
    assert_eq!(claims["client_id"], client.id.as_str());
}

#[actix_web::test]
async fn a_replayed_assertion_is_invalid_client() {
    let app = spawn_app().await;
    let (_, bundle) = private_key(&app, "EdDSA").await;
    let assertion = sign(&bundle, &claims(&app, &bundle));
    json_with_status(token_with_assertion(&app, &assertion).await, 200).await;
    assert_invalid_client(token_with_assertion(&app, &assertion).await).await;
}

#[actix_web::test]
async fn assertions_with_wrong_claims_are_invalid_client_saying_which_rule_failed() {
    let app = spawn_app().await;
    let (_, bundle) = private_key(&app, "ES256").await;
    let now = UnixTime::now().seconds();
    // Each rule that needs no key is named, so a client library knows what to change.
    let alterations: Vec<(&str, Value, &str)> = vec![
        (
            "aud",
            json!("https://elsewhere.example/oauth/token"),
            "aud does not name this server",
        ),
        ("aud", json!([app.url("/oauth/token")]), "not an array"),
        ("exp", json!(now - 120), "the token has expired"),
        (
            "exp",
            json!(now + 7200),
            "exp too far in the future (at most 3600 s ahead)",
        ),
        ("nbf", json!(now + 600), "nbf is in the future"),
        ("iat", json!(now + 600), "iat is in the future"),
        (
            "iss",
            json!("sc_someoneelse"),
            "iss and sub must both be the client_id",
        ),
        (
            "sub",
            json!("sc_someoneelse"),
            "iss and sub must both be the client_id",
        ),
    ];
    for (claim, value, rule) in alterations {
        let mut altered = claims(&app, &bundle);
        altered[claim] = value;
        let description =
            invalid_client(token_with_assertion(&app, &sign(&bundle, &altered)).await).await;
        assert!(description.contains(rule), "{claim}: {description}");
    }
    let mut without_jti = claims(&app, &bundle);
    without_jti.as_object_mut().unwrap().remove("jti");
    let description =
        invalid_client(token_with_assertion(&app, &sign(&bundle, &without_jti)).await).await;
    assert!(description.contains("jti is required"), "{description}");
    // Another client's id, consistently in iss and sub: whether that client exists is not told.
    let mut foreign = claims(&app, &bundle);
    let other = app.create_client(&[]);
    foreign["iss"] = json!(other.id);
    foreign["sub"] = json!(other.id);
    let known = invalid_client(token_with_assertion(&app, &sign(&bundle, &foreign)).await).await;
    foreign["iss"] = json!("sc_nobody");
    foreign["sub"] = json!("sc_nobody");
    let unknown = invalid_client(token_with_assertion(&app, &sign(&bundle, &foreign)).await).await;
    assert_eq!(
        (known.as_str(), unknown.as_str()),
        (
            "client authentication failed",
            "client authentication failed"
        )
    );
    // An hour ahead is fine (Authlib signs exp = iat + 3600), and a replay is named.
    let mut hour = claims(&app, &bundle);
    hour["exp"] = json!(now + 3600);
    let assertion = sign(&bundle, &hour);
    json_with_status(token_with_assertion(&app, &assertion).await, 200).await;
    let replayed = invalid_client(token_with_assertion(&app, &assertion).await).await;
    assert!(replayed.contains("jti was already used"), "{replayed}");
    // The issuer itself is an accepted audience (RFC 7523 §3).
    let mut to_issuer = claims(&app, &bundle);
    to_issuer["aud"] = json!(app.address);
    json_with_status(
        token_with_assertion(&app, &sign(&bundle, &to_issuer)).await,
        200,
    )
    .await;
}

#[actix_web::test]
async fn unsigned_hmac_and_mismatched_algorithms_are_refused() {
    let app = spawn_app().await;
    let (_, bundle) = private_key(&app, "RS256").await;
    let body = URL_SAFE_NO_PAD.encode(claims(&app, &bundle).to_string());
    let kid = bundle.key_id().to_string();
    let none = format!(
        "{}.{body}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": kid}).to_string())
    );
    assert_invalid_client(token_with_assertion(&app, &none).await).await;

    // HS256 keyed with the public key, the classic algorithm-confusion attack.
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(kid.clone());
    let public_n = bundle.jwk["n"].as_str().unwrap().as_bytes();
    let hmac = jsonwebtoken::encode(
        &header,
        &claims(&app, &bundle),
        &jsonwebtoken::EncodingKey::from_secret(public_n),
    )
    .unwrap();
    assert_invalid_client(token_with_assertion(&app, &hmac).await).await;

    // An Ed25519 signature presented under the RSA key's kid.
    let (_, other) = private_key(&app, "EdDSA").await;
    let mut jwk = other.jwk.clone();
    jwk["kid"] = json!(kid);
    let forged = PrivateKeyBundle {
        jwk,
        ..bundle.clone()
    };
    assert_invalid_client(token_with_assertion(&app, &sign(&forged, &claims(&app, &bundle))).await)
        .await;
}

#[actix_web::test]
async fn a_revoked_key_and_a_mismatched_client_id_are_invalid_client() {
    let app = spawn_app().await;
    let (_, bundle) = private_key(&app, "EdDSA").await;
    let admin = app.admin_token().await;
    let other = app.create_client(&[]);
    let assertion = sign(&bundle, &claims(&app, &bundle));
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", other.id.as_str()),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion.as_str()),
    ];
    assert_invalid_client(app.post_form("/oauth/token", &form, None).await).await;

    let path = format!("/v1/clients/{}/keys/{}", bundle.client_id, bundle.key_id());
    app.api(reqwest::Method::DELETE, &path, &admin, None).await;
    assert_invalid_client(token_with_assertion(&app, &sign(&bundle, &claims(&app, &bundle))).await)
        .await;

    let wrong_type = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", "urn:x"),
        ("client_assertion", "a.b.c"),
    ];
    assert_eq!(
        app.post_form("/oauth/token", &wrong_type, None)
            .await
            .status()
            .as_u16(),
        400
    );
}

#[actix_web::test]
async fn introspection_and_revocation_accept_private_key_jwt_with_their_own_url_as_audience() {
    let app = spawn_app().await;
    let (_, bundle) = private_key(&app, "EdDSA").await;
    let token = json_with_status(
        token_with_assertion(&app, &sign(&bundle, &claims(&app, &bundle))).await,
        200,
    )
    .await;
    let token = token["access_token"].as_str().unwrap();
    for path in ["/oauth/introspect", "/oauth/revoke"] {
        let mut to_endpoint = claims(&app, &bundle);
        to_endpoint["aud"] = json!(app.url(path));
        let assertion = sign(&bundle, &to_endpoint);
        let form = [
            ("token", token),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion.as_str()),
        ];
        let response = app.post_form(path, &form, None).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
    }
    let form = [("token", token)];
    let admin = app.create_client(&[]);
    let after = json_with_status(
        app.post_form(
            "/oauth/introspect",
            &form,
            Some(&crate::helpers::basic(&admin.id, &admin.secret)),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(after["active"], false, "revoked with private_key_jwt");
}
