//! Deleting and disabling what holds power: users, clients and tenants take their keys, tokens, refresh tokens and
//! sessions with them, whichever front end made the change, and every reference stays inside its tenant.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{basic, eventually, json_with_status, spawn_app, TestApp, TestClient};

pub(crate) use crate::fixtures::PASSWORD;

/// A tenant with an Editor role, a tenant-admin client, a client for the password grant and a user `alice`.
pub(crate) struct World {
    pub tenant: String,
    pub tenant_admin: TestClient,
    pub admin: String,
    pub spa: TestClient,
    pub alice: String,
}

pub(crate) async fn world(app: &TestApp, slug: &str) -> World {
    let tenant = app.tenant(slug).await;
    tenant.role(app, "Editor", &["documents:*"]).await;
    let alice = tenant.user(app, "alice").await;
    let spa = tenant.client(
        app,
        &["--grant-type", "password", "--grant-type", "refresh_token"],
    );
    World {
        tenant: tenant.id,
        tenant_admin: tenant.admin,
        admin: tenant.admin_token,
        spa,
        alice: alice.id,
    }
}

/// A password sign-in: (access token, refresh token).
pub(crate) async fn sign_in(
    app: &TestApp,
    spa: &TestClient,
    username: &str,
    password: &str,
) -> (String, String) {
    let form = [
        ("grant_type", "password"),
        ("username", username),
        ("password", password),
    ];
    let body = json_with_status(
        app.post_form("/oauth/token", &form, Some(&basic(&spa.id, &spa.secret)))
            .await,
        200,
    )
    .await;
    let token = |name: &str| body[name].as_str().unwrap().to_string();
    (token("access_token"), token("refresh_token"))
}

async fn refresh_status(app: &TestApp, spa: &TestClient, refresh_token: &str) -> u16 {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    let answer = app
        .post_form("/oauth/token", &form, Some(&basic(&spa.id, &spa.secret)))
        .await;
    answer.status().as_u16()
}

/// Alice's own client made through `/v1/self`, as a client with its first secret key.
pub(crate) async fn own_client(app: &TestApp, alice_token: &str) -> TestClient {
    let made = app
        .api_post(
            "/v1/self/clients",
            alice_token,
            json!({"name": "alice's script", "role": "Editor"}),
        )
        .await;
    TestClient {
        id: made["client"]["id"].as_str().unwrap().to_string(),
        secret: made["keys"][0]["key"].as_str().unwrap().to_string(),
        key_id: made["keys"][0]["id"].as_str().unwrap().to_string(),
    }
}

/// An account-page session of `username`: the cookie to send.
async fn page_session(app: &TestApp, slug: &str, username: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http.get(app.url("/account/login")).send().await.unwrap();
    let csrf_cookie = cookie(&page, "keygate_csrf");
    let token = form_token(&page.text().await.unwrap());
    let form = [
        ("csrf_token", token.as_str()),
        ("tenant", slug),
        ("username", username),
        ("password", PASSWORD),
        ("next", "/account/keys"),
    ];
    let signed_in = http
        .post(app.url("/account/login"))
        .header("cookie", csrf_cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status().as_u16(), 303);
    cookie(&signed_in, "keygate_session")
}

/// The CSRF token in a page's form.
fn form_token(html: &str) -> String {
    html.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string()
}

fn cookie(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_string()
}

/// The status of `/account/keys` for a session cookie: 200 signed in, 303 sent to sign in.
async fn account_page_status(app: &TestApp, session: &str) -> u16 {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http
        .get(app.url("/account/keys"))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    page.status().as_u16()
}

pub(crate) async fn status(
    app: &TestApp,
    method: Method,
    path: &str,
    auth: &str,
    body: Option<Value>,
) -> u16 {
    app.api(method, path, auth, body).await.status().as_u16()
}

pub(crate) async fn verify_status(app: &TestApp, credential: &str) -> u16 {
    status(
        app,
        Method::POST,
        "/v1/verify",
        &format!("Bearer {credential}"),
        None,
    )
    .await
}

/// What introspection answers `by` about `token`.
pub(crate) async fn introspection(app: &TestApp, by: &TestClient, token: &str) -> Value {
    let answer = app
        .post_form(
            "/oauth/introspect",
            &[("token", token)],
            Some(&basic(&by.id, &by.secret)),
        )
        .await;
    json_with_status(answer, 200).await
}

pub(crate) async fn introspected_active(app: &TestApp, by: &TestClient, token: &str) -> bool {
    introspection(app, by, token).await["active"]
        .as_bool()
        .unwrap()
}

pub(crate) async fn token_status(app: &TestApp, client: &TestClient) -> u16 {
    app.token_basic(client, "").await.status().as_u16()
}

