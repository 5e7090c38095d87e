//! Deleting and disabling what holds power: users, clients and tenants take their keys, tokens, refresh tokens and
//! sessions with them, whichever front end made the change, and every reference stays inside its tenant.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{basic, json_with_status, spawn_app, TestApp, TestClient};

const PASSWORD: &str = "correct horse";

/// A tenant with an Editor role, a tenant-admin client, a client for the password grant and a user `alice`.
struct World {
    tenant: String,
    tenant_admin: TestClient,
    admin: String,
    spa: TestClient,
    alice: String,
}

async fn world(app: &TestApp, slug: &str) -> World {
    let tenant = app.create_tenant(slug, &[]);
    let tenant_admin = app.create_client(&["--tenant", &tenant, "--scope", "keygate:tenant-admin"]);
    let admin = app.token_for(&tenant_admin).await;
    app.api_post(
        "/v1/roles",
        &admin,
        json!({"name": "Editor", "permissions": ["documents:*"]}),
    )
    .await;
    let alice = app
        .api_post(
            &format!("/v1/tenants/{tenant}/users"),
            &admin,
            json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    let spa = app.create_client(&[
        "--tenant",
        &tenant,
        "--grant-type",
        "password",
        "--grant-type",
        "refresh_token",
    ]);
    World {
        tenant,
        tenant_admin,
        admin,
        spa,
        alice: alice["id"].as_str().unwrap().to_string(),
    }
}

/// A password sign-in: (access token, refresh token).
async fn sign_in(
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
async fn own_client(app: &TestApp, alice_token: &str) -> TestClient {
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
    let html = page.text().await.unwrap();
    let token = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
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

async fn status(app: &TestApp, method: Method, path: &str, auth: &str, body: Option<Value>) -> u16 {
    app.api(method, path, auth, body).await.status().as_u16()
}

async fn verify_status(app: &TestApp, credential: &str) -> u16 {
    status(
        app,
        Method::POST,
        "/v1/verify",
        &format!("Bearer {credential}"),
        None,
    )
    .await
}

async fn introspected_active(app: &TestApp, by: &TestClient, token: &str) -> bool {
    let answer = app
        .post_form(
            "/oauth/introspect",
            &[("token", token)],
            Some(&basic(&by.id, &by.secret)),
        )
        .await;
    json_with_status(answer, 200).await["active"]
        .as_bool()
        .unwrap()
}

async fn token_status(app: &TestApp, client: &TestClient) -> u16 {
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
    let deadline = std::time::Instant::now() + bound;
    loop {
        if verify_there().await.unwrap().status().as_u16() == 401 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still accepted after {bound:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn every_reference_exists_in_the_same_tenant_and_another_tenants_objects_are_not_found() {
    let app = spawn_app().await;
    let acme = world(&app, "acme").await;
    let globex = world(&app, "globex").await;
    let global = app.admin_token().await;

    for owner in [
        json!({"type": "user", "id": globex.alice}),
        json!({"type": "user", "id": "usr_0000000000000000000000"}),
    ] {
        let body = json!({"name": "svc", "tenant_id": acme.tenant, "owner": owner});
        let refused = app
            .api(Method::POST, "/v1/clients", &global, Some(body))
            .await;
        assert_eq!(
            json_with_status(refused, 422).await["error"],
            "invalid_owner"
        );
    }
    let statements = json!([{"roles": ["Editor"], "resources": ["/documents/*"]}]);
    for (subjects, admins) in [
        (json!([globex.alice]), json!([])),
        (json!([globex.spa.id]), json!([])),
        (json!(["sc_0000000000000000000000"]), json!([])),
        (json!([acme.alice]), json!([globex.alice])),
    ] {
        let body =
            json!({"name": "r", "subjects": subjects, "admins": admins, "statements": statements});
        let refused = app
            .api(Method::POST, "/v1/records", &acme.admin, Some(body))
            .await;
        assert_eq!(
            json_with_status(refused, 422).await["error"],
            "invalid_subject"
        );
    }

    // A user of globex cannot touch a client of acme through /v1/self, whatever its owner field says.
    let (acme_alice, _) = sign_in(&app, &acme.spa, "alice", PASSWORD).await;
    let acme_script = own_client(&app, &acme_alice).await;
    let (globex_alice, _) = sign_in(&app, &globex.spa, "alice", PASSWORD).await;
    let key_path = format!(
        "/v1/self/clients/{}/keys/{}",
        acme_script.id, acme_script.key_id
    );
    assert_eq!(
        status(&app, Method::DELETE, &key_path, &globex_alice, None).await,
        404
    );
    let client_path = format!("/v1/self/clients/{}", acme_script.id);
    assert_eq!(
        status(&app, Method::DELETE, &client_path, &globex_alice, None).await,
        404
    );
    assert_eq!(
        status(
            &app,
            Method::DELETE,
            &format!("/v1/clients/{}", acme_script.id),
            &globex_alice,
            None
        )
        .await,
        404
    );
    assert_eq!(token_status(&app, &acme_script).await, 200);
}

#[actix_web::test]
async fn a_global_clients_password_grant_names_the_users_tenant() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let login = app.create_client(&["--grant-type", "password"]);
    let form = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", PASSWORD),
        ("tenant", "acme"),
    ];
    let body = json_with_status(
        app.post_form(
            "/oauth/token",
            &form,
            Some(&basic(&login.id, &login.secret)),
        )
        .await,
        200,
    )
    .await;
    let token = body["access_token"].as_str().unwrap();
    let identity =
        json_with_status(app.api(Method::POST, "/v1/verify", token, None).await, 200).await;
    assert_eq!(identity["tid"], w.tenant);
    assert_eq!(identity["sub"], w.alice);
    // The user's tenant decides what the token may do: its own objects, nothing global.
    assert_eq!(
        status(&app, Method::GET, "/v1/self/clients", token, None).await,
        200
    );
}

#[actix_web::test]
async fn lists_show_what_single_reads_show_and_updates_validate_as_creates_do() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let body = json!({"name": "docs", "subjects": [w.alice], "statements": [{"roles": ["Editor"], "resources": ["/documents/*"]}]});
    let created = app.api_post("/v1/records", &w.admin, body).await;
    let listed = app.api_get("/v1/records", &w.admin).await;
    let single = app
        .api_get(
            &format!("/v1/records/{}", created["id"].as_str().unwrap()),
            &w.admin,
        )
        .await;
    assert_eq!(listed["items"][0], single);
    assert_eq!(single["subjects"], json!([w.alice]));

    let client = app
        .api_post(
            "/v1/clients",
            &w.admin,
            json!({"name": "svc", "scopes": ["documents:read"]}),
        )
        .await;
    let path = format!("/v1/clients/{}", client["id"].as_str().unwrap());
    let bad = json!({"default_scopes": ["documents:write"]});
    let refused = app
        .api(Method::PATCH, &path, &w.admin, Some(bad.clone()))
        .await;
    assert_eq!(
        json_with_status(refused, 422).await["error"],
        "invalid_client"
    );
    let create_refused = app
        .api(Method::POST, "/v1/clients", &w.admin, Some(json!({"name": "svc", "scopes": ["documents:read"], "default_scopes": ["documents:write"]})))
        .await;
    assert_eq!(create_refused.status().as_u16(), 422);
    let unchanged = app.api_get(&path, &w.admin).await;
    assert_eq!(unchanged["default_scopes"], json!(["documents:read"]));
}

#[actix_web::test]
async fn a_refreshed_access_token_lives_as_long_as_the_sign_in_grants_under_the_ceiling() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.ttl_password = 600;
        config.ttl_authorization_code = 300;
        config.max_access_token_ttl = 7200;
    })
    .await;
    let w = world(&app, "acme").await;
    let form = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", PASSWORD),
    ];
    let signed_in = json_with_status(
        app.post_form(
            "/oauth/token",
            &form,
            Some(&basic(&w.spa.id, &w.spa.secret)),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(signed_in["expires_in"], 600);
    let refresh = [
        ("grant_type", "refresh_token"),
        (
            "refresh_token",
            signed_in["refresh_token"].as_str().unwrap(),
        ),
    ];
    let refreshed = json_with_status(
        app.post_form(
            "/oauth/token",
            &refresh,
            Some(&basic(&w.spa.id, &w.spa.secret)),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        refreshed["expires_in"], 600,
        "the password grant's lifetime, not the refresh token's 30 days"
    );
    let claims = decode_claims(refreshed["access_token"].as_str().unwrap());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    assert_eq!(claims["gty"], "refresh_token");
}

#[actix_web::test]
async fn the_server_ceiling_caps_every_lifetime_even_the_servers_own_defaults() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.ttl_client_credentials = 3600;
        config.max_access_token_ttl = 1200;
    })
    .await;
    let client = app.create_client(&[]);
    let body = json_with_status(app.token_basic(&client, "").await, 200).await;
    assert_eq!(body["expires_in"], 1200);
}

