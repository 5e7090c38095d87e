//! Roles, access records and authorization checks.

use reqwest::Method;
use serde_json::{json, Value};

use crate::fixtures::{Tenant, PASSWORD};
use crate::helpers::{basic, json_with_status, spawn_app, TestApp, TestClient};

/// A tenant with Viewer and Editor roles, its admin's token, and a user `alice` (id, password token).
struct World {
    tenant: String,
    admin: String,
    alice: String,
}

async fn world(app: &TestApp, slug: &str) -> World {
    let tenant = app.tenant(slug).await;
    tenant.role(app, "Viewer", &["documents:read"]).await;
    tenant.role(app, "Editor", &["documents:*"]).await;
    let alice = tenant.user(app, "alice").await;
    World {
        tenant: tenant.id,
        admin: tenant.admin_token,
        alice: alice.id,
    }
}

async fn allowed(
    app: &TestApp,
    token: &str,
    subject: &str,
    resource: &str,
    permission: &str,
) -> bool {
    let body = json!({"subject": subject, "resource": resource, "permission": permission});
    let answer = json_with_status(
        app.api(Method::POST, "/v1/authorize", token, Some(body))
            .await,
        200,
    )
    .await;
    answer["allowed"].as_bool().unwrap()
}

fn record(subjects: &[&str], admins: &[&str], statements: Value) -> Value {
    json!({"name": "docs", "subjects": subjects, "admins": admins, "statements": statements})
}

#[actix_web::test]
async fn checks_follow_roles_wildcards_and_patterns_and_refuse_path_tricks() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let statements = json!([
        {"roles": ["Viewer"], "resources": ["/documents/*"]},
        {"roles": ["Editor"], "resources": ["/drafts/7"]},
    ]);
    app.api_post(
        "/v1/records",
        &w.admin,
        record(&[&w.alice], &[], statements),
    )
    .await;

    assert!(allowed(&app, &w.admin, &w.alice, "/documents/1", "documents:read").await);
    assert!(
        allowed(
            &app,
            &w.admin,
            &w.alice,
            "/documents/1/pages/2",
            "documents:read"
        )
        .await
    );
    assert!(!allowed(&app, &w.admin, &w.alice, "/documents", "documents:read").await);
    assert!(!allowed(&app, &w.admin, &w.alice, "/documents/1", "documents:write").await);
    assert!(allowed(&app, &w.admin, &w.alice, "/drafts/7", "documents:write").await);
    assert!(!allowed(&app, &w.admin, &w.alice, "/drafts/8", "documents:write").await);
    for trick in [
        "/documents/../drafts/8",
        "/documents/%2e%2e/admin",
        "/documents/1%2F..%2F..%2Fadmin",
        "/documents//1",
    ] {
        assert!(
            !allowed(&app, &w.admin, &w.alice, trick, "documents:read").await,
            "{trick}"
        );
    }
    assert!(
        !allowed(
            &app,
            &w.admin,
            "usr_00000000000000000000xx",
            "/documents/1",
            "documents:read"
        )
        .await
    );

    let resources = app
        .api(
            Method::POST,
            "/v1/authorize/resources",
            &w.admin,
            Some(json!({"subject": w.alice, "permission": "documents:write"})),
        )
        .await;
    assert_eq!(
        json_with_status(resources, 200).await["resources"],
        json!(["/drafts/7"])
    );
    let bad = app
        .api(
            Method::POST,
            "/v1/authorize",
            &w.admin,
            Some(json!({"subject": w.alice, "resource": "/x", "permission": "read"})),
        )
        .await;
    assert_eq!(bad.status().as_u16(), 422);
}