#[actix_web::test]
async fn deleting_a_user_deletes_their_clients_and_ends_every_credential_they_had() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let (alice_token, alice_refresh) = sign_in(&app, &w.spa, "alice", PASSWORD).await;
    let script = own_client(&app, &alice_token).await;
    let script_token = app.token_for(&script).await;
    let session = page_session(&app, "acme", "alice").await;
    assert_eq!(account_page_status(&app, &session).await, 200);

    let user_path = format!("/v1/tenants/{}/users/{}", w.tenant, w.alice);
    assert_eq!(
        status(&app, Method::DELETE, &user_path, &w.admin, None).await,
        204
    );

    // The client she owned is gone with its key, and the tokens issued to it are refused.
    assert_eq!(token_status(&app, &script).await, 401);
    assert_eq!(verify_status(&app, &script.secret).await, 401);
    let script_path = format!("/v1/clients/{}", script.id);
    assert_eq!(
        status(&app, Method::GET, &script_path, &w.admin, None).await,
        404
    );
    assert_eq!(verify_status(&app, &script_token).await, 401);
    assert!(!introspected_active(&app, &w.tenant_admin, &script_token).await);
    // Her own token, refresh token and session end at once on this node.
    assert_eq!(
        status(&app, Method::GET, "/v1/self/clients", &alice_token, None).await,
        401
    );
    let more = json!({"name": "backdoor", "role": "Editor"});
    assert_eq!(
        status(
            &app,
            Method::POST,
            "/v1/self/clients",
            &alice_token,
            Some(more)
        )
        .await,
        401
    );
    assert_eq!(verify_status(&app, &alice_token).await, 401);
    assert!(!introspected_active(&app, &w.tenant_admin, &alice_token).await);
    assert_eq!(refresh_status(&app, &w.spa, &alice_refresh).await, 400);
    assert_eq!(account_page_status(&app, &session).await, 303);

    // Nothing refers to her any more: her client's self-service record went with it.
    let records = app.api_get("/v1/records", &w.admin).await;
    assert_eq!(records["items"], json!([]));
    let audit = app
        .api_get(&format!("/v1/audit?tenant_id={}", w.tenant), &w.admin)
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.starts_with(&["user.deleted", "client.deleted"]),
        "{actions:?}"
    );
}

#[actix_web::test]
async fn a_disabled_user_and_their_clients_are_refused_until_enabled_again() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let (alice_token, alice_refresh) = sign_in(&app, &w.spa, "alice", PASSWORD).await;
    let script = own_client(&app, &alice_token).await;
    let script_token = app.token_for(&script).await;
    let session = page_session(&app, "acme", "alice").await;
    let user_path = format!("/v1/tenants/{}/users/{}", w.tenant, w.alice);

    let disable = json!({"disabled": true});
    assert_eq!(
        status(&app, Method::PATCH, &user_path, &w.admin, Some(disable)).await,
        200
    );
    let refused = app.token_basic(&script, "").await;
    let body = json_with_status(refused, 401).await;
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("disabled"));
    assert_eq!(verify_status(&app, &script.secret).await, 401);
    assert_eq!(verify_status(&app, &script_token).await, 401);
    assert_eq!(verify_status(&app, &alice_token).await, 401);
    assert_eq!(
        status(&app, Method::GET, "/v1/self/clients", &alice_token, None).await,
        401
    );
    assert_eq!(refresh_status(&app, &w.spa, &alice_refresh).await, 400);
    assert_eq!(account_page_status(&app, &session).await, 303);
    let form = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", PASSWORD),
    ];
    let sign_in_refused = app
        .post_form(
            "/oauth/token",
            &form,
            Some(&basic(&w.spa.id, &w.spa.secret)),
        )
        .await;
    assert_eq!(sign_in_refused.status().as_u16(), 400);

    // Enabled again, her client's key works again; what was issued before stays refused.
    let enable = json!({"disabled": false});
    assert_eq!(
        status(&app, Method::PATCH, &user_path, &w.admin, Some(enable)).await,
        200
    );
    let fresh = app.token_for(&script).await;
    assert_eq!(verify_status(&app, &fresh).await, 200);
    assert_eq!(verify_status(&app, &script_token).await, 401);
    let (again, _) = sign_in(&app, &w.spa, "alice", PASSWORD).await;
    assert_eq!(
        status(&app, Method::GET, "/v1/self/clients", &again, None).await,
        200
    );
}

#[actix_web::test]
async fn a_new_password_ends_the_users_sessions_and_tokens_and_the_new_one_works_at_once() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let (alice_token, alice_refresh) = sign_in(&app, &w.spa, "alice", PASSWORD).await;
    let session = page_session(&app, "acme", "alice").await;
    let user_path = format!("/v1/tenants/{}/users/{}", w.tenant, w.alice);
    let change = json!({"password": "battery staple"});
    assert_eq!(
        status(&app, Method::PATCH, &user_path, &w.admin, Some(change)).await,
        200
    );

    assert_eq!(
        status(&app, Method::GET, "/v1/self/clients", &alice_token, None).await,
        401
    );
    assert_eq!(refresh_status(&app, &w.spa, &alice_refresh).await, 400);
    assert_eq!(account_page_status(&app, &session).await, 303);
    let (fresh, _) = sign_in(&app, &w.spa, "alice", "battery staple").await;
    assert_eq!(
        status(&app, Method::GET, "/v1/self/clients", &fresh, None).await,
        200
    );
}