fn decode_claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[actix_web::test]
async fn every_write_is_audited_with_its_tenant_from_every_front_end() {
    let app = spawn_app().await;
    let global = app.admin_token().await;
    let w = world(&app, "acme").await;
    let (alice_token, _) = sign_in(&app, &w.spa, "alice", PASSWORD).await;
    let script = own_client(&app, &alice_token).await;
    // /v1/self revokes a key, the CLI revokes another, /v1 changes the client and the tenant.
    let self_path = format!("/v1/self/clients/{}/keys/{}", script.id, script.key_id);
    assert_eq!(
        status(&app, Method::DELETE, &self_path, &alice_token, None).await,
        204
    );
    let second = app.cli_json(&["key", "create", "--client", &w.spa.id]);
    app.cli_json(&[
        "key",
        "revoke",
        "--client",
        &w.spa.id,
        second["id"].as_str().unwrap(),
    ]);
    let rename = json!({"name": "renamed"});
    assert_eq!(
        status(
            &app,
            Method::PATCH,
            &format!("/v1/clients/{}", w.spa.id),
            &w.admin,
            Some(rename.clone())
        )
        .await,
        200
    );
    assert_eq!(
        status(
            &app,
            Method::PATCH,
            &format!("/v1/tenants/{}", w.tenant),
            &global,
            Some(rename)
        )
        .await,
        200
    );

    let events = app
        .api_get(
            &format!("/v1/audit?tenant_id={}&limit=200", w.tenant),
            &global,
        )
        .await;
    let events = events["items"].as_array().unwrap();
    let find = |action: &str, actor: &str| {
        events.iter().any(|e| {
            e["action"] == action && e["actor"] == actor && e["tenant_id"] == w.tenant.as_str()
        })
    };
    assert!(
        find("key.revoked", &w.alice),
        "a /v1/self revocation, by the user"
    );
    assert!(
        find("key.revoked", "cli"),
        "a CLI revocation, with its tenant"
    );
    assert!(find("key.created", "cli"));
    assert!(find("client.updated", &w.tenant_admin.id));
    assert!(find("tenant.updated", &app.admin().id));
    assert!(find("role.created", &w.tenant_admin.id));
    assert!(find("user.created", &w.tenant_admin.id));
    assert!(
        find("record.created", &w.alice) && find("client.created", &w.alice),
        "self-service"
    );
}

#[actix_web::test]
async fn look_alikes_of_a_username_are_the_same_user() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let path = format!("/v1/tenants/{}/users", w.tenant);
    for look_alike in ["ＡＬＩＣＥ", "Alice", " alice "] {
        let taken = app
            .api(
                Method::POST,
                &path,
                &w.admin,
                Some(json!({"username": look_alike, "password": PASSWORD})),
            )
            .await;
        assert_eq!(
            json_with_status(taken, 409).await["error"],
            "username_taken",
            "{look_alike:?}"
        );
    }
    let jose = app
        .api_post(
            &path,
            &w.admin,
            json!({"username": "José", "password": PASSWORD}),
        )
        .await;
    let decomposed = app
        .api(
            Method::POST,
            &path,
            &w.admin,
            Some(json!({"username": "Jose\u{301}", "password": PASSWORD})),
        )
        .await;
    assert_eq!(decomposed.status().as_u16(), 409);
    // Signing in with any look-alike finds the one user.
    let (token, _) = sign_in(&app, &w.spa, "JOSE\u{301}", PASSWORD).await;
    let identity =
        json_with_status(app.api(Method::POST, "/v1/verify", &token, None).await, 200).await;
    assert_eq!(identity["sub"], jose["id"]);
}
