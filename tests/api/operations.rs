//! What operators see and rely on: request ids, `/metrics`, and the limits on slow, large and many requests.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{spawn_app, spawn_app_with, TestClient};

#[actix_web::test]
async fn every_response_carries_a_request_id_and_a_sane_incoming_one_is_kept() {
    let app = spawn_app().await;
    let url = format!("{}/healthz", app.address);
    let id_of = |response: &reqwest::Response| {
        response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_string()
    };

    let first = id_of(&app.http.get(&url).send().await.unwrap());
    let second = id_of(&app.http.get(&url).send().await.unwrap());
    assert_eq!(first.len(), 22, "{first}");
    assert_ne!(first, second, "each request gets its own id");

    let traced = app
        .http
        .get(&url)
        .header("X-Request-Id", "trace-4bf92f35:1");
    assert_eq!(id_of(&traced.send().await.unwrap()), "trace-4bf92f35:1");

    // Too long or with characters unsafe to log: replaced, never echoed.
    for unsafe_id in ["x".repeat(129), "a b".to_string(), "quote\"".to_string()] {
        let response = app
            .http
            .get(&url)
            .header("X-Request-Id", &unsafe_id)
            .send()
            .await
            .unwrap();
        let id = id_of(&response);
        assert_ne!(id, unsafe_id);
        assert_eq!(id.len(), 22);
    }

    // Errors carry it too: an OAuth error and an unknown endpoint.
    let refused = app
        .http
        .post(format!("{}/oauth/token", app.address))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    assert_eq!(id_of(&refused).len(), 22);
    let missing = app
        .http
        .get(format!("{}/v1/nothing-here", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    assert_eq!(id_of(&missing).len(), 22);
}

#[actix_web::test]
async fn metrics_count_requests_tokens_failures_throttling_and_the_pool() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    let other = app.create_client(&[]);
    for _ in 0..2 {
        assert_eq!(app.token_basic(&client, "").await.status().as_u16(), 200);
    }
    // Another client's secret under this client's id, until the pair is throttled (20 failures a minute).
    let impostor = TestClient {
        secret: other.secret.clone(),
        ..client.clone()
    };
    let mut statuses = Vec::new();
    for _ in 0..21 {
        statuses.push(app.token_basic(&impostor, "").await.status().as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 20);
    assert_eq!(statuses.last(), Some(&429));
    let admin = app.admin_token().await;
    app.api_get(&format!("/v1/clients/{}", client.id), &admin)
        .await;
    assert_eq!(app.get("/no/such/path").await.status().as_u16(), 404);

    let response = app.get("/metrics").await;
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    let value = |series: &str| -> f64 {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
    };
    // The admin token is a third client_credentials token.
    assert_eq!(
        value(r#"keygate_tokens_issued_total{grant_type="client_credentials"}"#),
        3.0
    );
    assert_eq!(
        value(r#"keygate_http_requests_total{method="POST",route="/oauth/token",status="401"}"#),
        20.0
    );
    assert_eq!(
        value(r#"keygate_authentication_failures_total{reason="wrong_secret"}"#),
        20.0
    );
    assert_eq!(
        value(r#"keygate_throttled_requests_total{method="POST",route="/oauth/token"}"#),
        1.0
    );
    assert_eq!(
        value(r#"keygate_http_request_duration_seconds_count{method="POST",route="/oauth/token"}"#),
        24.0
    );
    // Route patterns, not paths: ids and unknown paths never make new series.
    assert_eq!(
        value(r#"keygate_http_requests_total{method="GET",route="/v1/clients/{id}",status="200"}"#),
        1.0
    );
    assert!(!text.contains(&client.id));
    assert_eq!(
        value(r#"keygate_http_requests_total{method="GET",route="unmatched",status="404"}"#),
        1.0
    );
    assert_eq!(value(r#"keygate_db_pool_connections{state="max"}"#), 4.0);
    assert!(value(r#"keygate_db_pool_connections{state="idle"}"#) >= 1.0);
}

/// Sends `request` on a fresh connection and reads until the server closes it (or 10 s pass); the bytes read and
/// how long the server took.
async fn raw_exchange(address: &str, request: &[u8]) -> (String, Duration) {
    let mut stream = TcpStream::connect(address.trim_start_matches("http://"))
        .await
        .unwrap();
    let started = Instant::now();
    // The server may answer and close before reading everything of an oversized request.
    let _ = stream.write_all(request).await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await;
    (
        String::from_utf8_lossy(&response).into_owned(),
        started.elapsed(),
    )
}

#[actix_web::test]
async fn a_client_too_slow_to_send_its_headers_gets_408_and_is_disconnected() {
    let app = spawn_app_with(|config| config.request_timeout_seconds = 1).await;
    let (response, took) =
        raw_exchange(&app.address, b"POST /oauth/token HTTP/1.1\r\nHost: k").await;
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[actix_web::test]
async fn oversized_or_too_many_headers_are_refused_and_the_server_goes_on() {
    let app = spawn_app().await;
    let huge = format!(
        "GET /healthz HTTP/1.1\r\nHost: k\r\nX-Padding: {}\r\n\r\n",
        "a".repeat(256 * 1024)
    );
    let (response, _) = raw_exchange(&app.address, huge.as_bytes()).await;
    assert!(response.starts_with("HTTP/1.1 431"), "{response:.200}");
    let many: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    let (response, _) = raw_exchange(
        &app.address,
        format!("GET /healthz HTTP/1.1\r\nHost: k\r\n{many}\r\n").as_bytes(),
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 431"), "{response:.200}");
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}

#[actix_web::test]
async fn oversized_bodies_get_413_in_each_api_shape() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    let form = app
        .post_token(
            &format!(
                "grant_type=client_credentials&scope={}",
                "a".repeat(20 * 1024)
            ),
            Some(&crate::helpers::basic(&client.id, &client.secret)),
        )
        .await;
    assert_eq!(form.status().as_u16(), 413);
    let body: serde_json::Value = form.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");

    let admin = app.admin_token().await;
    let json = app
        .http
        .post(app.url("/v1/tenants"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"name": "a".repeat(100 * 1024), "slug": "big"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status().as_u16(), 413);
    let body: serde_json::Value = json.json().await.unwrap();
    assert_eq!(body["error"], "payload_too_large");
}

#[actix_web::test]
async fn connections_over_the_cap_wait_until_one_closes() {
    let app = spawn_app_with(|config| {
        config.max_connections = 2;
        config.workers = Some(1);
    })
    .await;
    let health = b"GET /healthz HTTP/1.1\r\nHost: k\r\n\r\n";
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
            .await
            .unwrap();
        stream.write_all(health).await.unwrap();
        let mut buffer = [0u8; 512];
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(buffer[..read].starts_with(b"HTTP/1.1 200"));
        held.push(stream);
    }
    // A third connection is accepted by the kernel but not served while two are open.
    let mut third = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    third.write_all(health).await.unwrap();
    let mut buffer = [0u8; 512];
    let waited = tokio::time::timeout(Duration::from_millis(700), third.read(&mut buffer)).await;
    assert!(
        waited.is_err(),
        "the third connection was served while two were open"
    );
    drop(held.pop());
    let read = tokio::time::timeout(Duration::from_secs(5), third.read(&mut buffer))
        .await
        .expect("served once a connection closed")
        .unwrap();
    assert!(buffer[..read].starts_with(b"HTTP/1.1 200"));
}

/// Found by the schema fuzzer: PostgreSQL cannot store a NUL character in text, which SQLite can. Either way the
/// caller gets an answer about its request, never a server error.
#[actix_web::test]
async fn nul_characters_in_input_are_the_callers_error_on_every_backend() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let listed = app
        .http
        .get(app.url("/v1/clients?tenant_id=%00&cursor=a%00b"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert!(
        [200, 400].contains(&listed.status().as_u16()),
        "{}",
        listed.status()
    );
    let created = app
        .http
        .post(app.url("/v1/tenants"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"name": "nul\u{0}name", "slug": "nul-name"}))
        .send()
        .await
        .unwrap();
    assert!(
        [201, 400].contains(&created.status().as_u16()),
        "{}",
        created.status()
    );
    let token = app
        .http
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sc_\0"),
            ("client_secret", "kg_sk_\0"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        [400, 401].contains(&token.status().as_u16()),
        "{}",
        token.status()
    );
}