#[actix_web::test]
async fn roles_are_unique_per_tenant_and_validated() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let duplicate = app
        .api(
            Method::POST,
            "/v1/roles",
            &w.admin,
            Some(json!({"name": "Viewer", "permissions": []})),
        )
        .await;
    assert_eq!(
        json_with_status(duplicate, 409).await["error"],
        "role_exists"
    );
    let malformed = app
        .api(
            Method::POST,
            "/v1/roles",
            &w.admin,
            Some(json!({"name": "X", "permissions": ["read everything"]})),
        )
        .await;
    assert_eq!(malformed.status().as_u16(), 422);
    let roles = app.api_get("/v1/roles", &w.admin).await["items"].take();
    let mut names: Vec<&str> = roles
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["Editor", "Viewer"]);

    let other = world(&app, "globex").await;
    let viewer = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Viewer")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let foreign = app
        .api(
            Method::PATCH,
            &format!("/v1/roles/{viewer}"),
            &other.admin,
            Some(json!({"permissions": ["*"]})),
        )
        .await;
    assert_eq!(foreign.status().as_u16(), 404);
    let unknown_role = record(
        &[&w.alice],
        &[],
        json!([{"roles": ["Owner"], "resources": ["/x/*"]}]),
    );
    let refused = app
        .api(Method::POST, "/v1/records", &w.admin, Some(unknown_role))
        .await;
    assert_eq!(
        json_with_status(refused, 422).await["error"],
        "invalid_record"
    );
}

#[actix_web::test]
async fn records_and_checks_never_cross_tenants() {
    let app = spawn_app().await;
    let acme = world(&app, "acme").await;
    let globex = world(&app, "globex").await;
    let record_id = app
        .api_post(
            "/v1/records",
            &acme.admin,
            record(
                &[&acme.alice],
                &[],
                json!([{"roles": ["Viewer"], "resources": ["*"]}]),
            ),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        allowed(
            &app,
            &acme.admin,
            &acme.alice,
            "/documents/1",
            "documents:read"
        )
        .await
    );
    // The same subject id asked about by another tenant's admin: acme's record does not apply there.
    assert!(
        !allowed(
            &app,
            &globex.admin,
            &acme.alice,
            "/documents/1",
            "documents:read"
        )
        .await
    );
    assert_eq!(
        app.api(
            Method::GET,
            &format!("/v1/records/{record_id}"),
            &globex.admin,
            None
        )
        .await
        .status()
        .as_u16(),
        404
    );
    assert_eq!(
        app.api_get("/v1/records", &globex.admin).await["items"],
        json!([])
    );
    // A resource server of globex with keygate:authorize asks about its own tenant only, and administers nothing.
    let resource_server =
        app.create_client(&["--tenant", &globex.tenant, "--scope", "keygate:authorize"]);
    let token = app.token_for(&resource_server).await;
    assert!(!allowed(&app, &token, &acme.alice, "/documents/1", "documents:read").await);
    let body = json!({"subject": acme.alice, "resource": "/documents/1", "permission": "documents:read",
                      "tenant_id": acme.tenant});
    let answer = app
        .api(Method::POST, "/v1/authorize", &token, Some(body))
        .await;
    assert_eq!(answer.json::<Value>().await.unwrap()["allowed"], false);
    for path in ["/v1/records", "/v1/clients", "/v1/roles"] {
        let status = app.api(Method::GET, path, &token, None).await.status();
        assert_eq!(status.as_u16(), 403, "{path}");
    }
}

/// Bob administers a record that gives a service client Viewer on `/documents/*`; Alice, of the same tenant,
/// does not.
struct AdministeredRecord {
    tenant: Tenant,
    path: String,
    service: TestClient,
    bob: String,
    bob_token: String,
    alice_token: String,
}

async fn bob_administers_a_record(app: &TestApp) -> AdministeredRecord {
    let tenant = app.tenant("acme").await;
    tenant.role(app, "Viewer", &["documents:read"]).await;
    tenant.role(app, "Editor", &["documents:*"]).await;
    tenant.user(app, "alice").await;
    let bob = tenant.user(app, "bob").await.id;
    let service = tenant.client(app, &[]);
    let viewer = json!([{"roles": ["Viewer"], "resources": ["/documents/*"]}]);
    let created = app
        .api_post(
            "/v1/records",
            &tenant.admin_token,
            record(&[&service.id], &[&bob], viewer),
        )
        .await;
    let spa = tenant.client(app, &["--grant-type", "password"]);
    AdministeredRecord {
        path: format!("/v1/records/{}", created["id"].as_str().unwrap()),
        bob_token: app.sign_in(&spa, "bob").await.access_token,
        alice_token: app.sign_in(&spa, "alice").await.access_token,
        tenant,
        service,
        bob,
    }
}

