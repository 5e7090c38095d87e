//! Users, the password grant, login throttling, and rotating refresh tokens.

use reqwest::Method;
use serde_json::{json, Value};

use crate::fixtures::PASSWORD;
use crate::helpers::{basic, json_with_status, spawn_app, verify_with_jwks, TestApp, TestClient};

/// A tenant with a user `alice` and a confidential client allowed the password and refresh grants.
async fn setup(app: &TestApp) -> (String, String, TestClient) {
    let tenant = app.tenant("acme").await;
    let alice = tenant.user(app, "Alice").await;
    let client = tenant.client(
        app,
        &[
            "--scope",
            "documents:read",
            "--scope",
            "documents:write",
            "--grant-type",
            "password",
            "--grant-type",
            "refresh_token",
        ],
    );
    (tenant.id, alice.id, client)
}

async fn sign_in(
    app: &TestApp,
    client: &TestClient,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let form = [
        ("grant_type", "password"),
        ("username", username),
        ("password", password),
    ];
    app.post_form(
        "/oauth/token",
        &form,
        Some(&basic(&client.id, &client.secret)),
    )
    .await
}

async fn refresh(
    app: &TestApp,
    client: &TestClient,
    token: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    form.extend_from_slice(extra);
    app.post_form(
        "/oauth/token",
        &form,
        Some(&basic(&client.id, &client.secret)),
    )
    .await
}

async fn error_of(response: reqwest::Response, status: u16) -> Value {
    json_with_status(response, status).await
}

#[actix_web::test]
async fn a_user_signs_in_with_the_password_grant_and_gets_a_user_token_and_a_refresh_token() {
    let app = spawn_app().await;
    let (tenant, user_id, client) = setup(&app).await;
    let body = json_with_status(sign_in(&app, &client, "alice", PASSWORD).await, 200).await;
    assert_eq!(body["expires_in"], 900, "password grant default lifetime");
    assert!(body["refresh_token"]
        .as_str()
        .unwrap()
        .starts_with("kg_rt_"));
    let (_, claims) = verify_with_jwks(
        body["access_token"].as_str().unwrap(),
        &app.jwks().await,
        &app.address,
        &app.address,
    );
    assert_eq!(claims["sub"], user_id.as_str());
    assert_eq!(claims["client_id"], client.id.as_str());
    assert_eq!(claims["gty"], "password");
    assert_eq!(claims["tid"], tenant.as_str());
}

#[actix_web::test]
async fn unknown_users_and_wrong_passwords_get_the_same_answer() {
    let app = spawn_app().await;
    let (_, _, client) = setup(&app).await;
    let wrong = error_of(sign_in(&app, &client, "alice", "wrong horse!").await, 400).await;
    let unknown = error_of(sign_in(&app, &client, "mallory", PASSWORD).await, 400).await;
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["error"], "invalid_grant");
    let missing = sign_in(&app, &client, "alice", "").await;
    assert_eq!(error_of(missing, 400).await["error"], "invalid_request");
}

#[actix_web::test]
async fn usernames_are_unique_per_tenant_case_insensitively() {
    let app = spawn_app().await;
    let (tenant, _, _) = setup(&app).await;
    let admin = app.admin_token().await;
    let duplicate = app
        .api(
            Method::POST,
            &format!("/v1/tenants/{tenant}/users"),
            &admin,
            Some(json!({"username": "ALICE", "password": "another one"})),
        )
        .await;
    assert_eq!(error_of(duplicate, 409).await["error"], "username_taken");
    let weak = app
        .api(
            Method::POST,
            &format!("/v1/tenants/{tenant}/users"),
            &admin,
            Some(json!({"username": "bob", "password": "short"})),
        )
        .await;
    assert_eq!(error_of(weak, 422).await["error"], "weak_password");
    let listed = app
        .api_get(&format!("/v1/tenants/{tenant}/users"), &admin)
        .await;
    assert_eq!(listed["items"][0]["username"], "Alice");
    assert!(
        !listed.to_string().contains("argon2"),
        "no password hash in the API"
    );
}

