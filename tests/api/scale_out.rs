//! Several nodes on one database (behind nothing but their ports): tokens, revocations, single-use assertions and
//! signing-key rotation hold across them. The bound for revocations is `credential_cache_seconds` (1 s in tests)
//! rounded up to the background tick of 2 s.

use std::time::{Duration, Instant};

use keygate_sdk::AccessKey;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{basic, eventually, json_with_status, spawn_app_with, TestApp};

/// The documented bound, plus slack for a loaded CI machine.
const PROPAGATION: Duration = Duration::from_secs(6);

async fn introspect(
    app: &TestApp,
    node: &str,
    client: &crate::helpers::TestClient,
    token: &str,
) -> Value {
    let response = app
        .http
        .post(format!("{node}/oauth/introspect"))
        .header("authorization", basic(&client.id, &client.secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    json_with_status(response, 200).await
}

async fn token_at(
    app: &TestApp,
    node: &str,
    client: &crate::helpers::TestClient,
) -> reqwest::Response {
    app.http
        .post(format!("{node}/oauth/token"))
        .header("authorization", basic(&client.id, &client.secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

/// The `kid` of a token issued by `node` now.
async fn signing_kid(app: &TestApp, node: &str, client: &crate::helpers::TestClient) -> String {
    let answer = json_with_status(token_at(app, node, client).await, 200).await;
    let token = answer["access_token"].as_str().unwrap();
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

/// Polls `check` until it holds, for at most `PROPAGATION`; returns how long it took.
async fn within_bound<F, Fut>(what: &str, check: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    eventually(what, PROPAGATION, || async { check().await.then_some(()) }).await;
    started.elapsed()
}

#[actix_web::test]
async fn a_token_from_one_node_verifies_at_another_and_revocations_reach_every_node() {
    let app = spawn_app_with(|_| {}).await;
    let b = app.spawn_node().await;
    let client = app.create_client(&[]);
    let token = app.token_for(&client).await;
    assert_eq!(introspect(&app, &b, &client, &token).await["active"], true);
    let verified = app
        .http
        .post(format!("{b}/v1/verify"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_with_status(verified, 200).await["client_id"],
        client.id.as_str()
    );

    // The token is revoked at A: B refuses it within the bound.
    let revoked = app
        .post_form(
            "/oauth/revoke",
            &[("token", &token)],
            Some(&basic(&client.id, &client.secret)),
        )
        .await;
    assert_eq!(revoked.status(), 200);
    within_bound("token revocation", || async {
        introspect(&app, &b, &client, &token).await["active"] == false
    })
    .await;

    // The key is revoked at A (B has it cached from the requests above): B refuses it within the bound.
    assert_eq!(token_at(&app, &b, &client).await.status(), 200);
    let admin = app.admin_token().await;
    let path = format!("/v1/clients/{}/keys/{}", client.id, client.key_id);
    assert_eq!(
        app.api(Method::DELETE, &path, &admin, None).await.status(),
        204
    );
    within_bound("key revocation", || async {
        token_at(&app, &b, &client).await.status() == 401
    })
    .await;
}

#[actix_web::test]
async fn a_client_assertion_is_single_use_across_nodes() {
    let app = spawn_app_with(|_| {}).await;
    let b = app.spawn_node().await;
    let admin = app.admin_token().await;
    let client = app.create_client(&[]);
    let key = app
        .api_post(
            &format!("/v1/clients/{}/keys", client.id),
            &admin,
            json!({"kind": "private_key"}),
        )
        .await;
    let AccessKey::Private(key) = AccessKey::parse(key["key"].as_str().unwrap()).unwrap() else {
        panic!("a private key");
    };
    let assertion = key.assertion(&app.url("/oauth/token")).unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", &assertion),
    ];
    let first = app
        .http
        .post(app.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let replayed = app
        .http
        .post(format!("{b}/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_with_status(replayed, 401).await["error"],
        "invalid_client"
    );
}

#[actix_web::test]
async fn a_rotated_key_is_published_by_every_node_before_any_node_signs_with_it() {
    // Tokens say which key signed them. JWKS max-age 2 s: the new key signs 2 s + one reload (2 s) + 1 s later.
    let app = spawn_app_with(|config| config.jwks_max_age = 2).await;
    let b = app.spawn_node().await;
    let client = app.create_client(&[]);
    let old_kid = signing_kid(&app, &app.address, &client).await;
    let jwks_kids = |node: String| {
        let http = app.http.clone();
        async move {
            let jwks: Value = http
                .get(format!("{node}/.well-known/jwks.json"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            jwks["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["kid"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };

    let admin = app.admin_token().await;
    let rotated = app
        .api(
            Method::POST,
            "/v1/signing-keys/rotate",
            &admin,
            Some(json!({"alg": "EdDSA"})),
        )
        .await;
    let rotated = json_with_status(rotated, 200).await;
    let new_kid = rotated["kid"].as_str().unwrap().to_string();
    // One JWKS max-age (2 s here), one keyring reload (1 s), and a second to spare.
    assert_eq!(rotated["activates_in"], 4);
    let rotated_at = Instant::now();
    let mut published_everywhere = None;
    loop {
        let elapsed = rotated_at.elapsed();
        assert!(
            elapsed < Duration::from_secs(10),
            "the new key never signed"
        );
        let (at_a, at_b) = (
            signing_kid(&app, &app.address, &client).await,
            signing_kid(&app, &b, &client).await,
        );
        let published = jwks_kids(app.address.clone()).await.contains(&new_kid)
            && jwks_kids(b.clone()).await.contains(&new_kid);
        if published && published_everywhere.is_none() {
            published_everywhere = Some(elapsed);
        }
        if at_a == new_kid || at_b == new_kid {
            let published_for =
                elapsed - published_everywhere.expect("signing with an unpublished key");
            assert!(
                published_for >= Duration::from_millis(1500),
                "published only {published_for:?} before signing"
            );
            break;
        }
        assert_eq!(
            (at_a.as_str(), at_b.as_str()),
            (old_kid.as_str(), old_kid.as_str())
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The old key stays published for the tokens it signed.
    assert!(jwks_kids(b.clone()).await.contains(&old_kid));
}