#[actix_web::test]
async fn a_record_admin_grants_through_it_only_what_they_hold() {
    let app = spawn_app().await;
    let r = bob_administers_a_record(&app).await;
    let may_write = || {
        allowed(
            &app,
            &r.tenant.admin_token,
            &r.service.id,
            "/documents/3",
            "documents:write",
        )
    };
    // Bob holds nothing on /documents: administering the record lets him grant only what he holds.
    let widened = record(
        &[&r.service.id],
        &[&r.bob],
        json!([{"roles": ["Editor"], "resources": ["/documents/*"]}]),
    );
    let refused = app
        .api(Method::PUT, &r.path, &r.bob_token, Some(widened.clone()))
        .await;
    assert_eq!(json_with_status(refused, 403).await["error"], "forbidden");
    let everything = record(
        &[&r.service.id],
        &[&r.bob],
        json!([{"roles": ["Editor"], "resources": ["/*"]}]),
    );
    let refused = app
        .api(Method::PUT, &r.path, &r.bob_token, Some(everything))
        .await;
    assert_eq!(refused.status().as_u16(), 403);
    assert!(!may_write().await);

    // Once a tenant admin grants Bob Editor on /documents/*, he may pass it on to the record's subjects.
    let editor = json!([{"roles": ["Editor"], "resources": ["/documents/*"]}]);
    app.api_post(
        "/v1/records",
        &r.tenant.admin_token,
        record(&[&r.bob], &[], editor),
    )
    .await;
    let changed = app
        .api(Method::PUT, &r.path, &r.bob_token, Some(widened))
        .await;
    assert_eq!(changed.status().as_u16(), 200);
    assert!(may_write().await);
}

#[actix_web::test]
async fn a_record_admin_names_only_subjects_and_admins_that_exist_in_its_tenant() {
    let app = spawn_app().await;
    let r = bob_administers_a_record(&app).await;
    let outsider = app.tenant("globex").await.client(&app, &[]);
    for (subjects, admins, field) in [
        (vec![outsider.id.as_str()], vec![r.bob.as_str()], "subjects"),
        (
            vec!["sc_0000000000000000000000"],
            vec![r.bob.as_str()],
            "subjects",
        ),
        (
            vec![r.service.id.as_str()],
            vec!["usr_0000000000000000000000"],
            "admins",
        ),
    ] {
        let body = record(
            &subjects,
            &admins,
            json!([{"roles": ["Viewer"], "resources": ["/documents/*"]}]),
        );
        let refused = app
            .api(Method::PUT, &r.path, &r.bob_token, Some(body))
            .await;
        let refused = json_with_status(refused, 422).await;
        assert_eq!(refused["error"], "invalid_subject");
        assert_eq!(refused["field"], field, "{refused}");
    }
}

#[actix_web::test]
async fn a_client_made_with_its_access_holds_it_from_the_start_or_is_not_made() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    let client = app
        .api_post(
            "/v1/clients",
            &w.admin,
            json!({"name": "reports", "access": {"roles": ["Viewer"], "resources": ["/documents/*"]}}),
        )
        .await;
    let id = client["id"].as_str().unwrap();
    assert!(allowed(&app, &w.admin, id, "/documents/7", "documents:read").await);
    assert!(!allowed(&app, &w.admin, id, "/documents/7", "documents:write").await);
    let records = app.api(Method::GET, "/v1/records", &w.admin, None).await;
    let records = json_with_status(records, 200).await;
    assert_eq!(records["items"][0]["name"], "reports");
    assert_eq!(records["items"][0]["subjects"], json!([id]));

    // A role that does not exist, or a malformed pattern: refused at "access", and no client is left behind.
    for access in [
        json!({"roles": ["Owner"], "resources": ["/documents/*"]}),
        json!({"roles": ["Viewer"], "resources": ["/documents/../x"]}),
    ] {
        let body = json!({"name": "half made", "access": access});
        let refused = app
            .api(Method::POST, "/v1/clients", &w.admin, Some(body))
            .await;
        let refused = json_with_status(refused, 422).await;
        assert_eq!(refused["error"], "invalid_record", "{refused}");
        assert_eq!(refused["field"], "access", "{refused}");
    }
    let names = app.client_names(&w.admin).await;
    assert!(!names.iter().any(|n| n == "half made"), "{names:?}");
}

