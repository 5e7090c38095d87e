//! Signing keys: the JWKS, discovery metadata, rotation, algorithms, and encryption at rest.

use std::time::Duration;

use keygate::config::Config;
use keygate::crypto::master_key;
use keygate::domain::signing_alg::SigningAlg;
use keygate::startup::Application;
use serde_json::Value;

use crate::helpers::{
    eventually, json_with_status, spawn_app, spawn_app_with, verify_with_jwks, TestApp,
};

async fn token_for(app: &TestApp) -> String {
    let client = app.create_client(&[]);
    let body = json_with_status(app.token_basic(&client, "").await, 200).await;
    body["access_token"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn jwks_is_cacheable_and_metadata_names_every_endpoint() {
    let app = spawn_app().await;
    let jwks = app.get("/.well-known/jwks.json").await;
    assert_eq!(jwks.headers()["cache-control"], "public, max-age=300");
    let jwks = json_with_status(jwks, 200).await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwks["keys"][0]["alg"], "RS256");
    assert!(
        jwks["keys"][0].get("d").is_none(),
        "no private part is published"
    );

    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let metadata = json_with_status(app.get(path).await, 200).await;
        assert_eq!(metadata["issuer"], app.address.as_str());
        assert_eq!(metadata["token_endpoint"], app.url("/oauth/token"));
        assert_eq!(metadata["jwks_uri"], app.url("/.well-known/jwks.json"));
        assert!(metadata["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&"client_credentials".into()));
    }
}

#[actix_web::test]
async fn rotation_signs_with_the_new_key_and_keeps_the_old_one_published() {
    let app = spawn_app().await;
    let old_token = token_for(&app).await;
    let old_kid = jsonwebtoken::decode_header(&old_token)
        .unwrap()
        .kid
        .unwrap();

    let rotated = app.cli_json(&["signing-key", "rotate", "--alg", "ES256", "--immediate"]);
    let new_kid = rotated["kid"].as_str().unwrap().to_string();
    // The running node reloads its keyring every signing_key_refresh_seconds (1 s here).
    let new_token = eventually(
        "tokens signed by the new key",
        Duration::from_secs(10),
        || async {
            let token = token_for(&app).await;
            let kid = jsonwebtoken::decode_header(&token).unwrap().kid;
            (kid.as_deref() == Some(&new_kid)).then_some(token)
        },
    )
    .await;
    let header = jsonwebtoken::decode_header(&new_token).unwrap();
    assert_eq!(header.kid.as_deref(), Some(new_kid.as_str()));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);

    let jwks = app.jwks().await;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(
        kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()),
        "{kids:?}"
    );
    verify_with_jwks(&old_token, &jwks, &app.address, &app.address);
    verify_with_jwks(&new_token, &jwks, &app.address, &app.address);
}

#[actix_web::test]
async fn es256_and_eddsa_servers_issue_tokens_that_verify() {
    for alg in [SigningAlg::ES256, SigningAlg::EdDSA] {
        let app = spawn_app_with(|c| c.signing_alg = alg).await;
        let token = token_for(&app).await;
        let (header, _) = verify_with_jwks(&token, &app.jwks().await, &app.address, &app.address);
        assert_eq!(format!("{:?}", header.alg), alg.as_str());
    }
}

#[actix_web::test]
async fn signing_keys_are_encrypted_with_the_master_key() {
    let app = spawn_app().await;
    let mut config: Config = app.config.clone();
    config.bind = "127.0.0.1:0".into();
    config.issuer = None;
    config.master_key = Some(
        keygate::crypto::master_key::generate_encoded()
            .unwrap()
            .to_string()
            .into(),
    );
    let error = Application::build(config)
        .await
        .err()
        .expect("another master key cannot start this database");
    assert!(format!("{error:#}").contains("master key"), "{error:#}");
}

#[actix_web::test]
async fn the_master_key_is_rotated_all_or_nothing() {
    let app = spawn_app().await;
    app.cli_json(&["signing-key", "rotate", "--alg", "RS256"]);
    let new_key = master_key::generate_encoded().unwrap().to_string();
    let wrong_key = master_key::generate_encoded().unwrap().to_string();
    let node_with = |key: &str| {
        Application::build(Config {
            bind: "127.0.0.1:0".into(),
            master_key: Some(key.to_string().into()),
            ..app.config.clone()
        })
    };

    // A current key that does not open the signing keys changes nothing.
    let refused = app
        .cli()
        .env("KEYGATE_MASTER_KEY", &wrong_key)
        .env("KEYGATE_NEW_MASTER_KEY", &new_key)
        .args(["master-key", "rotate"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("nothing changed"));
    assert!(node_with(&new_key).await.is_err(), "nothing was resealed");

    let rotated = app
        .cli()
        .env("KEYGATE_NEW_MASTER_KEY", &new_key)
        .args(["master-key", "rotate", "--json"])
        .output()
        .unwrap();
    assert!(rotated.status.success(), "{rotated:?}");
    let rotated: Value = serde_json::from_slice(&rotated.stdout).unwrap();
    assert_eq!(
        rotated["resealed"], 2,
        "the active key and the scheduled one"
    );

    // Every key now opens with the new master key only: a node with it starts and signs, one with the old cannot.
    let old_key = app.master_key().to_string();
    assert!(node_with(&old_key).await.is_err());
    let node = node_with(&new_key)
        .await
        .expect("a node with the new key starts");
    let address = format!("http://127.0.0.1:{}", node.port());
    actix_web::rt::spawn(node.run_until_stopped());
    let client = app.create_client(&[]);
    let token = app
        .http
        .post(format!("{address}/oauth/token"))
        .basic_auth(&client.id, Some(&client.secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status().as_u16(), 200);
}
