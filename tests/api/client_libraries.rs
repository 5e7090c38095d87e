//! Other people's OAuth client libraries, used as their own documentation shows, against a real keygate: what a
//! tenant's developer runs must work unmodified (Node's oauth4webapi, Python's Authlib; PyJWT is in
//! `private_key_jwt.rs`, the Rust `oauth2` crate in `client_credentials.rs`).

use serde_json::{json, Value};

use crate::helpers::{run_node, run_python, spawn_app, verify_with_jwks};

/// oauth4webapi (the core of openid-client) signs an Ed25519 `private_key_jwt` as `alg: "Ed25519"` (RFC 9864):
/// keygate accepts it, at the token endpoint and at introspection, and its discovery document says so.
#[actix_web::test]
async fn oauth4webapi_authenticates_with_an_ed25519_key_signed_as_alg_ed25519() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let client = app.create_client(&[]);
    let pair = run_node("oauth4webapi.mjs", &["keypair"]);
    let key = app
        .api_post(
            &format!("/v1/clients/{}/keys", client.id),
            &admin,
            json!({"kind": "public_key", "public_key": pair["public"]}),
        )
        .await;
    let private = pair["private"].to_string();
    let kid = key["id"].as_str().unwrap();
    let answer = run_node(
        "oauth4webapi.mjs",
        &["token", &app.address, &client.id, kid, &private],
    );
    assert_eq!(
        answer["alg"], "Ed25519",
        "the library signs with RFC 9864's name"
    );
    assert_eq!(
        answer["active"], true,
        "introspection took the same assertion type"
    );
    let (_, claims) = verify_with_jwks(
        answer["access_token"].as_str().unwrap(),
        &app.jwks().await,
        &app.address,
        &app.address,
    );
    assert_eq!(claims["sub"], client.id.as_str());
    let metadata: Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    for endpoint in ["token", "introspection", "revocation"] {
        let algs = &metadata[format!("{endpoint}_endpoint_auth_signing_alg_values_supported")];
        assert!(
            algs.as_array().unwrap().contains(&json!("Ed25519"))
                && algs.as_array().unwrap().contains(&json!("EdDSA")),
            "{endpoint}: {algs}"
        );
    }
}

const AUTHLIB_CLIENT: &str = r#"
import sys
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
pem, kid, client_id, issuer = sys.argv[1:5]
token_endpoint = issuer + "/oauth/token"
# As Authlib documents it: the private key as the client secret, private_key_jwt as the auth method. Its assertion
# lives one hour (exp = iat + 3600).
session = OAuth2Session(client_id, open(pem).read(),
                        token_endpoint_auth_method=PrivateKeyJWT(token_endpoint, headers={"kid": kid}))
print(session.fetch_token(token_endpoint, grant_type="client_credentials")["access_token"])
"#;

/// Authlib's `PrivateKeyJWT` signs assertions that expire an hour ahead; the default `max_assertion_lifetime`
/// takes them.
#[actix_web::test]
async fn authlib_private_key_jwt_with_its_one_hour_assertions_gets_a_token() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let client = app.create_client(&[]);
    let dir = tempfile::tempdir().unwrap();
    let private_pem = dir.path().join("client.pem");
    let public_pem = run_python(
        "import sys\nfrom cryptography.hazmat.primitives.asymmetric import rsa\nfrom cryptography.hazmat.primitives import serialization as s\n\
         k = rsa.generate_private_key(public_exponent=65537, key_size=2048)\n\
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
        AUTHLIB_CLIENT,
        &[
            private_pem.to_str().unwrap(),
            key["id"].as_str().unwrap(),
            &client.id,
            &app.address,
        ],
    );
    let (_, claims) = verify_with_jwks(&token, &app.jwks().await, &app.address, &app.address);
    assert_eq!(claims["client_id"], client.id.as_str());
    // The same assertion lifetime is refused when an operator sets a shorter maximum; the answer says why.
    let strict = crate::helpers::spawn_app_with(|config| config.max_assertion_lifetime = 300).await;
    let strict_client = strict.create_client(&[]);
    let admin = strict.admin_token().await;
    let key = strict
        .api_post(
            &format!("/v1/clients/{}/keys", strict_client.id),
            &admin,
            json!({"kind": "public_key", "public_key": public_pem}),
        )
        .await;
    let output = std::process::Command::new(crate::helpers::python())
        .arg("-c")
        .arg(AUTHLIB_CLIENT)
        .args([
            private_pem.to_str().unwrap(),
            key["id"].as_str().unwrap(),
            &strict_client.id,
            &strict.address,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("exp too far in the future"),
        "Authlib shows keygate's reason: {stderr}"
    );
}
