//! Every way a token request can be wrong gets the RFC 6749 §5.2 error with its status, never a 500.

use std::time::Duration;

use crate::helpers::{basic, eventually, json_with_status, spawn_app, TestApp};

/// Asserts the RFC 6749 §5.2 shape: status, `error` code, description, `no-store`, and the Basic challenge or not.
async fn assert_oauth_error(
    response: reqwest::Response,
    status: u16,
    code: &str,
    challenge: bool,
) -> String {
    assert_eq!(response.headers()["cache-control"], "no-store");
    let challenge_header = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    assert_eq!(
        challenge_header.as_deref(),
        challenge.then_some("Basic realm=\"keygate\"")
    );
    let body = json_with_status(response, status).await;
    assert_eq!(body["error"], code, "body: {body}");
    body["error_description"]
        .as_str()
        .expect("a description")
        .to_string()
}

fn client_credentials_post(id: &str, secret: &str) -> String {
    format!("grant_type=client_credentials&client_id={id}&client_secret={secret}")
}

#[actix_web::test]
async fn wrong_secret_with_basic_is_401_invalid_client_with_challenge() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    let other = app.create_client(&[]);
    let response = app
        .post_token(
            "grant_type=client_credentials",
            Some(&basic(&client.id, &other.secret)),
        )
        .await;
    assert_oauth_error(response, 401, "invalid_client", true).await;
}

#[actix_web::test]
async fn wrong_secret_in_the_form_is_401_invalid_client_without_challenge() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    let other = app.create_client(&[]);
    let response = app
        .post_token(&client_credentials_post(&client.id, &other.secret), None)
        .await;
    assert_oauth_error(response, 401, "invalid_client", false).await;
}

#[actix_web::test]
async fn unknown_client_and_mistyped_key_are_invalid_client() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    let unknown = app
        .post_token(
            "grant_type=client_credentials",
            Some(&basic("sc_nobody", &client.secret)),
        )
        .await;
    assert_oauth_error(unknown, 401, "invalid_client", true).await;

    let mut typo = client.secret.clone().into_bytes();
    let i = typo.len() - 12;
    typo[i] = if typo[i] == b'A' { b'B' } else { b'A' };
    let typo = String::from_utf8(typo).unwrap();
    let response = app
        .post_token(
            "grant_type=client_credentials",
            Some(&basic(&client.id, &typo)),
        )
        .await;
    let description = assert_oauth_error(response, 401, "invalid_client", true).await;
    assert!(description.contains("checksum"), "{description}");
}

#[actix_web::test]
async fn malformed_basic_headers_are_401_invalid_client_with_challenge() {
    let app = spawn_app().await;
    for header in [
        "Basic",
        "Basic !!!",
        "Basic bm9jb2xvbg==",
        "Basic OnNlY3JldA==",
        "Bearer abc",
    ] {
        let response = app
            .post_token("grant_type=client_credentials", Some(header))
            .await;
        assert_oauth_error(response, 401, "invalid_client", true).await;
    }
}

#[actix_web::test]
async fn no_client_authentication_is_401_with_challenge() {
    let app = spawn_app().await;
    let response = app.post_token("grant_type=client_credentials", None).await;
    assert_oauth_error(response, 401, "invalid_client", true).await;
    let client = app.create_client(&[]);
    let id_only = app
        .post_token(
            &format!("grant_type=client_credentials&client_id={}", client.id),
            None,
        )
        .await;
    assert_oauth_error(id_only, 401, "invalid_client", true).await;
}

#[actix_web::test]
async fn two_authentication_methods_in_one_request_are_invalid_request() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    let body = client_credentials_post(&client.id, &client.secret);
    let response = app
        .post_token(&body, Some(&basic(&client.id, &client.secret)))
        .await;
    assert_oauth_error(response, 400, "invalid_request", false).await;
}

#[actix_web::test]
async fn missing_unknown_and_repeated_parameters_are_refused() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    let auth = basic(&client.id, &client.secret);
    let missing = app.post_token("scope=a", Some(&auth)).await;
    assert_oauth_error(missing, 400, "invalid_request", false).await;
    let unknown = app
        .post_token("grant_type=urn:example:magic", Some(&auth))
        .await;
    assert_oauth_error(unknown, 400, "unsupported_grant_type", false).await;
    let repeated = app
        .post_token(
            "grant_type=client_credentials&grant_type=client_credentials",
            Some(&auth),
        )
        .await;
    let description = assert_oauth_error(repeated, 400, "invalid_request", false).await;
    assert!(description.contains("repeated"));
}

