//! Introspection (RFC 7662), revocation (RFC 7009) and `/v1/verify`.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{basic, json_with_status, spawn_app, TestApp, TestClient};

async fn introspect(app: &TestApp, caller: &TestClient, token: &str) -> serde_json::Value {
    let response = app
        .post_form(
            "/oauth/introspect",
            &[("token", token)],
            Some(&basic(&caller.id, &caller.secret)),
        )
        .await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    json_with_status(response, 200).await
}

async fn revoke(app: &TestApp, caller: &TestClient, token: &str) -> u16 {
    let response = app
        .post_form(
            "/oauth/revoke",
            &[("token", token)],
            Some(&basic(&caller.id, &caller.secret)),
        )
        .await;
    response.status().as_u16()
}

async fn verify(app: &TestApp, authorization: &str) -> reqwest::Response {
    app.http
        .post(app.url("/v1/verify"))
        .header("authorization", authorization)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn an_introspected_token_is_active_until_revoked_then_refused_everywhere() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme", &[]);
    let client = app.create_client(&["--tenant", &tenant, "--scope", "documents:read"]);
    let token = app.token_for(&client).await;

    let active = introspect(&app, &client, &token).await;
    assert_eq!(active["active"], true);
    assert_eq!(active["client_id"], client.id.as_str());
    assert_eq!(active["scope"], "documents:read");
    assert_eq!(active["tid"], tenant.as_str());
    assert_eq!(
        json_with_status(verify(&app, &format!("Bearer {token}")).await, 200).await["verified_by"],
        "access_token"
    );

    assert_eq!(revoke(&app, &client, &token).await, 200);
    assert_eq!(
        introspect(&app, &client, &token).await,
        json!({"active": false})
    );
    let refused = verify(&app, &format!("Bearer {token}")).await;
    assert!(refused.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    assert_eq!(refused.status().as_u16(), 401);
}

#[actix_web::test]
async fn revoking_another_clients_token_has_no_effect_but_is_audited() {
    let app = spawn_app().await;
    let owner = app.create_client(&[]);
    let other = app.create_client(&[]);
    let token = app.token_for(&owner).await;
    assert_eq!(revoke(&app, &other, &token).await, 200);
    assert_eq!(introspect(&app, &owner, &token).await["active"], true);
    assert_eq!(
        revoke(&app, &other, "not-a-token").await,
        200,
        "RFC 7009 §2.2: invalid tokens are not an error"
    );

    let admin = app.admin_token().await;
    let events = app
        .api_get(
            &format!(
                "/v1/audit?action=token.revoke_refused&client_id={}",
                other.id
            ),
            &admin,
        )
        .await;
    assert_eq!(events["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn a_tenant_client_cannot_introspect_another_tenants_tokens() {
    let app = spawn_app().await;
    let acme = app.create_client(&["--tenant", &app.create_tenant("acme", &[])]);
    let globex = app.create_client(&["--tenant", &app.create_tenant("globex", &[])]);
    let token = app.token_for(&globex).await;
    assert_eq!(
        introspect(&app, &acme, &token).await,
        json!({"active": false})
    );
    assert_eq!(introspect(&app, &globex, &token).await["active"], true);
    assert_eq!(
        introspect(&app, &globex, "garbage").await,
        json!({"active": false})
    );
}

#[actix_web::test]
async fn introspection_and_revocation_need_client_authentication() {
    let app = spawn_app().await;
    for path in ["/oauth/introspect", "/oauth/revoke"] {
        let response = app.post_form(path, &[("token", "x")], None).await;
        assert_eq!(
            response.headers()["www-authenticate"],
            "Basic realm=\"keygate\""
        );
        assert_eq!(
            json_with_status(response, 401).await["error"],
            "invalid_client"
        );
    }
    let client = app.create_client(&[]);
    let missing = app
        .post_form(
            "/oauth/introspect",
            &[],
            Some(&basic(&client.id, &client.secret)),
        )
        .await;
    assert_eq!(
        json_with_status(missing, 400).await["error"],
        "invalid_request"
    );
}

#[actix_web::test]
async fn verify_answers_the_identity_behind_a_secret_key_basic_credentials_or_a_token() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme", &[]);
    let client = app.create_client(&["--tenant", &tenant, "--scope", "documents:read"]);

    let by_key = json_with_status(
        verify(&app, &format!("Bearer {}", client.secret)).await,
        200,
    )
    .await;
    assert_eq!(by_key["client_id"], client.id.as_str());
    assert_eq!(by_key["key_id"], client.key_id.as_str());
    assert_eq!(by_key["tid"], tenant.as_str());
    assert_eq!(by_key["scope"], "documents:read");
    assert_eq!(by_key["verified_by"], "secret_key");

    let by_basic =
        json_with_status(verify(&app, &basic(&client.id, &client.secret)).await, 200).await;
    assert_eq!(by_basic["verified_by"], "basic");

    let token = json_with_status(
        app.token_basic(&client, "&audience=documents-api").await,
        200,
    )
    .await;
    let token = token["access_token"].as_str().unwrap();
    let by_token = json_with_status(verify(&app, &format!("Bearer {token}")).await, 200).await;
    assert_eq!(
        (by_token["sub"].as_str(), by_token["verified_by"].as_str()),
        (Some(client.id.as_str()), Some("access_token"))
    );
    let for_audience = app
        .http
        .post(app.url("/v1/verify?audience=documents-api"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(for_audience.status().as_u16(), 200);
    let wrong_audience = app
        .http
        .post(app.url("/v1/verify?audience=billing-api"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_audience.status().as_u16(), 401);
}

#[actix_web::test]
async fn verify_refuses_bad_revoked_and_missing_credentials_with_a_challenge() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let client = app.create_client(&[]);
    let other = app.create_client(&[]);
    let cases = [
        String::new(),
        "Bearer kg_sk_garbage".to_string(),
        "Bearer eyJhbGciOiJub25lIn0.e30.".to_string(),
        basic(&other.id, &client.secret),
        "Digest abc".to_string(),
    ];
    for authorization in cases {
        let response = verify(&app, &authorization).await;
        assert!(
            response.headers().contains_key("www-authenticate"),
            "{authorization}"
        );
        assert_eq!(
            json_with_status(response, 401).await["error"],
            "unauthorized"
        );
    }
    app.api(
        Method::DELETE,
        &format!("/v1/clients/{}/keys/{}", client.id, client.key_id),
        &admin,
        None,
    )
    .await;
    let revoked = json_with_status(
        verify(&app, &format!("Bearer {}", client.secret)).await,
        401,
    )
    .await;
    assert!(revoked["message"].as_str().unwrap().contains("revoked"));
}

/// A page of `GET /v1/audit`.
#[derive(serde::Deserialize)]
struct AuditPage {
    items: Vec<AuditEvent>,
    next_cursor: Option<String>,
}

#[derive(serde::Deserialize)]
struct AuditEvent {
    action: String,
    detail: Value,
    source_ip: Option<String>,
}

#[actix_web::test]
async fn the_audit_log_records_what_happened_without_secrets() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let tenant = app.tenant("acme").await;
    let body = json!({"name": "svc", "tenant_id": tenant.id});
    let client = app.api_post("/v1/clients", &admin, body).await;
    let client_id = client["id"].as_str().unwrap();
    let keys = format!("/v1/clients/{client_id}/keys");
    let key = app.api_post(&keys, &admin, json!({"kind": "secret"})).await;
    let secret = key["key"].as_str().unwrap();
    let wrong = crate::helpers::wrong_secret(secret);
    let bad = format!("grant_type=client_credentials&client_id={client_id}&client_secret={wrong}");
    app.post_token(&bad, None).await;
    let revoke = format!("{keys}/{}", key["id"].as_str().unwrap());
    app.api(Method::DELETE, &revoke, &admin, None).await;

    let raw = app
        .api_get(&format!("/v1/audit?client_id={client_id}"), &admin)
        .await;
    assert!(
        !raw.to_string().contains(&secret[10..]),
        "no secret in the audit log"
    );
    let events: AuditPage = serde_json::from_value(raw).unwrap();
    let actions: Vec<&str> = events.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "key.revoked",
            "auth.failed",
            "key.created",
            "client.created"
        ],
        "newest first"
    );
    let failed = &events.items[1];
    assert!(failed.detail["reason"]
        .as_str()
        .unwrap()
        .contains("checksum"));
    assert_eq!(failed.source_ip.as_deref(), Some("127.0.0.1"));

    let by_tenant = app
        .api_get(
            &format!("/v1/audit?tenant_id={}&limit=2", tenant.id),
            &admin,
        )
        .await;
    let by_tenant: AuditPage = serde_json::from_value(by_tenant).unwrap();
    assert_eq!(by_tenant.items.len(), 2);
    assert!(by_tenant.next_cursor.is_some());
}
