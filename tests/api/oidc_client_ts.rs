//! oidc-client-ts, the library most SPAs (and react-oidc-context) sign people in with, in a real headless Chromium:
//! the test SPA of `tests/spa` on an origin of its own discovers keygate, signs in with code + PKCE + nonce, reads
//! userinfo, renews with the refresh token and in a hidden iframe with `prompt=none`, and signs out at the
//! `end_session_endpoint`.

use std::collections::HashMap;
use std::net::TcpListener;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::chromium::{click, save_screenshot, sign_in_on_login_page, wait_for_text, Chromedriver};
use crate::fixtures::PASSWORD;
use crate::helpers::{json_with_status, node_clients, spawn_app};

/// Serves `tests/spa`, oidc-client-ts's browser bundle and a `config.js` naming the issuer and client on `listener`.
fn serve_spa(listener: TcpListener, issuer: &str, client_id: &str) {
    let spa = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/spa");
    let bundle =
        node_clients().join("node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js");
    let read =
        |path: std::path::PathBuf| std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut files: HashMap<String, Vec<u8>> = [
        "index.html",
        "silent.html",
        "settings.js",
        "spa.js",
        "silent.js",
    ]
    .into_iter()
    .map(|name| (name.to_string(), read(spa.join(name))))
    .collect();
    files.insert("oidc-client-ts.min.js".into(), read(bundle));
    let config = json!({"issuer": issuer, "client_id": client_id});
    files.insert(
        "config.js".into(),
        format!("window.keygate = {config};").into_bytes(),
    );
    let files = web::Data::new(files);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(files.clone())
            .default_service(web::get().to(spa_file))
    })
    .workers(1)
    .listen(listener)
    .expect("the SPA's listener")
    .run();
    actix_web::rt::spawn(server);
}

async fn spa_file(req: HttpRequest, files: web::Data<HashMap<String, Vec<u8>>>) -> HttpResponse {
    let name = match req.path().trim_start_matches('/') {
        "" => "index.html",
        name => name,
    };
    match files.get(name) {
        Some(body) if name.ends_with(".html") => HttpResponse::Ok()
            .content_type("text/html")
            .body(body.clone()),
        Some(body) => HttpResponse::Ok()
            .content_type("text/javascript")
            .body(body.clone()),
        None => HttpResponse::NotFound().finish(),
    }
}

/// What the SPA shows of its signed-in user (`#user`): `profile` (ID token and userinfo claims), `scope`,
/// `refresh_token`.
async fn shown_user(browser: &Client) -> Value {
    let text = browser
        .find(Locator::Css("#user"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("#user is not JSON ({e}): {text}"))
}

#[actix_web::test]
async fn oidc_client_ts_signs_in_renews_by_refresh_and_prompt_none_and_signs_out_in_a_real_browser()
{
    let app = spawn_app().await;
    let tenant = app.tenant("acme").await;
    let alice = tenant.user(&app, "alice").await;
    let profile = json!({"display_name": "Alice Liddell", "email": "alice@example.com", "email_verified": true});
    tenant.change_user(&app, &alice.id, profile).await;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let spa = json!({"name": "Acme SPA", "tenant_id": tenant.id, "public": true,
                     "scopes": ["openid", "profile", "email", "documents:read"],
                     "redirect_uris": [format!("{origin}/"), format!("{origin}/silent.html")],
                     "post_logout_redirect_uris": [format!("{origin}/")], "allowed_origins": [origin]});
    let client = app.api_post("/v1/clients", &tenant.admin_token, spa).await;
    let client_id = client["id"].as_str().unwrap().to_string();
    serve_spa(listener, &app.address, &client_id);
    let driver = Chromedriver::start();
    let browser_profile = tempfile::tempdir().unwrap();
    let browser = driver.session(browser_profile.path()).await;

    // Sign in: discovery, the login page, the code exchanged with PKCE, the ID token's nonce checked, userinfo read.
    browser.goto(&format!("{origin}/")).await.unwrap();
    wait_for_text(&browser, "#status", "Signed out").await;
    click(&browser, "#sign-in").await;
    sign_in_on_login_page(&browser, "alice", PASSWORD).await;
    wait_for_text(&browser, "#status", "Signed in").await;
    let signed_in = shown_user(&browser).await;
    let claims = &signed_in["profile"];
    assert_eq!(claims["sub"], alice.id.as_str());
    assert_eq!(
        (&claims["aud"], &claims["tid"]),
        (&json!(client_id), &json!(tenant.id))
    );
    assert_eq!(
        (&claims["name"], &claims["email"]),
        (&json!("Alice Liddell"), &json!("alice@example.com"))
    );
    assert!(
        claims["nonce"].is_string() && claims["sid"].is_string(),
        "{claims}"
    );
    save_screenshot(&browser, "oidc-client-ts-signed-in.png").await;

    // Renewed with the refresh token (rotated), then in a hidden iframe from the sign-in session: the same sign-in.
    click(&browser, "#renew").await;
    wait_for_text(&browser, "#status", "Renewed with the refresh token").await;
    let refreshed = shown_user(&browser).await;
    assert_ne!(refreshed["refresh_token"], signed_in["refresh_token"]);
    click(&browser, "#renew-in-iframe").await;
    wait_for_text(&browser, "#status", "Renewed in an iframe").await;
    let renewed = shown_user(&browser).await;
    for claim in ["sub", "sid", "auth_time"] {
        assert_eq!(renewed["profile"][claim], claims[claim], "{claim}");
    }
    assert_ne!(
        renewed["refresh_token"], refreshed["refresh_token"],
        "a new code, a new sign-in's tokens"
    );

    // Sign out at the end_session_endpoint and back: the session's refresh tokens are dead, prompt=none needs a
    // sign-in.
    click(&browser, "#sign-out").await;
    wait_for_text(&browser, "#status", "Signed out").await;
    assert_eq!(
        browser.current_url().await.unwrap().as_str(),
        format!("{origin}/")
    );
    for token in [&refreshed["refresh_token"], &renewed["refresh_token"]] {
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", client_id.as_str()),
            ("refresh_token", token.as_str().unwrap()),
        ];
        let refused = app.post_form("/oauth/token", &form, None).await;
        assert_eq!(
            json_with_status(refused, 400).await["error"],
            "invalid_grant"
        );
    }
    click(&browser, "#renew-in-iframe").await;
    wait_for_text(&browser, "#status", "Error: login_required").await;
    browser.close().await.unwrap();
}
