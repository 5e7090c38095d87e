//! Signing keys: the JWKS, discovery metadata, rotation, algorithms, and encryption at rest.

use std::time::Duration;

use keygate::config::Config;
use keygate::crypto::signing_key::SigningAlg;
use keygate::startup::Application;

use crate::helpers::{json_with_status, spawn_app, spawn_app_with, verify_with_jwks, TestApp};

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
    let mut new_token = String::new();
    for _ in 0..50 {
        new_token = token_for(&app).await;
        if jsonwebtoken::decode_header(&new_token)
            .unwrap()
            .kid
            .as_deref()
            == Some(&new_kid)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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
