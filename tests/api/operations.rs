//! What operators see: request ids in responses and logs.

use crate::helpers::spawn_app;

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