#[actix_web::test]
async fn five_failures_from_one_address_throttle_that_username_with_retry_after() {
    let app = spawn_app().await;
    let (_, _, client) = setup(&app).await;
    for _ in 0..5 {
        error_of(sign_in(&app, &client, "alice", "wrong horse!").await, 400).await;
    }
    let blocked = sign_in(&app, &client, "alice", PASSWORD).await;
    let retry_after: u64 = blocked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert_eq!(
        error_of(blocked, 429).await["error"],
        "temporarily_unavailable"
    );
    // Other users are not affected.
    let admin = app.admin_token().await;
    let tenant = app.cli_json(&["tenant", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.api_post(
        &format!("/v1/tenants/{tenant}/users"),
        &admin,
        json!({"username": "bob", "password": "bob's password"}),
    )
    .await;
    json_with_status(sign_in(&app, &client, "bob", "bob's password").await, 200).await;
}

#[actix_web::test]
async fn a_successful_sign_in_resets_the_failure_count() {
    let app = spawn_app().await;
    let (_, _, client) = setup(&app).await;
    for _ in 0..4 {
        error_of(sign_in(&app, &client, "alice", "wrong horse!").await, 400).await;
    }
    json_with_status(sign_in(&app, &client, "alice", PASSWORD).await, 200).await;
    for _ in 0..4 {
        error_of(sign_in(&app, &client, "alice", "wrong horse!").await, 400).await;
    }
    json_with_status(sign_in(&app, &client, "alice", PASSWORD).await, 200).await;
}

#[actix_web::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_whole_sign_in() {
    let app = spawn_app().await;
    let (_, user_id, client) = setup(&app).await;
    let first = json_with_status(sign_in(&app, &client, "alice", PASSWORD).await, 200).await;
    let first_refresh = first["refresh_token"].as_str().unwrap();
    let second = json_with_status(refresh(&app, &client, first_refresh, &[]).await, 200).await;
    let second_refresh = second["refresh_token"].as_str().unwrap();
    assert_ne!(first_refresh, second_refresh);
    let (_, claims) = verify_with_jwks(
        second["access_token"].as_str().unwrap(),
        &app.jwks().await,
        &app.address,
        &app.address,
    );
    assert_eq!(
        (claims["sub"].as_str(), claims["gty"].as_str()),
        (Some(user_id.as_str()), Some("refresh_token"))
    );

    // The spent token comes back: someone holds a copy. The family, including the fresh token, dies.
    assert_eq!(
        error_of(refresh(&app, &client, first_refresh, &[]).await, 400).await["error"],
        "invalid_grant"
    );
    assert_eq!(
        error_of(refresh(&app, &client, second_refresh, &[]).await, 400).await["error"],
        "invalid_grant"
    );
    let admin = app.admin_token().await;
    let events = app
        .api_get(
            &format!(
                "/v1/audit?action=refresh_token.reused&client_id={}",
                client.id
            ),
            &admin,
        )
        .await;
    assert_eq!(events["items"].as_array().unwrap().len(), 1);
}

/// Rotation is exact under concurrency: a token sent twelve times at once is rotated once; the other eleven are
/// reuses, so the family (the one successor included) is revoked.
#[actix_web::test]
async fn a_refresh_token_sent_many_times_at_once_rotates_once_and_the_reuse_ends_the_sign_in() {
    let app = spawn_app().await;
    let (_, _, client) = setup(&app).await;
    let first = json_with_status(sign_in(&app, &client, "alice", PASSWORD).await, 200).await;
    let token = first["refresh_token"].as_str().unwrap();
    let answers =
        futures_util::future::join_all((0..12).map(|_| refresh(&app, &client, token, &[]))).await;
    let mut successors = Vec::new();
    for answer in answers {
        match answer.status().as_u16() {
            200 => successors.push(answer.json::<Value>().await.unwrap()["refresh_token"].clone()),
            400 => assert_eq!(
                answer.json::<Value>().await.unwrap()["error"],
                "invalid_grant"
            ),
            other => panic!("a refresh answered {other}"),
        }
    }
    assert_eq!(successors.len(), 1, "exactly one rotation");
    let successor = successors[0].as_str().unwrap();
    assert_eq!(
        error_of(refresh(&app, &client, successor, &[]).await, 400).await["error"],
        "invalid_grant"
    );
}

/// Refreshes that arrive together are written together on SQLite (one transaction for the group): each is still
/// answered for its own token. Four sign-ins' fresh tokens and four other sign-ins' spent ones, sent at once,
/// interleaved: the fresh ones rotate, the spent ones are refused.
#[actix_web::test]
async fn refreshes_sent_together_are_each_answered_for_their_own_token() {
    let app = spawn_app().await;
    let (_, _, client) = setup(&app).await;
    let mut fresh = Vec::new();
    let mut spent = Vec::new();
    for _ in 0..4 {
        for list in [&mut fresh, &mut spent] {
            let first =
                json_with_status(sign_in(&app, &client, "alice", PASSWORD).await, 200).await;
            list.push(first["refresh_token"].as_str().unwrap().to_string());
        }
    }
    for token in &spent {
        json_with_status(refresh(&app, &client, token, &[]).await, 200).await;
    }
    let sent: Vec<(&String, u16)> = fresh
        .iter()
        .zip(&spent)
        .flat_map(|(fresh, spent)| [(fresh, 200), (spent, 400)])
        .collect();
    let answers = futures_util::future::join_all(
        sent.iter()
            .map(|(token, _)| refresh(&app, &client, token, &[])),
    )
    .await;
    for ((_, expected), answer) in sent.iter().zip(answers) {
        assert_eq!(answer.status().as_u16(), *expected);
    }
}

#[actix_web::test]
async fn a_refresh_may_narrow_the_scope_but_not_widen_it_and_belongs_to_its_client() {
    let app = spawn_app().await;
    let (tenant, _, client) = setup(&app).await;
    let form = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", PASSWORD),
        ("scope", "documents:read"),
    ];
    let first = json_with_status(
        app.post_form(
            "/oauth/token",
            &form,
            Some(&basic(&client.id, &client.secret)),
        )
        .await,
        200,
    )
    .await;
    let token = first["refresh_token"].as_str().unwrap();
    let wider = refresh(
        &app,
        &client,
        token,
        &[("scope", "documents:read documents:write")],
    )
    .await;
    assert_eq!(error_of(wider, 400).await["error"], "invalid_scope");
    let other = app.create_client(&["--tenant", &tenant, "--grant-type", "refresh_token"]);
    assert_eq!(
        error_of(refresh(&app, &other, token, &[]).await, 400).await["error"],
        "invalid_grant"
    );
    let same = json_with_status(
        refresh(&app, &client, token, &[("scope", "documents:read")]).await,
        200,
    )
    .await;
    assert_eq!(same["scope"], "documents:read");
}

