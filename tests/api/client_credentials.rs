//! The client_credentials grant, end to end: a standard OAuth2 library gets a token and it verifies against the JWKS.

use oauth2::basic::BasicClient;
use oauth2::{AuthUrl, ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};

use crate::helpers::{basic, json_with_status, spawn_app, verify_with_jwks};

#[actix_web::test]
async fn oauth2_crate_gets_a_token_with_basic_auth_that_verifies_against_the_jwks() {
    let app = spawn_app().await;
    let client = app.create_client(&["--scope", "documents:read", "--scope", "documents:write"]);
    let oauth = BasicClient::new(ClientId::new(client.id.clone()))
        .set_client_secret(ClientSecret::new(client.secret.clone()))
        .set_auth_uri(AuthUrl::new(app.url("/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).unwrap());
    let http = oauth2::reqwest::Client::builder()
        .redirect(oauth2::reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let token = oauth
        .exchange_client_credentials()
        .add_scope(Scope::new("documents:read".into()))
        .request_async(&http)
        .await
        .expect("the token request succeeds");

    let (header, claims) = verify_with_jwks(
        token.access_token().secret(),
        &app.jwks().await,
        &app.address,
        &app.address,
    );
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(claims["iss"], app.address.as_str());
    assert_eq!(claims["sub"], client.id.as_str());
    assert_eq!(claims["client_id"], client.id.as_str());
    assert_eq!(claims["scope"], "documents:read");
    assert_eq!(claims["gty"], "client_credentials");
    assert!(claims.get("tid").is_none(), "a global client has no tenant");
    assert_eq!(claims["jti"].as_str().map(str::len), Some(22));
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(
        token.expires_in().map(|d| d.as_secs() as i64),
        Some(lifetime)
    );
    assert_eq!(lifetime, 3600);
}

#[actix_web::test]
async fn client_secret_post_gets_a_token_with_all_allowed_scopes_by_default() {
    let app = spawn_app().await;
    let client = app.create_client(&["--scope", "a", "--scope", "b"]);
    let body = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        client.id, client.secret
    );
    let response = app.post_token(&body, None).await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body = json_with_status(response, 200).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "a b");
    assert_eq!(body["expires_in"], 3600);
}

#[actix_web::test]
async fn configured_default_scopes_apply_when_no_scope_is_requested() {
    let app = spawn_app().await;
    let client = app.create_client(&["--scope", "a", "--scope", "b", "--default-scope", "b"]);
    let body = json_with_status(app.token_basic(&client, "").await, 200).await;
    assert_eq!(body["scope"], "b");
}

#[actix_web::test]
async fn basic_credentials_are_form_url_decoded() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    // RFC 6749 §2.3.1: id and secret are form-urlencoded inside Basic; an encoded underscore must decode.
    let encoded_id = client.id.replacen('_', "%5F", 1);
    let response = app
        .post_token(
            "grant_type=client_credentials",
            Some(&basic(&encoded_id, &client.secret)),
        )
        .await;
    json_with_status(response, 200).await;
}

#[actix_web::test]
async fn tenant_clients_carry_tid_and_lifetimes_resolve_client_then_tenant_then_server() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme", &["--ttl-client-credentials", "120"]);
    let from_tenant = app.create_client(&["--tenant", &tenant]);
    let from_client = app.create_client(&["--tenant", &tenant, "--ttl-client-credentials", "60"]);

    let body = json_with_status(app.token_basic(&from_tenant, "").await, 200).await;
    assert_eq!(body["expires_in"], 120);
    let (_, claims) = verify_with_jwks(
        body["access_token"].as_str().unwrap(),
        &app.jwks().await,
        &app.address,
        &app.address,
    );
    assert_eq!(claims["tid"], tenant.as_str());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        120
    );

    let body = json_with_status(app.token_basic(&from_client, "").await, 200).await;
    assert_eq!(body["expires_in"], 60);

    let shown = app.cli_json(&["client", "show", &from_client.id]);
    assert_eq!(
        shown["effective_ttl"]["client_credentials"]["source"],
        "client"
    );
    assert_eq!(shown["effective_ttl"]["password"]["source"], "server");
}

#[actix_web::test]
async fn resource_and_audience_parameters_set_aud() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    let jwks = app.jwks().await;

    let one = json_with_status(
        app.token_basic(&client, "&resource=https%3A%2F%2Fapi.example.com%2F")
            .await,
        200,
    )
    .await;
    let (_, claims) = verify_with_jwks(
        one["access_token"].as_str().unwrap(),
        &jwks,
        &app.address,
        "https://api.example.com/",
    );
    assert_eq!(claims["aud"], "https://api.example.com/");

    let both = "&resource=https%3A%2F%2Fa.example&resource=https%3A%2F%2Fb.example";
    let two = json_with_status(app.token_basic(&client, both).await, 200).await;
    let (_, claims) = verify_with_jwks(
        two["access_token"].as_str().unwrap(),
        &jwks,
        &app.address,
        "https://b.example",
    );
    assert_eq!(
        claims["aud"],
        serde_json::json!(["https://a.example", "https://b.example"])
    );

    let named = json_with_status(
        app.token_basic(&client, "&audience=documents-api").await,
        200,
    )
    .await;
    let (_, claims) = verify_with_jwks(
        named["access_token"].as_str().unwrap(),
        &jwks,
        &app.address,
        "documents-api",
    );
    assert_eq!(claims["aud"], "documents-api");
}

#[actix_web::test]
async fn the_admin_client_from_init_gets_keygate_admin() {
    let app = spawn_app().await;
    let admin = app.init_admin();
    let body = json_with_status(app.token_basic(&admin, "").await, 200).await;
    assert_eq!(body["scope"], "keygate:admin");
}