#[actix_web::test]
async fn a_grant_the_client_is_not_allowed_is_unauthorized_client() {
    let app = spawn_app().await;
    let client = app.create_client(&["--grant-type", "password"]);
    let response = app.token_basic(&client, "").await;
    assert_oauth_error(response, 400, "unauthorized_client", false).await;
}

#[actix_web::test]
async fn scopes_not_allowed_or_malformed_are_invalid_scope() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme", &[]);
    let client = app.create_client(&["--tenant", &tenant, "--scope", "documents:read"]);
    for scope in [
        "documents%3Awrite",
        "keygate%3Aadmin",
        "documents%3Aread+unknown",
        "a%22b",
    ] {
        let response = app.token_basic(&client, &format!("&scope={scope}")).await;
        assert_oauth_error(response, 400, "invalid_scope", false).await;
    }
}

#[actix_web::test]
async fn an_invalid_resource_is_invalid_target() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    for resource in ["not-a-uri", "https%3A%2F%2Fapi.example%2F%23frag"] {
        let response = app
            .token_basic(&client, &format!("&resource={resource}"))
            .await;
        assert_oauth_error(response, 400, "invalid_target", false).await;
    }
}

#[actix_web::test]
async fn wrong_content_type_and_oversized_bodies_are_refused_in_rfc_shape() {
    let app = spawn_app().await;
    let json = app
        .http
        .post(app.url("/oauth/token"))
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_oauth_error(json, 400, "invalid_request", false).await;

    let huge = format!(
        "grant_type=client_credentials&padding={}",
        "x".repeat(64 * 1024)
    );
    let response = app.post_token(&huge, None).await;
    assert_oauth_error(response, 413, "invalid_request", false).await;

    let not_utf8 = app
        .http
        .post(app.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, b'=', 0x80])
        .send()
        .await
        .unwrap();
    assert!(not_utf8.status().is_client_error());
}

#[actix_web::test]
async fn a_revoked_key_is_invalid_client() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    app.cli_json(&["key", "revoke", "--client", &client.id, &client.key_id]);
    let response = app.token_basic(&client, "").await;
    let description = assert_oauth_error(response, 401, "invalid_client", true).await;
    assert!(description.contains("revoked"), "{description}");
}

#[actix_web::test]
async fn revoking_a_key_in_use_takes_effect_within_the_cache_bound() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    json_with_status(app.token_basic(&client, "").await, 200).await;
    app.cli_json(&["key", "revoke", "--client", &client.id, &client.key_id]);
    // The CLI is another process: this node sees the revocation once its cached entry (1 s here) expires.
    let bound = Duration::from_secs(app.config.credential_cache_seconds + 3);
    eventually("the revoked key refused", bound, || async {
        (app.token_basic(&client, "").await.status().as_u16() == 401).then_some(())
    })
    .await;
    assert_oauth_error(
        app.token_basic(&client, "").await,
        401,
        "invalid_client",
        true,
    )
    .await;
}

#[actix_web::test]
async fn an_expired_key_is_invalid_client() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    let key = app.cli_json(&["key", "create", "--client", &client.id, "--expires-in", "1"]);
    let expiring = crate::helpers::TestClient {
        id: client.id.clone(),
        secret: key["key"].as_str().unwrap().to_string(),
        key_id: key["id"].as_str().unwrap().to_string(),
    };
    json_with_status(app.token_basic(&expiring, "").await, 200).await;
    eventually(
        "the expired key refused",
        Duration::from_secs(5),
        || async { (app.token_basic(&expiring, "").await.status().as_u16() == 401).then_some(()) },
    )
    .await;
    assert_oauth_error(
        app.token_basic(&expiring, "").await,
        401,
        "invalid_client",
        true,
    )
    .await;
}

#[actix_web::test]
async fn a_key_of_a_deleted_client_is_invalid_client() {
    let app: TestApp = spawn_app().await;
    let client = app.create_client(&[]);
    app.cli_json(&["client", "delete", &client.id]);
    assert_oauth_error(
        app.token_basic(&client, "").await,
        401,
        "invalid_client",
        true,
    )
    .await;
}

#[actix_web::test]
async fn twenty_failed_authentications_a_minute_are_answered_429_with_retry_after() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    let other = app.create_client(&[]);
    for _ in 0..20 {
        let response = app
            .post_token(
                "grant_type=client_credentials",
                Some(&basic(&client.id, &other.secret)),
            )
            .await;
        assert_eq!(response.status().as_u16(), 401);
    }
    let blocked = app.token_basic(&client, "").await;
    let retry_after: u64 = blocked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    assert_oauth_error(blocked, 429, "temporarily_unavailable", false).await;
    // Another client from the same address is not affected.
    json_with_status(app.token_basic(&other, "").await, 200).await;
}