#[actix_web::test]
async fn revoking_a_refresh_token_ends_its_sign_in() {
    let app = spawn_app().await;
    let (_, _, client) = setup(&app).await;
    let first = json_with_status(sign_in(&app, &client, "alice", PASSWORD).await, 200).await;
    let token = first["refresh_token"].as_str().unwrap();
    let revoked = app
        .post_form(
            "/oauth/revoke",
            &[("token", token)],
            Some(&basic(&client.id, &client.secret)),
        )
        .await;
    assert_eq!(revoked.status().as_u16(), 200);
    assert_eq!(
        error_of(refresh(&app, &client, token, &[]).await, 400).await["error"],
        "invalid_grant"
    );
}

#[actix_web::test]
async fn disabling_a_user_or_changing_the_password_ends_their_sign_ins() {
    let app = spawn_app().await;
    let (tenant, user_id, client) = setup(&app).await;
    let admin = app.admin_token().await;
    let path = format!("/v1/tenants/{tenant}/users/{user_id}");
    let first = json_with_status(sign_in(&app, &client, "alice", PASSWORD).await, 200).await;
    let changed = app
        .api(
            Method::PATCH,
            &path,
            &admin,
            Some(json!({"password": "battery staple"})),
        )
        .await;
    assert_eq!(changed.status().as_u16(), 200);
    let old = first["refresh_token"].as_str().unwrap();
    assert_eq!(
        error_of(refresh(&app, &client, old, &[]).await, 400).await["error"],
        "invalid_grant"
    );
    error_of(sign_in(&app, &client, "alice", PASSWORD).await, 400).await;

    let second =
        json_with_status(sign_in(&app, &client, "alice", "battery staple").await, 200).await;
    app.api(
        Method::PATCH,
        &path,
        &admin,
        Some(json!({"disabled": true})),
    )
    .await;
    let token = second["refresh_token"].as_str().unwrap();
    assert_eq!(
        error_of(refresh(&app, &client, token, &[]).await, 400).await["error"],
        "invalid_grant"
    );
    error_of(sign_in(&app, &client, "alice", "battery staple").await, 400).await;
}