#[actix_web::test]
async fn a_deleted_clients_tokens_and_a_deleted_tenants_tokens_have_no_power_left() {
    let app = spawn_app().await;
    let global = app.admin_token().await;
    let w = world(&app, "acme").await;
    let client_path = format!("/v1/clients/{}", w.tenant_admin.id);
    assert_eq!(
        status(&app, Method::DELETE, &client_path, &global, None).await,
        204
    );
    let backdoor = json!({"name": "backdoor", "scopes": ["keygate:tenant-admin"]});
    assert_eq!(
        status(&app, Method::POST, "/v1/clients", &w.admin, Some(backdoor)).await,
        401
    );
    let reset = json!({"password": "taken over"});
    let user_path = format!("/v1/tenants/{}/users/{}", w.tenant, w.alice);
    assert_eq!(
        status(&app, Method::PATCH, &user_path, &w.admin, Some(reset)).await,
        401
    );
    assert_eq!(verify_status(&app, &w.admin).await, 401);

    let (alice_token, _) = sign_in(&app, &w.spa, "alice", PASSWORD).await;
    let service = app.create_client(&["--tenant", &w.tenant]);
    let service_token = app.token_for(&service).await;
    let tenant_path = format!("/v1/tenants/{}", w.tenant);
    assert_eq!(
        status(&app, Method::DELETE, &tenant_path, &global, None).await,
        204
    );
    assert_eq!(verify_status(&app, &alice_token).await, 401);
    assert_eq!(verify_status(&app, &service_token).await, 401);
    assert_eq!(token_status(&app, &service).await, 401);
    let audit = app
        .api_get("/v1/audit?action=tenant.deleted", &global)
        .await;
    assert_eq!(audit["items"][0]["tenant_id"], w.tenant);
}

#[actix_web::test]
async fn a_user_deleted_on_one_node_is_refused_on_another_within_the_revocation_bound() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let other = app.spawn_node().await;
    let (alice_token, _) = sign_in(&app, &w.spa, "alice", PASSWORD).await;
    let verify_there = || {
        app.http
            .post(format!("{other}/v1/verify"))
            .bearer_auth(&alice_token)
            .send()
    };
    assert_eq!(verify_there().await.unwrap().status().as_u16(), 200);
    let user_path = format!("/v1/tenants/{}/users/{}", w.tenant, w.alice);
    assert_eq!(
        status(&app, Method::DELETE, &user_path, &w.admin, None).await,
        204
    );
    // The other node learns at its next revocation sync: every credential_cache_seconds (1 s here), plus a tick.
    let bound = std::time::Duration::from_secs(app.config.credential_cache_seconds + 3);
    eventually("refused on the other node", bound, || async {
        (verify_there().await.unwrap().status().as_u16() == 401).then_some(())
    })
    .await;
}

/// The keys page of a session: its CSRF cookie and the form token that goes with it.
async fn keys_page_form(app: &TestApp, session: &str) -> (String, String) {
    let page = app
        .http
        .get(app.url("/account/keys"))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    let csrf_cookie = cookie(&page, "keygate_csrf");
    let token = form_token(&page.text().await.unwrap());
    (csrf_cookie, token)
}

async fn logout(app: &TestApp, cookies: &str, csrf_token: &str) -> u16 {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    http.post(app.url("/account/logout"))
        .header("cookie", cookies)
        .form(&[("csrf_token", csrf_token)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[actix_web::test]
async fn csrf_tokens_are_the_servers_and_signing_out_ends_the_session_for_every_copy_of_its_cookie()
{
    let app = spawn_app().await;
    world(&app, "acme").await;
    // A cookie planted by someone else (a sibling subdomain, say) with the same value in the form: refused.
    let planted = "A".repeat(32);
    let forged = app
        .http
        .post(app.url("/account/login"))
        .header("cookie", format!("keygate_csrf={planted}"))
        .form(&[
            ("csrf_token", planted.as_str()),
            ("tenant", "acme"),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status().as_u16(),
        403,
        "a double-submit pair is not enough"
    );

    let session = page_session(&app, "acme", "alice").await;
    let (csrf_cookie, token) = keys_page_form(&app, &session).await;
    let cookies = format!("{session}; {csrf_cookie}");
    // Signing out needs the form's token: a cross-site POST cannot sign anybody out.
    assert_eq!(logout(&app, &cookies, "not-the-token").await, 403);
    assert_eq!(account_page_status(&app, &session).await, 200);
    assert_eq!(logout(&app, &cookies, &token).await, 303);
    // The cookie the browser dropped, copied elsewhere beforehand, no longer signs anybody in.
    assert_eq!(account_page_status(&app, &session).await, 303);
    // A new sign-in works as before.
    let again = page_session(&app, "acme", "alice").await;
    assert_eq!(account_page_status(&app, &again).await, 200);
}