#[actix_web::test]
async fn a_user_who_does_not_administer_a_record_cannot_see_change_or_delete_it() {
    let app = spawn_app().await;
    let r = bob_administers_a_record(&app).await;
    let unchanged = record(
        &[&r.service.id],
        &[&r.bob],
        json!([{"roles": ["Viewer"], "resources": ["/documents/*"]}]),
    );
    let status = |response: reqwest::Response| response.status().as_u16();
    let put = app
        .api(Method::PUT, &r.path, &r.alice_token, Some(unchanged))
        .await;
    assert_eq!(status(put), 404);
    assert_eq!(
        status(app.api(Method::DELETE, &r.path, &r.alice_token, None).await),
        404
    );
    assert_eq!(
        status(app.api(Method::DELETE, &r.path, &r.bob_token, None).await),
        204
    );
}

async fn user_token(app: &TestApp, client: &TestClient, username: &str, password: &str) -> String {
    let form = [
        ("grant_type", "password"),
        ("username", username),
        ("password", password),
    ];
    let body = json_with_status(
        app.post_form(
            "/oauth/token",
            &form,
            Some(&basic(&client.id, &client.secret)),
        )
        .await,
        200,
    )
    .await;
    body["access_token"].as_str().unwrap().to_string()
}

/// `POST /v1/self/clients`: a user's own client, its first key, and the resources its grants cover.
#[derive(serde::Deserialize)]
struct OwnClient {
    client: OwnClientView,
    keys: Vec<MadeKey>,
    resources: Vec<String>,
}

#[derive(serde::Deserialize)]
struct OwnClientView {
    id: String,
    owner: Value,
}

#[derive(serde::Deserialize)]
struct MadeKey {
    id: String,
    key: String,
}

/// Alice, signed in, makes herself an Editor client in one call.
async fn alice_makes_an_editor_client(app: &TestApp) -> (World, String, OwnClient) {
    let w = world(app, "acme").await;
    let spa = app.create_client(&["--tenant", &w.tenant, "--grant-type", "password"]);
    let alice = app.sign_in(&spa, "alice").await.access_token;
    let body = json!({"name": "my script", "role": "Editor"});
    let created = app.api_post("/v1/self/clients", &alice, body).await;
    (
        w,
        alice,
        serde_json::from_value(created).expect("an own client"),
    )
}

#[actix_web::test]
async fn a_user_makes_an_api_key_limited_to_their_documents_in_one_call() {
    let app = spawn_app().await;
    let (w, _, made) = alice_makes_an_editor_client(&app).await;
    assert_eq!(made.resources, [format!("/users/{}/*", w.alice)]);
    assert_eq!(made.client.owner, json!({"type": "user", "id": w.alice}));
    let token = app
        .post_form(
            "/oauth/token",
            &[("grant_type", "client_credentials")],
            Some(&basic(&made.client.id, &made.keys[0].key)),
        )
        .await;
    json_with_status(token, 200).await;
    let own_document = format!("/users/{}/documents/9", w.alice);
    let someone_elses = "/users/usr_someoneelse0000000000/documents/9";
    assert!(
        allowed(
            &app,
            &w.admin,
            &made.client.id,
            &own_document,
            "documents:write"
        )
        .await
    );
    assert!(
        !allowed(
            &app,
            &w.admin,
            &made.client.id,
            someone_elses,
            "documents:read"
        )
        .await
    );
}

#[actix_web::test]
async fn a_users_own_key_is_listed_without_its_secret_and_revoking_and_deleting_end_it() {
    let app = spawn_app().await;
    let (w, alice, made) = alice_makes_an_editor_client(&app).await;
    let (client_id, key) = (&made.client.id, &made.keys[0]);
    let listed = app.api_get("/v1/self/clients", &alice).await["items"].take();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(
        listed[0]["keys"][0].get("key").is_none(),
        "the key is shown once"
    );

    let revoke = format!("/v1/self/clients/{client_id}/keys/{}", key.id);
    let revoked = app.api(Method::DELETE, &revoke, &alice, None).await;
    assert_eq!(revoked.status().as_u16(), 204);
    let token = app
        .post_form(
            "/oauth/token",
            &[("grant_type", "client_credentials")],
            Some(&basic(client_id, &key.key)),
        )
        .await;
    assert_eq!(token.status().as_u16(), 401);

    let delete = format!("/v1/self/clients/{client_id}");
    let deleted = app.api(Method::DELETE, &delete, &alice, None).await;
    assert_eq!(deleted.status().as_u16(), 204);
    let own_document = format!("/users/{}/documents/9", w.alice);
    assert!(!allowed(&app, &w.admin, client_id, &own_document, "documents:read").await);
}

