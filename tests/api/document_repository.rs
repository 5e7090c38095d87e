//! `examples/document_repository.rs` against a real keygate: the three ways in, a permitted and a denied call,
//! and the 401 challenges.

use std::net::TcpListener;

use keygate_sdk::TokenProvider;
use reqwest::header::WWW_AUTHENTICATE;

use crate::document_repository_example::{serve, Settings};
use crate::fixtures::Tenant;
use crate::helpers::{spawn_app, TestApp, TestClient};

/// keygate with a tenant whose `reader` client may read documents and whose `editor` may also write them, and the
/// document API running with a client of its own that holds `keygate:authorize`.
pub(crate) async fn world(app: &TestApp) -> (String, TestClient, TestClient) {
    world_in(app, &app.tenant("acme").await).await
}

/// The same world in a tenant the test made: its address, the reader and the editor.
pub(crate) async fn world_in(app: &TestApp, tenant: &Tenant) -> (String, TestClient, TestClient) {
    tenant.role(app, "Reader", &["documents:read"]).await;
    tenant.role(app, "Editor", &["documents:*"]).await;
    let reader = tenant.client(app, &[]);
    let editor = tenant.client(app, &[]);
    tenant
        .grant(app, &reader.id, "Reader", "/documents/*")
        .await;
    tenant
        .grant(app, &editor.id, "Editor", "/documents/*")
        .await;
    let api_client = tenant.client(app, &["--scope", "keygate:authorize"]);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let settings = Settings {
        issuer: app.address.clone(),
        audience: None,
        access_key: api_client.secret,
        public_url: address.clone(),
    };
    actix_web::rt::spawn(serve(listener, &settings).unwrap());
    (address, reader, editor)
}

#[actix_web::test]
async fn the_document_api_lets_callers_in_three_ways_and_follows_their_permissions() {
    let app = spawn_app().await;
    let (documents, reader, editor) = world(&app).await;
    let http = reqwest::Client::new();
    let welcome = format!("{documents}/documents/welcome");

    let token = TokenProvider::builder(&reader.secret)
        .issuer(&app.address)
        .build()
        .unwrap()
        .token()
        .await
        .unwrap();
    let ways_in = [
        http.get(&welcome).bearer_auth(&token),
        http.get(&welcome).bearer_auth(&reader.secret),
        http.get(&welcome)
            .basic_auth(&reader.id, Some(&reader.secret)),
    ];
    for request in ways_in {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["text"], "Hello from the document repository.");
    }

    let denied = http
        .put(&welcome)
        .bearer_auth(&reader.secret)
        .body("mine now")
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 403);
    assert_eq!(
        denied.json::<serde_json::Value>().await.unwrap()["error"],
        "forbidden"
    );

    let written = http
        .put(&welcome)
        .basic_auth(&editor.id, Some(&editor.secret))
        .body("edited")
        .send()
        .await
        .unwrap();
    assert_eq!(written.status(), 200);
    let read = http.get(&welcome).bearer_auth(&token).send().await.unwrap();
    assert_eq!(
        read.json::<serde_json::Value>().await.unwrap()["text"],
        "edited"
    );
    let missing = http
        .get(format!("{documents}/documents/other"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[actix_web::test]
async fn the_document_api_challenges_callers_without_valid_credentials() {
    let app = spawn_app().await;
    let (documents, reader, _) = world(&app).await;
    let http = reqwest::Client::new();
    let welcome = format!("{documents}/documents/welcome");
    let challenge = |response: &reqwest::Response| {
        response.headers()[WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .to_string()
    };

    let anonymous = http.get(&welcome).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let metadata_url = format!("{documents}/.well-known/oauth-protected-resource");
    assert_eq!(
        challenge(&anonymous),
        format!(
            r#"Bearer realm="documents", resource_metadata="{metadata_url}", Basic realm="documents""#
        )
    );
    // RFC 9728: the document the challenge names tells an agent where tokens come from.
    let metadata: serde_json::Value = http
        .get(&metadata_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["resource"], documents.as_str());
    assert_eq!(
        metadata["authorization_servers"],
        serde_json::json!([app.address])
    );
    assert_eq!(
        metadata["scopes_supported"],
        serde_json::json!(["documents:read", "documents:write"])
    );
    assert_eq!(
        metadata["bearer_methods_supported"],
        serde_json::json!(["header"])
    );

    let forged = http
        .get(&welcome)
        .bearer_auth("eyJhbGciOiJub25lIn0.e30.")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    assert!(challenge(&forged).starts_with(&format!(
        r#"Bearer realm="documents", resource_metadata="{metadata_url}", error="invalid_token""#
    )));
    let body: serde_json::Value = forged.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");

    let wrong_secret = crate::helpers::wrong_secret(&reader.secret);
    let basic = http
        .get(&welcome)
        .basic_auth(&reader.id, Some(&wrong_secret))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
    assert_eq!(challenge(&basic), r#"Basic realm="documents""#);
    let key = http
        .get(&welcome)
        .bearer_auth(&wrong_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(key.status(), 401);
    assert!(challenge(&key).contains(r#"error="invalid_token""#));
}
