//! Rate limits per client, per tenant and per source address: 429 with `Retry-After` and an RFC-shaped body, and
//! one client or tenant over its limit leaves the others served.

use std::time::Duration;

use crate::helpers::{spawn_app_with, TestApp, TestClient};

/// Sends `count` token requests for `client` at once; how many got 200 and the first refusal, if any.
async fn burst(
    app: &TestApp,
    client: &TestClient,
    count: usize,
) -> (usize, Option<reqwest::Response>) {
    let responses =
        futures_util::future::join_all((0..count).map(|_| app.token_basic(client, ""))).await;
    let ok = responses
        .iter()
        .filter(|r| r.status().as_u16() == 200)
        .count();
    let refused = responses.into_iter().find(|r| r.status().as_u16() == 429);
    (ok, refused)
}

#[actix_web::test]
async fn a_client_over_its_limit_gets_429_and_another_client_is_still_served() {
    let app = spawn_app_with(|config| {
        config.rate_limit_per_client = 5;
        config.rate_limit_per_tenant = 0;
    })
    .await;
    let tenant = app.create_tenant("acme", &[]);
    let noisy = app.create_client(&["--tenant", &tenant]);
    let quiet = app.create_client(&["--tenant", &tenant]);

    let (ok, refused) = burst(&app, &noisy, 30).await;
    assert!(
        (10..=14).contains(&ok),
        "a burst of twice the rate passes, then no more: {ok}"
    );
    let refused = refused.expect("the client went over its limit");
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("rate limit"));

    assert_eq!(app.token_basic(&quiet, "").await.status().as_u16(), 200);
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    assert_eq!(
        app.token_basic(&noisy, "").await.status().as_u16(),
        200,
        "the bucket refills"
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"keygate_throttled_requests_total{method="POST",route="/oauth/token"}"#)
    );
}

#[actix_web::test]
async fn a_tenant_over_its_limit_leaves_other_tenants_served() {
    let app = spawn_app_with(|config| {
        config.rate_limit_per_client = 0;
        config.rate_limit_per_tenant = 5;
    })
    .await;
    let noisy_tenant = app.create_tenant("noisy", &[]);
    let quiet_tenant = app.create_tenant("quiet", &[]);
    let first = app.create_client(&["--tenant", &noisy_tenant]);
    let second = app.create_client(&["--tenant", &noisy_tenant]);
    let other = app.create_client(&["--tenant", &quiet_tenant]);

    let (ok_first, _) = burst(&app, &first, 8).await;
    let (ok_second, refused) = burst(&app, &second, 8).await;
    assert!(
        refused.is_some(),
        "the tenant's clients share one allowance"
    );
    assert!(
        (10..=13).contains(&(ok_first + ok_second)),
        "{ok_first} + {ok_second}"
    );
    let (ok_other, refused) = burst(&app, &other, 8).await;
    assert_eq!((ok_other, refused.is_none()), (8, true));
}

#[actix_web::test]
async fn an_address_over_its_limit_is_refused_at_verify_and_sign_in() {
    let app = spawn_app_with(|config| config.rate_limit_per_address = 5).await;
    let client = app.create_client(&[]);
    let token = app.token_for(&client).await;
    let verifies = futures_util::future::join_all((0..30).map(|_| {
        app.http
            .post(app.url("/v1/verify"))
            .bearer_auth(&token)
            .send()
    }))
    .await;
    let refused = verifies
        .into_iter()
        .map(Result::unwrap)
        .find(|r| r.status().as_u16() == 429)
        .expect("the address went over its limit");
    assert!(refused.headers().contains_key("retry-after"));
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    let sign_in = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "password"),
                ("username", "nobody"),
                ("password", "x"),
            ],
            Some(&crate::helpers::basic(&client.id, &client.secret)),
        )
        .await;
    assert_eq!(sign_in.status().as_u16(), 429);
}