#[actix_web::test]
async fn deleting_a_client_a_user_or_a_tenant_deletes_their_refresh_tokens() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let tenant = app.tenant("acme").await;
    tenant.user(&app, "Alice").await;
    let bob = tenant.user(&app, "bob").await;
    let grants = ["--grant-type", "password", "--grant-type", "refresh_token"];
    let (client, other) = (tenant.client(&app, &grants), tenant.client(&app, &grants));
    for (via, username) in [(&client, "Alice"), (&client, "bob"), (&other, "Alice")] {
        assert_eq!(sign_in(&app, via, username, PASSWORD).await.status(), 200);
    }
    let tokens = |column: &str, id: &str| {
        app.count(&format!(
            "SELECT COUNT(*) AS n FROM refresh_tokens WHERE {column} = '{id}'"
        ))
    };
    let delete = |path: String| {
        let (app, admin) = (&app, &admin);
        async move { app.api(Method::DELETE, &path, admin, None).await.status() }
    };
    assert_eq!(tokens("client_id", &other.id), 1);
    assert_eq!(delete(format!("/v1/clients/{}", other.id)).await, 204);
    assert_eq!(
        tokens("client_id", &other.id),
        0,
        "the client's went with it"
    );
    assert_eq!(tokens("user_id", &bob.id), 1);
    assert_eq!(
        delete(format!("/v1/tenants/{}/users/{}", tenant.id, bob.id)).await,
        204
    );
    assert_eq!(tokens("user_id", &bob.id), 0, "the user's went with them");
    assert_eq!(tokens("client_id", &client.id), 1);
    assert_eq!(delete(format!("/v1/tenants/{}", tenant.id)).await, 204);
    let all = app.count("SELECT COUNT(*) AS n FROM refresh_tokens");
    assert_eq!(all, 0, "the tenant's went with it");
}