#[actix_web::test]
async fn a_user_cannot_grant_more_than_they_hold() {
    let app = spawn_app().await;
    let w = world(&app, "acme").await;
    app.api_post(
        "/v1/records",
        &w.admin,
        record(
            &[&w.alice],
            &[],
            json!([{"roles": ["Viewer"], "resources": ["/documents/*"]}]),
        ),
    )
    .await;
    let spa = app.create_client(&["--tenant", &w.tenant, "--grant-type", "password"]);
    let alice = user_token(&app, &spa, "alice", PASSWORD).await;

    let too_much = json!({"name": "x", "role": "Editor", "resources": ["/documents/*"]});
    assert_eq!(
        app.api(Method::POST, "/v1/self/clients", &alice, Some(too_much))
            .await
            .status()
            .as_u16(),
        403
    );
    let elsewhere = json!({"name": "x", "role": "Viewer", "resources": ["/billing/*"]});
    assert_eq!(
        app.api(Method::POST, "/v1/self/clients", &alice, Some(elsewhere))
            .await
            .status()
            .as_u16(),
        403
    );
    let within = json!({"name": "reader", "role": "Viewer", "resources": ["/documents/7"]});
    json_with_status(
        app.api(Method::POST, "/v1/self/clients", &alice, Some(within))
            .await,
        201,
    )
    .await;
    let unknown = json!({"name": "x", "role": "Owner"});
    assert_eq!(
        app.api(Method::POST, "/v1/self/clients", &alice, Some(unknown))
            .await
            .status()
            .as_u16(),
        422
    );
    // Not a user: a client's token has no "self".
    assert_eq!(
        app.api(Method::GET, "/v1/self/clients", &w.admin, None)
            .await
            .status()
            .as_u16(),
        403
    );
    // Another user sees none of alice's clients.
    let global = app.admin_token().await;
    app.api_post(
        &format!("/v1/tenants/{}/users", w.tenant),
        &global,
        json!({"username": "bob", "password": "bob's password"}),
    )
    .await;
    let bob = user_token(&app, &spa, "bob", "bob's password").await;
    assert_eq!(
        app.api_get("/v1/self/clients", &bob).await,
        json!({"items": [], "next_cursor": null})
    );
}

