//! Protocol details that strict clients check: refresh-token introspection (RFC 7662 §2.1), CORS on the public
//! documents, exact metadata, the RFC 6749 §5.2 character set, bounded request bodies, and the client address
//! behind trusted proxies.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{basic, json_with_status, spawn_app, spawn_app_with, TestApp};
use crate::lifecycle::{introspection, sign_in, world, PASSWORD};

#[actix_web::test]
async fn a_client_introspects_its_own_live_refresh_token_and_no_other_client_sees_it() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let (_, refresh) = sign_in(&app, &w.spa, "alice", PASSWORD).await;
    let answer = introspection(&app, &w.spa, &refresh).await;
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["token_type"], "refresh_token");
    assert_eq!(answer["client_id"], w.spa.id.as_str());
    assert_eq!(answer["sub"], w.alice.as_str());
    assert_eq!(answer["tid"], w.tenant.as_str());
    assert!(answer["exp"].as_i64().unwrap() > answer["iat"].as_i64().unwrap());
    assert!(answer["scope"].is_string());
    // Another client of the same tenant, even its admin, learns nothing.
    assert_eq!(
        introspection(&app, &w.tenant_admin, &refresh).await,
        serde_json::json!({"active": false})
    );
    // Spent by a rotation, it is no longer active.
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
    ];
    let rotated = app
        .post_form(
            "/oauth/token",
            &form,
            Some(&basic(&w.spa.id, &w.spa.secret)),
        )
        .await;
    json_with_status(rotated, 200).await;
    assert_eq!(introspection(&app, &w.spa, &refresh).await["active"], false);
}

#[actix_web::test]
async fn discovery_documents_and_the_jwks_are_readable_from_any_origin() {
    let app = spawn_app().await;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
        "/.well-known/jwks.json",
    ] {
        let response = app
            .http
            .get(app.url(path))
            .header("origin", "https://spa.example")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "*",
            "{path}"
        );
    }
}

#[actix_web::test]
async fn metadata_lists_exactly_what_each_endpoint_accepts() {
    let app = spawn_app().await;
    let metadata = json_with_status(
        app.get("/.well-known/oauth-authorization-server").await,
        200,
    )
    .await;
    let methods =
        |name: &str| -> Vec<String> { serde_json::from_value(metadata[name].clone()).unwrap() };
    let confidential = [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ];
    assert_eq!(
        methods("token_endpoint_auth_methods_supported"),
        [&confidential[..], &["none"]].concat()
    );
    assert_eq!(
        methods("revocation_endpoint_auth_methods_supported"),
        [&confidential[..], &["none"]].concat()
    );
    assert_eq!(
        methods("introspection_endpoint_auth_methods_supported"),
        confidential
    );
    assert_eq!(methods("response_modes_supported"), ["query"]);
}

/// Every `error_description` a request can provoke, for bodies that are not UTF-8, hold control characters or quotes.
#[actix_web::test]
async fn error_descriptions_stay_within_the_rfc_6749_character_set() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    let bodies: [&[u8]; 6] = [
        b"grant_type=%FF%FE",
        b"grant_type=\xff\xfe",
        b"%FF=1&grant_type=client_credentials",
        b"grant_type=a%22b%5Cc%01%0A",
        b"grant_type=client_credentials&scope=%01%7F%C3%A9%22",
        b"grant_type=client_credentials&resource=%0Ahttps://x",
    ];
    for body in bodies {
        let response = app
            .http
            .post(app.url("/oauth/token"))
            .header("authorization", basic(&client.id, &client.secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{body:?}");
        let answer: Value = response.json().await.unwrap();
        let description = answer["error_description"].as_str().unwrap();
        assert!(
            description
                .chars()
                .all(|c| matches!(c, ' '..='~') && c != '"' && c != '\\'),
            "{body:?} gave {description:?}"
        );
        assert!(!description.contains('\u{fffd}'));
    }
}

/// Sends `head` (and `body`) on a raw connection and reads the answer until the server closes it.
async fn raw_exchange(app: &TestApp, head: &str, body: &[u8]) -> String {
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = Vec::new();
    // The server answers and closes; a generous bound only keeps a broken server from hanging the suite.
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut answer))
        .await
        .expect("the server answered and closed the connection")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[actix_web::test]
async fn an_oversized_content_length_is_413_at_once_and_a_body_that_never_arrives_is_408() {
    let app = spawn_app_with(|config| config.body_timeout_seconds = 1).await;
    let host = app.address.trim_start_matches("http://");
    // Nothing of the announced 100 MB is sent: the answer comes anyway, and the connection closes.
    let huge = format!(
        "POST /oauth/token HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 100000000\r\n\r\n"
    );
    let answer = raw_exchange(&app, &huge, b"").await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("invalid_request"),
        "the OAuth error shape: {answer}"
    );
    let huge_json = format!(
        "POST /v1/tenants HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\ncontent-length: 100000000\r\n\r\n"
    );
    let answer = raw_exchange(&app, &huge_json, b"").await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("payload_too_large"),
        "the /v1 error shape: {answer}"
    );
    // 10 of 100 bytes, then silence: 408 after body_timeout_seconds, not a connection held open.
    let slow = format!(
        "POST /oauth/token HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\n"
    );
    let answer = raw_exchange(&app, &slow, b"grant_type").await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

async fn failed_auth_source_ip(app: &TestApp, forwarded: &[(&str, &str)]) -> Value {
    let admin = app.admin_token().await;
    let client = app.create_client(&[]);
    let mut request = app
        .http
        .post(app.url("/oauth/token"))
        .header("authorization", basic(&client.id, "kg_sk_wrong"))
        .form(&[("grant_type", "client_credentials")]);
    for (name, value) in forwarded {
        request = request.header(*name, *value);
    }
    assert_eq!(request.send().await.unwrap().status().as_u16(), 401);
    let events = app
        .api_get(
            &format!("/v1/audit?client_id={}&action=auth.failed", client.id),
            &admin,
        )
        .await;
    events["items"][0]["source_ip"].clone()
}

#[actix_web::test]
async fn the_client_address_is_the_peer_unless_a_trusted_proxy_forwarded_the_request() {
    let spoofed = [
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=198.51.100.4"),
    ];
    let app = spawn_app().await;
    assert_eq!(failed_auth_source_ip(&app, &spoofed).await, "127.0.0.1");
    let behind_proxy =
        spawn_app_with(|config| config.trusted_proxies = vec!["127.0.0.0/8".into()]).await;
    assert_eq!(
        failed_auth_source_ip(
            &behind_proxy,
            &[("x-forwarded-for", "192.0.2.1, 203.0.113.9")]
        )
        .await,
        "203.0.113.9",
        "the nearest untrusted hop"
    );
    assert_eq!(
        failed_auth_source_ip(
            &behind_proxy,
            &[("forwarded", "for=\"[2001:db8::1]:4711\"")]
        )
        .await,
        "2001:db8::1"
    );
}
