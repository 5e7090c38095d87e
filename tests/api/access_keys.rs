//! Access keys through `/v1/clients/{id}/keys`: the three kinds, the limit, expiry, revocation, last use.

use std::time::Duration;

use keygate::domain::private_key::PrivateKeyBundle;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{eventually, json_with_status, spawn_app, TestApp};

async fn create_key(app: &TestApp, admin: &str, client_id: &str, body: Value) -> reqwest::Response {
    app.api(
        Method::POST,
        &format!("/v1/clients/{client_id}/keys"),
        admin,
        Some(body),
    )
    .await
}

#[actix_web::test]
async fn private_keys_are_returned_once_as_kg_pk_and_only_the_public_jwk_is_kept() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let client = app.create_client(&[]);
    for (alg, kty) in [(None, "OKP"), (Some("ES256"), "EC"), (Some("RS256"), "RSA")] {
        let mut body = json!({"kind": "private_key"});
        if let Some(alg) = alg {
            body["alg"] = json!(alg);
        }
        let key = json_with_status(create_key(&app, &admin, &client.id, body).await, 201).await;
        let bundle = PrivateKeyBundle::parse(key["key"].as_str().unwrap()).expect("a kg_pk_ key");
        assert_eq!(bundle.client_id, client.id);
        assert_eq!(bundle.issuer, app.address);
        assert_eq!(bundle.key_id(), key["id"].as_str().unwrap());
        assert_eq!(bundle.jwk["kty"], kty);
        assert_eq!(key["alg"], alg.unwrap_or("EdDSA"));
        assert!(key["public_jwk"].get("d").is_none());
    }
    let listed = app
        .api_get(&format!("/v1/clients/{}/keys", client.id), &admin)
        .await["items"]
        .take();
    assert!(
        !listed.to_string().contains("\"d\""),
        "no private part is stored or listed"
    );
}

#[actix_web::test]
async fn public_keys_upload_as_jwk_or_pem_and_weak_or_private_ones_are_refused_with_reasons() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let client = app.create_client(&[]);
    let generated = keygate::crypto::client_keys::generate(
        keygate::domain::signing_alg::SigningAlg::ES256,
        "x",
    )
    .unwrap();
    let jwk = json_with_status(
        create_key(
            &app,
            &admin,
            &client.id,
            json!({"kind": "public_key", "public_key": generated.public_jwk}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!((jwk["alg"].as_str(), jwk.get("key")), (Some("ES256"), None));

    let pem = crate::helpers::run_python(
        "from cryptography.hazmat.primitives.asymmetric import ed25519; from cryptography.hazmat.primitives import serialization as s\n\
         k = ed25519.Ed25519PrivateKey.generate()\n\
         print(k.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo).decode())",
        &[],
    );
    let uploaded = json_with_status(
        create_key(
            &app,
            &admin,
            &client.id,
            json!({"kind": "public_key", "public_key": pem}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(uploaded["alg"], "EdDSA");

    let weak = crate::helpers::run_python(
        "from cryptography.hazmat.primitives.asymmetric import rsa; from cryptography.hazmat.primitives import serialization as s\n\
         k = rsa.generate_private_key(public_exponent=65537, key_size=1024)\n\
         print(k.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo).decode())",
        &[],
    );
    let cases = [
        (json!(weak), "2048"),
        (generated.private_jwk.clone(), "private key"),
        (
            json!({"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}),
            "unsupported",
        ),
        (
            json!("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"),
            "private key",
        ),
        (json!(42), "JWK object or a PEM string"),
    ];
    for (public_key, reason) in cases {
        let response = create_key(
            &app,
            &admin,
            &client.id,
            json!({"kind": "public_key", "public_key": public_key}),
        )
        .await;
        let body = json_with_status(response, 422).await;
        assert_eq!(body["error"], "invalid_public_key");
        assert!(body["message"].as_str().unwrap().contains(reason), "{body}");
    }
}

#[actix_web::test]
async fn the_sixth_active_key_is_409_and_revoking_one_makes_room() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let client = app.create_client(&[]);
    for _ in 0..4 {
        json_with_status(
            create_key(&app, &admin, &client.id, json!({"kind": "secret"})).await,
            201,
        )
        .await;
    }
    let sixth = create_key(&app, &admin, &client.id, json!({"kind": "private_key"})).await;
    assert_eq!(json_with_status(sixth, 409).await["error"], "too_many_keys");
    let revoked = app
        .api(
            Method::DELETE,
            &format!("/v1/clients/{}/keys/{}", client.id, client.key_id),
            &admin,
            None,
        )
        .await;
    assert_eq!(revoked.status().as_u16(), 204);
    json_with_status(
        create_key(&app, &admin, &client.id, json!({"kind": "secret"})).await,
        201,
    )
    .await;
}

#[actix_web::test]
async fn a_revoked_key_is_refused_at_once_and_stays_listed_with_revoked_at() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let client = app.create_client(&[]);
    json_with_status(app.token_basic(&client, "").await, 200).await;
    app.api(
        Method::DELETE,
        &format!("/v1/clients/{}/keys/{}", client.id, client.key_id),
        &admin,
        None,
    )
    .await;
    // The key was cached by the token request above: revocation on this node must not wait for the cache.
    assert_eq!(app.token_basic(&client, "").await.status().as_u16(), 401);
    let listed = app
        .api_get(&format!("/v1/clients/{}/keys", client.id), &admin)
        .await["items"]
        .take();
    assert!(listed[0]["revoked_at"].is_i64());
    let again = app
        .api(
            Method::DELETE,
            &format!("/v1/clients/{}/keys/{}", client.id, client.key_id),
            &admin,
            None,
        )
        .await;
    assert_eq!(again.status().as_u16(), 404);
}

#[actix_web::test]
async fn expiry_must_be_in_the_future_and_public_clients_have_no_keys() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let client = app.create_client(&[]);
    let past = create_key(
        &app,
        &admin,
        &client.id,
        json!({"kind": "secret", "expires_at": 1}),
    )
    .await;
    assert_eq!(past.status().as_u16(), 422);
    let spa = app
        .api_post(
            "/v1/clients",
            &admin,
            json!({"name": "spa", "public": true, "redirect_uris": ["https://app.example/cb"]}),
        )
        .await;
    let response = create_key(
        &app,
        &admin,
        spa["id"].as_str().unwrap(),
        json!({"kind": "secret"}),
    )
    .await;
    assert_eq!(
        json_with_status(response, 422).await["error"],
        "public_client"
    );
    let mixed = create_key(
        &app,
        &admin,
        &client.id,
        json!({"kind": "secret", "public_key": "x"}),
    )
    .await;
    assert_eq!(mixed.status().as_u16(), 400);
}

#[actix_web::test]
async fn last_used_at_is_recorded_without_a_write_per_request() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let client = app.create_client(&[]);
    for _ in 0..3 {
        json_with_status(app.token_basic(&client, "").await, 200).await;
    }
    // Uses are written in a batch on the next background tick.
    let keys_path = format!("/v1/clients/{}/keys", client.id);
    eventually("last_used_at written", Duration::from_secs(10), || async {
        let keys = app.api_get(&keys_path, &admin).await;
        keys["items"][0]["last_used_at"].as_i64()
    })
    .await;
}
