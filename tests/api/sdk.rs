//! The Rust SDK against a real keygate: token caching, renewal and single flight, verification of tokens and
//! keys, signing-key rotation, revocation.

use std::time::Duration;

use keygate_sdk::{Error, TokenProvider, VerifiedBy, Verifier};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{eventually, spawn_app, TestApp, TestClient};

fn provider(app: &TestApp, client: &TestClient) -> TokenProvider {
    TokenProvider::builder(&client.secret)
        .issuer(&app.address)
        .build()
        .unwrap()
}

#[actix_web::test]
async fn a_hundred_tasks_asking_at_once_cause_one_token_request() {
    let app = spawn_app().await;
    let client = app.create_client(&["--scope", "documents:read"]);
    let tokens = provider(&app, &client);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let tokens = tokens.clone();
            actix_web::rt::spawn(async move { tokens.token().await.unwrap() })
        })
        .collect();
    let mut issued = Vec::new();
    for task in tasks {
        issued.push(task.await.unwrap());
    }
    // Every token request mints a new jti, so one distinct token means one request.
    issued.dedup();
    assert_eq!(issued.len(), 1);
    assert_eq!(
        tokens.token().await.unwrap(),
        issued[0],
        "served from the cache"
    );

    let identity = Verifier::new(&app.address)
        .verify_token(&issued[0])
        .await
        .unwrap();
    assert_eq!(identity.client_id, client.id);
    assert_eq!(identity.scopes, ["documents:read"]);
    assert_eq!(identity.verified_by, VerifiedBy::AccessToken);
}

#[actix_web::test]
async fn a_token_is_renewed_before_it_expires() {
    let app = spawn_app().await;
    let client = app.create_client(&["--ttl-client-credentials", "4"]);
    let tokens = provider(&app, &client);
    let first = tokens.access_token().await.unwrap();
    assert_eq!(first.expires_in, 4);
    assert_eq!(tokens.token().await.unwrap(), first.secret());
    // Renewal starts at half the lifetime of so short a token, well before it expires.
    let second = eventually("a renewed token", Duration::from_secs(4), || async {
        let current = tokens.token().await.unwrap();
        (current != first.secret()).then_some(current)
    })
    .await;
    assert!(
        first.expires_at() > std::time::Instant::now(),
        "renewed early"
    );
    Verifier::new(&app.address)
        .verify_token(&second)
        .await
        .unwrap();
}

#[actix_web::test]
async fn a_private_key_gets_tokens_through_the_issuer_it_names() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let client = app.create_client(&[]);
    for alg in ["EdDSA", "ES256", "RS256"] {
        let key = app
            .api_post(
                &format!("/v1/clients/{}/keys", client.id),
                &admin,
                json!({"kind": "private_key", "alg": alg}),
            )
            .await;
        let tokens = TokenProvider::new(key["key"].as_str().unwrap()).unwrap();
        assert_eq!(tokens.issuer(), app.address);
        let identity = Verifier::new(&app.address)
            .verify_token(&tokens.token().await.unwrap())
            .await
            .unwrap();
        assert_eq!(identity.client_id, client.id, "{alg}");
    }
}

#[actix_web::test]
async fn the_verifier_picks_up_a_rotated_signing_key() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    let verifier = Verifier::builder(&app.address)
        .refetch_interval(Duration::from_millis(200))
        .build();
    let before = app.token_for(&client).await;
    verifier.verify_token(&before).await.unwrap();

    let rotated = app.cli_json(&["signing-key", "rotate", "--alg", "ES256", "--immediate"]);
    let kid = rotated["kid"].as_str().unwrap();
    let after = eventually(
        "tokens signed by the new key",
        Duration::from_secs(10),
        || async {
            let token = app.token_for(&client).await;
            let signed_by = jsonwebtoken::decode_header(&token).unwrap().kid;
            (signed_by.as_deref() == Some(kid)).then_some(token)
        },
    )
    .await;
    // The verifier refetches the JWKS for the unknown kid once its refetch interval allows.
    eventually(
        "the verifier knows the new key",
        Duration::from_secs(5),
        || async { verifier.verify_token(&after).await.ok() },
    )
    .await;
    verifier.verify_token(&before).await.unwrap();
}

