//! The demo SPA and the account pages in a real headless Chromium (Debian's chromium and chromium-driver): signing in
//! with OpenID Connect on the login page, and a user's self-service keys.

use fantoccini::Locator;
use serde_json::json;

use crate::chromium::{
    click, save_screenshot, sign_in_on_login_page, type_into, wait_for_text, Chromedriver,
};
use crate::fixtures::PASSWORD;
use crate::helpers::{json_with_status, spawn_app, TestApp, TestClient};

/// A tenant, its user alice (with a display name), and the demo SPA registered as its public client.
async fn setup(app: &TestApp) -> (String, String) {
    let tenant = app.tenant("acme").await;
    let alice = tenant.user(app, "alice").await;
    let named = json!({"display_name": "Alice Liddell", "email": "alice@example.com"});
    tenant.change_user(app, &alice.id, named).await;
    let spa = json!({"name": "Demo SPA", "tenant_id": tenant.id, "public": true,
                     "scopes": ["openid", "profile", "email"], "redirect_uris": [app.url("/demo/")],
                     "post_logout_redirect_uris": [app.url("/demo/")], "allowed_origins": [app.address]});
    let client = app.api_post("/v1/clients", &tenant.admin_token, spa).await;
    (client["id"].as_str().unwrap().to_string(), alice.id)
}

#[actix_web::test]
async fn the_demo_spa_signs_in_with_openid_connect_refreshes_and_logs_out_in_a_real_browser() {
    let app = spawn_app().await;
    let (client_id, user_id) = setup(&app).await;
    let driver = Chromedriver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.session(profile.path()).await;

    browser
        .goto(&app.url(&format!("/demo/?client_id={client_id}")))
        .await
        .unwrap();
    wait_for_text(&browser, "#status", "Signed out").await;
    click(&browser, "#sign-in").await;

    // keygate's login page: the tenant is the client's, so only username and password are asked.
    browser
        .wait()
        .for_element(Locator::Css("#username"))
        .await
        .unwrap();
    save_screenshot(&browser, "login-page.png").await;
    sign_in_on_login_page(&browser, "alice", PASSWORD).await;

    let status = wait_for_text(&browser, "#status", "Signed in as Alice Liddell").await;
    assert!(status.contains(&user_id), "{status}");
    let id_token = wait_for_text(&browser, "#id-token", "nonce").await;
    assert!(
        id_token.contains(&client_id) && id_token.contains("auth_time"),
        "{id_token}"
    );
    wait_for_text(&browser, "#userinfo", "alice@example.com").await;
    wait_for_text(&browser, "#claims", "authorization_code").await;
    save_screenshot(&browser, "demo-spa-signed-in.png").await;

    click(&browser, "#refresh").await;
    wait_for_text(&browser, "#status", "Refreshed as Alice Liddell").await;
    wait_for_text(&browser, "#claims", "\"gty\": \"refresh_token\"").await;
    let refresh_token = browser
        .execute("return sessionStorage.getItem('refresh_token')", vec![])
        .await
        .unwrap();

    // Logout at the end_session_endpoint comes back to the demo, and the sign-in's refresh token is dead.
    click(&browser, "#sign-out").await;
    wait_for_text(&browser, "#status", "Signed out").await;
    assert_eq!(
        browser.current_url().await.unwrap().as_str(),
        app.url("/demo/")
    );
    browser.close().await.unwrap();
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", client_id.as_str()),
        (
            "refresh_token",
            refresh_token.as_str().expect("a refresh token"),
        ),
    ];
    let refused = app.post_form("/oauth/token", &form, None).await;
    assert_eq!(
        json_with_status(refused, 400).await["error"],
        "invalid_grant"
    );
}

/// Whether `key` gets a token for `client_id`: the status of a client_credentials request.
async fn token_status(app: &TestApp, client_id: &str, key: &str) -> u16 {
    let client = TestClient {
        id: client_id.to_string(),
        secret: key.to_string(),
        key_id: String::new(),
    };
    app.token_basic(&client, "").await.status().as_u16()
}

/// The self-service story: a user makes an API key on the account page, uses it, revokes it, deletes its client.
#[actix_web::test]
async fn a_user_makes_and_revokes_their_own_api_key_on_the_account_page_in_a_real_browser() {
    let app = spawn_app().await;
    let tenant = app.tenant("acme").await;
    tenant.role(&app, "Viewer", &["documents:read"]).await;
    tenant.role(&app, "Editor", &["documents:*"]).await;
    let alice = tenant.user(&app, "alice").await;
    let driver = Chromedriver::start();
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.session(profile.path()).await;

    // Signed out: the page sends the visitor to sign in and back.
    browser.goto(&app.url("/account/keys")).await.unwrap();
    browser
        .wait()
        .for_element(Locator::Css("#tenant"))
        .await
        .unwrap();
    type_into(&browser, "#tenant", "acme").await;
    sign_in_on_login_page(&browser, "alice", PASSWORD).await;
    wait_for_text(&browser, "#no-clients", "no service clients").await;

    // An Editor key, shown once.
    type_into(&browser, "#name", "CI key").await;
    click(&browser, "#role option[value=Editor]").await;
    click(&browser, "#create button[type=submit]").await;
    let key_box = browser
        .wait()
        .for_element(Locator::Css("#new-key"))
        .await
        .unwrap();
    let key = key_box.prop("value").await.unwrap().unwrap();
    let client_id = browser
        .find(Locator::Css("#client-id"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(key.starts_with("kg_sk_"), "{key}");
    save_screenshot(&browser, "account-key-created.png").await;

    // The key works, limited to the user's own documents.
    assert_eq!(token_status(&app, &client_id, &key).await, 200);
    let check = json!({"subject": client_id, "resource": format!("/users/{}/documents/1", alice.id), "permission": "documents:write"});
    let answer = app
        .api(
            reqwest::Method::POST,
            "/v1/authorize",
            &tenant.admin_token,
            Some(check),
        )
        .await;
    assert_eq!(json_with_status(answer, 200).await["allowed"], true);

    // Listed without the key; revoked, it no longer works; the client deleted, the list is empty.
    click(&browser, "#back").await;
    let listed = wait_for_text(&browser, "main", "CI key").await;
    assert!(!listed.contains(&key), "the key is never shown again");
    click(&browser, ".revoke").await;
    wait_for_text(&browser, ".key", "revoked").await;
    assert_eq!(token_status(&app, &client_id, &key).await, 401);
    save_screenshot(&browser, "account-keys.png").await;
    click(&browser, ".delete").await;
    wait_for_text(&browser, "#no-clients", "no service clients").await;
    browser.close().await.unwrap();
}