#[actix_web::test]
async fn public_clients_sign_in_with_only_their_client_id_when_allowed() {
    let app = spawn_app().await;
    let (tenant, _, _) = setup(&app).await;
    let admin = app.admin_token().await;
    let spa = app
        .api_post("/v1/clients", &admin, json!({"name": "spa", "tenant_id": tenant, "public": true, "grant_types": ["password", "refresh_token"]}))
        .await;
    let spa_id = spa["id"].as_str().unwrap();
    let form = [
        ("grant_type", "password"),
        ("client_id", spa_id),
        ("username", "alice"),
        ("password", PASSWORD),
    ];
    let body = json_with_status(app.post_form("/oauth/token", &form, None).await, 200).await;
    let refreshed = [
        ("grant_type", "refresh_token"),
        ("client_id", spa_id),
        ("refresh_token", body["refresh_token"].as_str().unwrap()),
    ];
    json_with_status(app.post_form("/oauth/token", &refreshed, None).await, 200).await;
    let cc = [("grant_type", "client_credentials"), ("client_id", spa_id)];
    assert_eq!(
        error_of(app.post_form("/oauth/token", &cc, None).await, 400).await["error"],
        "unauthorized_client"
    );

    // The node keeps the public client in memory between requests; a change to it counts from the next one.
    let path = format!("/v1/clients/{spa_id}");
    let patch = json!({"grant_types": ["refresh_token"]});
    let patched = app
        .api(reqwest::Method::PATCH, &path, &admin, Some(patch))
        .await;
    assert_eq!(patched.status(), 200);
    assert_eq!(
        error_of(app.post_form("/oauth/token", &form, None).await, 400).await["error"],
        "unauthorized_client"
    );
    let deleted = app.api(reqwest::Method::DELETE, &path, &admin, None).await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        error_of(app.post_form("/oauth/token", &cc, None).await, 401).await["error"],
        "invalid_client"
    );
}

#[actix_web::test]
async fn the_password_grant_is_off_unless_allowed_and_global_clients_name_the_tenant() {
    let app = spawn_app().await;
    let (_, _, _) = setup(&app).await;
    let plain = app.create_client(&[]);
    assert_eq!(
        error_of(sign_in(&app, &plain, "alice", PASSWORD).await, 400).await["error"],
        "unauthorized_client"
    );
    let global = app.create_client(&["--grant-type", "password"]);
    assert_eq!(
        error_of(sign_in(&app, &global, "alice", PASSWORD).await, 400).await["error"],
        "invalid_request"
    );
    let form = [
        ("grant_type", "password"),
        ("tenant", "acme"),
        ("username", "alice"),
        ("password", PASSWORD),
    ];
    json_with_status(
        app.post_form(
            "/oauth/token",
            &form,
            Some(&basic(&global.id, &global.secret)),
        )
        .await,
        200,
    )
    .await;
}

#[actix_web::test]
async fn the_cli_manages_users_with_the_password_off_the_command_line() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme", &[]);
    let created = app
        .cli()
        .args([
            "user",
            "create",
            "--tenant",
            &tenant,
            "--username",
            "carol",
            "--password-stdin",
            "--json",
        ])
        .write_stdin("carol's password\n")
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let user: Value = serde_json::from_slice(&created.stdout).unwrap();
    let listed = app.cli_json(&["user", "list", "--tenant", &tenant]);
    assert_eq!(listed[0]["username"], "carol");
    let client = app.create_client(&["--tenant", &tenant, "--grant-type", "password"]);
    json_with_status(
        sign_in(&app, &client, "carol", "carol's password").await,
        200,
    )
    .await;
    app.cli_json(&[
        "user",
        "delete",
        "--tenant",
        &tenant,
        user["id"].as_str().unwrap(),
    ]);
    error_of(
        sign_in(&app, &client, "carol", "carol's password").await,
        400,
    )
    .await;
}

#[actix_web::test]
async fn a_tenant_admin_cannot_see_another_tenants_users() {
    let app = spawn_app().await;
    let (tenant, user_id, _) = setup(&app).await;
    let other = app.create_tenant("globex", &[]);
    let other_admin = app.create_client(&["--tenant", &other, "--scope", "keygate:tenant-admin"]);
    let token = app.token_for(&other_admin).await;
    for path in [
        format!("/v1/tenants/{tenant}/users"),
        format!("/v1/tenants/{tenant}/users/{user_id}"),
    ] {
        assert_eq!(
            app.api(Method::GET, &path, &token, None)
                .await
                .status()
                .as_u16(),
            404,
            "{path}"
        );
    }
}

/// A user's profile as `/v1` shows it.
#[derive(Debug, serde::Deserialize)]
struct Profile {
    display_name: Option<String>,
    email: Option<String>,
    email_verified: bool,
}