#[actix_web::test]
async fn tokens_of_another_type_audience_or_algorithm_are_refused() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    let token = app.token_for(&client).await;
    let refused = |result: Result<_, Error>| matches!(result, Err(Error::InvalidToken(_)));

    let other_audience = Verifier::builder(&app.address)
        .audience("https://other.example")
        .build();
    assert!(refused(other_audience.verify_token(&token).await));
    let eddsa_only = Verifier::builder(&app.address)
        .algorithms(&[jsonwebtoken::Algorithm::EdDSA])
        .build();
    assert!(refused(eddsa_only.verify_token(&token).await));
    let verifier = Verifier::new(&app.address);
    assert!(refused(verifier.verify_token("not.a.jwt").await));
    let mut tampered = token.clone();
    tampered.insert(token.rfind('.').unwrap() + 3, 'x');
    assert!(refused(verifier.verify_token(&tampered).await));
    // A client assertion is a JWT from the same key material, but not an access token (typ).
    let assertion = {
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        let key = jsonwebtoken::EncodingKey::from_secret(b"k");
        jsonwebtoken::encode(&header, &json!({"sub": "x"}), &key).unwrap()
    };
    assert!(refused(verifier.verify_token(&assertion).await));
    assert!(matches!(
        verifier.verify_authorization("Digest abc").await,
        Err(Error::MissingCredentials)
    ));
}

#[actix_web::test]
async fn secret_keys_and_basic_verify_and_a_revoked_key_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let client = app.create_client(&["--scope", "documents:read"]);
    let cached = Verifier::builder(&app.address)
        .credential_cache(Duration::from_millis(500))
        .build();
    let uncached = Verifier::builder(&app.address)
        .credential_cache(Duration::ZERO)
        .build();
    let identity = cached.verify_secret_key(&client.secret).await.unwrap();
    assert_eq!(
        (identity.client_id.as_str(), identity.key_id.as_deref()),
        (client.id.as_str(), Some(client.key_id.as_str()))
    );
    assert_eq!(identity.verified_by, VerifiedBy::SecretKey);
    let basic = uncached
        .verify_basic(&client.id, &client.secret)
        .await
        .unwrap();
    assert_eq!(basic.verified_by, VerifiedBy::Basic);
    let tokens = provider(&app, &client);
    tokens.token().await.unwrap();

    let path = format!("/v1/clients/{}/keys/{}", client.id, client.key_id);
    let revoked = app.api(Method::DELETE, &path, &admin, None).await;
    assert_eq!(revoked.status(), 204);
    assert_eq!(
        uncached.verify_secret_key(&client.secret).await,
        Err(Error::InvalidCredentials),
        "refused at once without a cache"
    );
    eventually(
        "the cached answer expires",
        Duration::from_secs(5),
        || async {
            cached
                .verify_secret_key(&client.secret)
                .await
                .is_err()
                .then_some(())
        },
    )
    .await;
    assert_eq!(
        cached.verify_secret_key(&client.secret).await,
        Err(Error::InvalidCredentials),
        "refused once the cached answer is older than the cache's lifetime"
    );
    tokens.invalidate();
    match tokens.token().await {
        Err(Error::Refused { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (401, "invalid_client"))
        }
        other => panic!("a revoked key got {other:?}"),
    }
}

#[actix_web::test]
async fn keys_that_cannot_work_are_refused_before_any_request() {
    assert!(matches!(
        TokenProvider::new("kg_sk_acc_x_y"),
        Err(Error::InvalidKey(_))
    ));
    assert!(matches!(
        TokenProvider::new("hunter2"),
        Err(Error::InvalidKey(_))
    ));
    assert!(matches!(
        TokenProvider::new("kg_pk_e30"),
        Err(Error::InvalidKey(_))
    ));
    // Nothing listens on port 9 of loopback: the provider retries, then says keygate is unavailable.
    let tokens = TokenProvider::builder("kg_sk_acc_x_y")
        .issuer("http://127.0.0.1:9")
        .max_attempts(2)
        .build()
        .unwrap();
    assert!(matches!(tokens.token().await, Err(Error::Unavailable(_))));
}
