//! What operators see: request ids in responses and logs, and `/metrics`.

use crate::helpers::{spawn_app, TestClient};

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