#[actix_web::test]
async fn users_carry_a_profile_whose_email_is_unique_per_tenant() {
    let app = spawn_app().await;
    let acme = app.tenant("acme").await;
    let users = format!("/v1/tenants/{}/users", acme.id);
    let body = json!({"username": "alice", "password": PASSWORD, "display_name": "Alice Liddell",
                      "email": "Alice@Example.com", "email_verified": true});
    let alice: Profile =
        serde_json::from_value(app.api_post(&users, &acme.admin_token, body).await).unwrap();
    assert_eq!(alice.display_name.as_deref(), Some("Alice Liddell"));
    assert_eq!(alice.email.as_deref(), Some("Alice@Example.com"));
    assert!(alice.email_verified);

    let refusals = [
        (
            json!({"username": "bob", "password": PASSWORD, "email": "alice@example.COM"}),
            409,
            "email_taken",
        ),
        (
            json!({"username": "bob", "password": PASSWORD, "email": "not an address"}),
            422,
            "invalid_user",
        ),
        (
            json!({"username": "bob", "password": PASSWORD, "email_verified": true}),
            422,
            "invalid_user",
        ),
    ];
    for (body, status, code) in refusals {
        let refused = app
            .api(Method::POST, &users, &acme.admin_token, Some(body.clone()))
            .await;
        assert_eq!(error_of(refused, status).await["error"], code, "{body}");
    }
    // Another tenant's users may have the same address.
    let globex = app.tenant("globex").await;
    let same = json!({"username": "alice", "password": PASSWORD, "email": "alice@example.com"});
    app.api_post(
        &format!("/v1/tenants/{}/users", globex.id),
        &globex.admin_token,
        same,
    )
    .await;
}

#[actix_web::test]
async fn a_new_email_is_unverified_until_said_and_null_removes_it() {
    let app = spawn_app().await;
    let acme = app.tenant("acme").await;
    let users = format!("/v1/tenants/{}/users", acme.id);
    let body = json!({"username": "alice", "password": PASSWORD, "email": "alice@example.com", "email_verified": true});
    let alice = app.api_post(&users, &acme.admin_token, body).await;
    let alice = format!("{users}/{}", alice["id"].as_str().unwrap());
    let patch = |body: Value| {
        let (app, token, path) = (&app, &acme.admin_token, &alice);
        async move {
            let answer = app.api(Method::PATCH, path, token, Some(body)).await;
            serde_json::from_value::<Profile>(json_with_status(answer, 200).await).unwrap()
        }
    };
    let renamed = patch(json!({"display_name": "Alice L."})).await;
    assert!(
        renamed.email_verified,
        "an unchanged address stays verified"
    );
    let moved = patch(json!({"email": "alice@another.example"})).await;
    assert_eq!(
        (moved.email.as_deref(), moved.email_verified),
        (Some("alice@another.example"), false)
    );
    let verified = patch(json!({"email_verified": true})).await;
    assert!(verified.email_verified);
    let removed = patch(json!({"email": null})).await;
    assert_eq!((removed.email, removed.email_verified), (None, false));
    let refused = app
        .api(
            Method::PATCH,
            &alice,
            &acme.admin_token,
            Some(json!({"email_verified": true})),
        )
        .await;
    assert_eq!(error_of(refused, 422).await["error"], "invalid_user");
}

#[actix_web::test]
async fn the_cli_creates_a_user_with_a_verified_email() {
    let app = spawn_app().await;
    let tenant = app.tenant("acme").await;
    let created = app
        .cli()
        .args([
            "user",
            "create",
            "--tenant",
            &tenant.id,
            "--username",
            "carol",
        ])
        .args([
            "--email",
            "carol@example.com",
            "--email-verified",
            "--password-stdin",
            "--json",
        ])
        .write_stdin("carol's password\n")
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let carol: Profile = serde_json::from_slice(&created.stdout).unwrap();
    assert_eq!(
        (carol.email.as_deref(), carol.email_verified),
        (Some("carol@example.com"), true)
    );
}
