//! Snapshots of the public shapes: the route table as `/openapi.json` documents it, and the error bodies of each
//! API. Ids and times are redacted, so a snapshot changes only when a shape does (`INSTA_UPDATE=always cargo test`
//! rewrites them; review the diff).

use reqwest::Method;
use serde_json::{json, Value};

use crate::fixtures::ErrorAnswer;
use crate::helpers::{basic, spawn_app};

/// Every id in `text` with its random part redacted: `sc_4fQ…` → `sc_[id]`.
fn redact_ids(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = ["ten_", "usr_", "sc_", "acc_", "rol_", "rec_"]
        .iter()
        .filter_map(|prefix| rest.find(prefix).map(|i| (i, prefix.len())))
        .min()
    {
        let (start, prefix_len) = at;
        let tail = &rest[start + prefix_len..];
        let random = tail.chars().take_while(char::is_ascii_alphanumeric).count();
        out.push_str(&rest[..start + prefix_len]);
        if random == 22 {
            out.push_str("[id]");
        } else {
            out.push_str(&tail[..random]);
        }
        rest = &tail[random..];
    }
    out.push_str(rest);
    out
}

#[actix_web::test]
async fn the_documented_routes_are_the_route_table() {
    let app = spawn_app().await;
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    let mut routes: Vec<String> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .unwrap()
                .keys()
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    routes.sort();
    insta::assert_json_snapshot!("routes", routes);
}

#[actix_web::test]
async fn v1_error_bodies_keep_their_shape() {
    let app = spawn_app().await;
    let acme = app.tenant("acme").await;
    let alice = acme.user(&app, "alice").await;
    assert_eq!(
        (alice.username.as_str(), alice.tenant_id.as_str()),
        ("alice", acme.id.as_str())
    );
    let client = acme.client(&app, &[]);
    // The tenant admin's own credentials work as Basic as well as through its token.
    let admin_basic = basic(&acme.admin.id, &acme.admin.secret);
    let mut answers = serde_json::Map::new();
    let mut v1 = |name: &str, status: u16, body: ErrorAnswer| {
        answers.insert(
            name.to_string(),
            json!({"status": status, "error": body.error, "message": redact_ids(&body.message)}),
        );
    };
    for (name, method, path, body) in [
        (
            "a user id where a client id belongs",
            Method::GET,
            format!("/v1/clients/{}", alice.id),
            None,
        ),
        (
            "a record with an unknown role",
            Method::POST,
            "/v1/records".to_string(),
            Some(
                json!({"name": "r", "subjects": [client.id], "statements": [{"roles": ["Nobody"], "resources": ["/a"]}]}),
            ),
        ),
        (
            "a resource pattern that is not in normal form",
            Method::POST,
            "/v1/records".to_string(),
            Some(
                json!({"name": "r", "statements": [{"roles": ["Nobody"], "resources": ["/a/../b"]}]}),
            ),
        ),
    ] {
        let auth = if body.is_some() {
            &admin_basic
        } else {
            &acme.admin_token
        };
        let answer = app.api(method, &path, auth, body).await;
        let status = answer.status().as_u16();
        v1(name, status, answer.json().await.unwrap());
    }
    let unauthenticated = app.http.get(app.url("/v1/tenants")).send().await.unwrap();
    let challenges: Vec<&str> = unauthenticated
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    answers.insert(
        "no credentials at /v1".to_string(),
        json!({"status": unauthenticated.status().as_u16(), "www-authenticate": challenges}),
    );

    insta::assert_json_snapshot!("v1_error_bodies", answers);
}

#[actix_web::test]
async fn oauth_error_bodies_keep_their_shape() {
    let app = spawn_app().await;
    let client = app.tenant("acme").await.client(&app, &[]);
    let mut answers = serde_json::Map::new();
    for (name, form, authorization) in [
        (
            "a wrong secret at the token endpoint",
            "grant_type=client_credentials".to_string(),
            Some(basic(
                &client.id,
                &crate::helpers::wrong_secret(&client.secret),
            )),
        ),
        (
            "a scope the client may not have",
            "grant_type=client_credentials&scope=admin:everything".to_string(),
            Some(basic(&client.id, &client.secret)),
        ),
        (
            "an unknown grant type",
            "grant_type=magic".to_string(),
            Some(basic(&client.id, &client.secret)),
        ),
    ] {
        let answer = app.post_token(&form, authorization.as_deref()).await;
        let status = answer.status().as_u16();
        let body: Value = answer.json().await.unwrap();
        answers.insert(
            name.to_string(),
            json!({
                "status": status,
                "error": body["error"],
                "error_description": redact_ids(body["error_description"].as_str().unwrap_or_default()),
            }),
        );
    }
    insta::assert_json_snapshot!("oauth_error_bodies", answers);
}

#[test]
fn ids_are_redacted_and_nothing_else() {
    assert_eq!(
        redact_ids("client sc_0123456789abcdefghijKL of ten_0123456789abcdefghijKL, not sc_short"),
        "client sc_[id] of ten_[id], not sc_short"
    );
}