#[actix_web::test]
async fn the_account_pages_need_a_session_and_a_csrf_token_and_send_nobody_elsewhere() {
    let app = spawn_app().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http.get(app.url("/account/keys")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 303);
    assert_eq!(
        page.headers()["location"],
        "/account/login?next=/account/keys"
    );
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let post = http
        .post(app.url("/account/keys"))
        .form(&[("name", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(post.status().as_u16(), 303, "no session, no change");

    let login = http
        .get(app.url("/account/login?next=https://evil.example/"))
        .send()
        .await
        .unwrap();
    assert!(login.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("form-action 'self'"));
    let html = login.text().await.unwrap();
    assert!(
        html.contains("value=\"/account/keys\"") && !html.contains("evil.example"),
        "next is kept inside /account"
    );
    let forged = http
        .post(app.url("/account/login"))
        .form(&[
            ("csrf_token", "x"),
            ("tenant", "acme"),
            ("username", "a"),
            ("password", "b"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
}

/// Alice of acme is a Viewer on `/documents/*` by an acme record and an Auditor on `/audit/*` by a global record
/// with a global role; returns acme's world and the global admin's token.
async fn alice_holds_a_tenant_and_a_global_grant(app: &TestApp) -> (World, String) {
    let acme = world(app, "acme").await;
    let global = app.admin_token().await;
    let viewer = json!([{"roles": ["Viewer"], "resources": ["/documents/*"]}]);
    app.api_post(
        "/v1/records",
        &acme.admin,
        record(&[&acme.alice], &[], viewer),
    )
    .await;
    let auditor = json!({"name": "Auditor", "permissions": ["audit:read"]});
    app.api_post("/v1/roles", &global, auditor).await;
    let audits = json!([{"roles": ["Auditor"], "resources": ["/audit/*"]}]);
    app.api_post("/v1/records", &global, record(&[&acme.alice], &[], audits))
        .await;
    (acme, global)
}

#[actix_web::test]
async fn a_global_caller_is_answered_by_the_subjects_own_tenant_and_global_records() {
    let app = spawn_app().await;
    let (acme, global) = alice_holds_a_tenant_and_a_global_grant(&app).await;
    // A global resource server with keygate:authorize and the global admin, without tenant_id: acme decides.
    let resource_server = app.create_client(&["--scope", "keygate:authorize"]);
    let server_token = app.token_for(&resource_server).await;
    for token in [&global, &server_token] {
        assert!(allowed(&app, token, &acme.alice, "/documents/1", "documents:read").await);
        assert!(allowed(&app, token, &acme.alice, "/audit/1", "audit:read").await);
        assert!(!allowed(&app, token, &acme.alice, "/documents/1", "documents:write").await);
    }
    let asked = json!({"subject": acme.alice, "permission": "documents:read"});
    let resources = app
        .api(
            Method::POST,
            "/v1/authorize/resources",
            &server_token,
            Some(asked),
        )
        .await;
    assert_eq!(
        json_with_status(resources, 200).await["resources"],
        json!(["/documents/*"])
    );
}

#[actix_web::test]
async fn naming_the_subjects_own_tenant_changes_nothing_and_naming_another_is_422() {
    let app = spawn_app().await;
    let (acme, global) = alice_holds_a_tenant_and_a_global_grant(&app).await;
    let globex = app.tenant("globex").await.id;
    let asked = |tenant: &str| {
        json!({"subject": acme.alice, "resource": "/documents/1", "permission": "documents:read",
               "tenant_id": tenant})
    };
    let same = app
        .api(
            Method::POST,
            "/v1/authorize",
            &global,
            Some(asked(&acme.tenant)),
        )
        .await;
    assert_eq!(json_with_status(same, 200).await["allowed"], true);
    let mut resources_asked = asked(&globex);
    resources_asked.as_object_mut().unwrap().remove("resource");
    for (path, body) in [
        ("/v1/authorize", asked(&globex)),
        ("/v1/authorize/resources", resources_asked),
    ] {
        let contradicting = app.api(Method::POST, path, &global, Some(body)).await;
        assert_eq!(
            json_with_status(contradicting, 422).await["error"],
            "invalid_tenant",
            "{path}"
        );
    }
}

#[actix_web::test]
async fn global_admins_list_every_role_by_pages_and_by_tenant() {
    let app = spawn_app().await;
    let acme = world(&app, "acme").await;
    let globex = world(&app, "globex").await;
    let global = app.admin_token().await;
    app.api_post(
        "/v1/roles",
        &global,
        json!({"name": "Auditor", "permissions": ["audit:read"]}),
    )
    .await;
    let names = |page: &Value| -> Vec<(String, Option<String>)> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap().to_string(),
                    r["tenant_id"].as_str().map(String::from),
                )
            })
            .collect()
    };
    // Five roles in all (two per tenant, one global), two per page.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .api_get(&format!("/v1/roles?limit=2{cursor}"), &global)
            .await;
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert!(seen.contains(&("Auditor".into(), None)));
    let acme_only = app
        .api_get(&format!("/v1/roles?tenant_id={}", acme.tenant), &global)
        .await;
    let acme_names = names(&acme_only);
    assert_eq!(acme_names.len(), 2);
    assert!(acme_names
        .iter()
        .all(|(_, t)| t.as_deref() == Some(acme.tenant.as_str())));
    // A tenant admin sees its own and the global roles, and no other tenant's.
    let visible = names(&app.api_get("/v1/roles", &globex.admin).await);
    assert_eq!(visible.len(), 3, "{visible:?}");
    assert!(visible
        .iter()
        .all(|(_, t)| t.is_none() || t.as_deref() == Some(globex.tenant.as_str())));
    let foreign = app
        .api(
            Method::GET,
            &format!("/v1/roles?tenant_id={}", acme.tenant),
            &globex.admin,
            None,
        )
        .await;
    assert_eq!(foreign.status().as_u16(), 404);
}
