//! The `/v1` management API: authentication, tenant isolation, pagination, errors.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{basic, json_with_status, spawn_app, TestApp, TestClient};

/// A tenant and a tenant-admin client of it, with its token.
async fn tenant_admin(app: &TestApp, admin: &str, slug: &str) -> (String, String) {
    let tenant = app
        .api_post("/v1/tenants", admin, json!({"name": slug, "slug": slug}))
        .await;
    let tenant_id = tenant["id"].as_str().unwrap().to_string();
    let client = app
        .api_post(
            "/v1/clients",
            admin,
            json!({"name": "admin", "tenant_id": tenant_id, "scopes": ["keygate:tenant-admin"]}),
        )
        .await;
    let key = app
        .api_post(
            &format!("/v1/clients/{}/keys", client["id"].as_str().unwrap()),
            admin,
            json!({"kind": "secret"}),
        )
        .await;
    let client = TestClient {
        id: client["id"].as_str().unwrap().into(),
        secret: key["key"].as_str().unwrap().into(),
        key_id: key["id"].as_str().unwrap().into(),
    };
    (tenant_id, app.token_for(&client).await)
}

#[actix_web::test]
async fn an_admin_makes_a_tenant_a_client_and_a_key_and_the_key_gets_a_token() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let tenant = app
        .api_post(
            "/v1/tenants",
            &admin,
            json!({"name": "Acme", "slug": "acme", "ttl": {"client_credentials": 600}}),
        )
        .await;
    assert_eq!(tenant["ttl"]["client_credentials"], 600);
    let client = app
        .api_post(
            "/v1/clients",
            &admin,
            json!({"name": "backend", "tenant_id": tenant["id"], "scopes": ["documents:read"]}),
        )
        .await;
    assert_eq!(
        client["effective_ttl"]["client_credentials"],
        json!({"seconds": 600, "source": "tenant"})
    );
    assert_eq!(client["grant_types"], json!(["client_credentials"]));
    let client_id = client["id"].as_str().unwrap();
    let response = app
        .api(
            Method::POST,
            &format!("/v1/clients/{client_id}/keys"),
            &admin,
            Some(json!({"kind": "secret"})),
        )
        .await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let key = json_with_status(response, 201).await;
    assert!(key["key"].as_str().unwrap().starts_with("kg_sk_"));

    let body = format!(
        "grant_type=client_credentials&client_id={client_id}&client_secret={}",
        key["key"].as_str().unwrap()
    );
    let token = json_with_status(app.post_token(&body, None).await, 200).await;
    assert_eq!(token["expires_in"], 600);

    let listed = app
        .api_get(&format!("/v1/clients/{client_id}/keys"), &admin)
        .await["items"]
        .take();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(
        listed[0].get("key").is_none(),
        "the key is shown once, in the creation answer only"
    );
}

#[actix_web::test]
async fn basic_client_credentials_authenticate_the_management_api() {
    let app = spawn_app().await;
    let admin = app.init_admin();
    let tenants = app
        .api_get("/v1/tenants", &basic(&admin.id, &admin.secret))
        .await;
    assert_eq!(tenants["items"], json!([]));
    let wrong = app
        .api(
            Method::GET,
            "/v1/tenants",
            &basic(&admin.id, "kg_sk_wrong"),
            None,
        )
        .await;
    assert_eq!(wrong.status().as_u16(), 401);
}

#[actix_web::test]
async fn missing_or_foreign_credentials_are_401_and_non_admins_403() {
    let app = spawn_app().await;
    let anonymous = app.http.get(app.url("/v1/clients")).send().await.unwrap();
    // RFC 6750 §3.1: no error code when no credentials were sent; both accepted schemes are offered.
    let challenges: Vec<&str> = anonymous
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(
        challenges,
        ["Bearer realm=\"keygate\"", "Basic realm=\"keygate\""]
    );
    let bad_token = app
        .http
        .get(app.url("/v1/clients"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(
        bad_token.headers()["www-authenticate"],
        "Bearer realm=\"keygate\", error=\"invalid_token\""
    );
    let body = json_with_status(anonymous, 401).await;
    assert_eq!(body["error"], "unauthorized");
    assert!(body["message"].is_string());

    let plain = app.create_client(&["--scope", "documents:read"]);
    let token = app.token_for(&plain).await;
    let forbidden =
        json_with_status(app.api(Method::GET, "/v1/clients", &token, None).await, 403).await;
    assert_eq!(forbidden["error"], "forbidden");

    // A token minted for another API must not administer keygate.
    let admin = app.init_admin();
    let elsewhere = json_with_status(
        app.token_basic(&admin, "&audience=documents-api").await,
        200,
    )
    .await;
    let response = app
        .api(
            Method::GET,
            "/v1/clients",
            elsewhere["access_token"].as_str().unwrap(),
            None,
        )
        .await;
    assert_eq!(response.status().as_u16(), 401);
}

#[actix_web::test]
async fn a_tenant_admin_creates_and_lists_within_its_own_tenant() {
    let app = spawn_app().await;
    // The tenant and its admin made through /v1 by the global admin.
    let admin = app.admin_token().await;
    let (acme, acme_admin) = tenant_admin(&app, &admin, "acme").await;
    tenant_admin(&app, &admin, "globex").await;
    // Created without a tenant_id, a tenant admin's client lands in its own tenant.
    let own = app
        .api_post("/v1/clients", &acme_admin, json!({"name": "ours"}))
        .await;
    assert_eq!(own["tenant_id"], acme.as_str());
    let listed = app.api_get("/v1/clients", &acme_admin).await;
    let tenants_listed: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["tenant_id"])
        .collect();
    assert!(tenants_listed.iter().all(|tenant| *tenant == acme.as_str()));
    let tenants = app.api_get("/v1/tenants", &acme_admin).await;
    assert_eq!(tenants["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn another_tenants_objects_are_404_to_a_tenant_admin_and_new_tenants_403() {
    let app = spawn_app().await;
    let acme = app.tenant("acme").await;
    let globex = app.tenant("globex").await;
    let foreign = globex.client(&app, &[]).id;
    let acme_admin = &acme.admin_token;
    for (method, path) in [
        (Method::GET, format!("/v1/clients/{foreign}")),
        (Method::DELETE, format!("/v1/clients/{foreign}")),
        (Method::GET, format!("/v1/clients/{foreign}/keys")),
        (Method::GET, format!("/v1/tenants/{}", globex.id)),
        (Method::GET, format!("/v1/clients?tenant_id={}", globex.id)),
    ] {
        let response = app.api(method, &path, acme_admin, None).await;
        assert_eq!(
            json_with_status(response, 404).await["error"],
            "not_found",
            "{path}"
        );
    }
    let into_other = json!({"name": "x", "tenant_id": globex.id});
    assert_eq!(
        refused(&app, acme_admin, "/v1/clients", into_other).await.0,
        404
    );
    let keys = format!("/v1/clients/{foreign}/keys");
    assert_eq!(
        refused(&app, acme_admin, &keys, json!({"kind": "secret"}))
            .await
            .0,
        404
    );
    let tenant = json!({"name": "n", "slug": "n"});
    assert_eq!(
        refused(&app, acme_admin, "/v1/tenants", tenant).await,
        (403, "forbidden".to_string(), None)
    );
}

#[actix_web::test]
async fn lists_are_cursor_paginated_and_filter_by_owner() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for slug in ["a", "b", "c"] {
        app.api_post("/v1/tenants", &admin, json!({"name": slug, "slug": slug}))
            .await;
    }
    let first = app.api_get("/v1/tenants?limit=2", &admin).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = app
        .api_get(&format!("/v1/tenants?limit=2&cursor={cursor}"), &admin)
        .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert!(second["next_cursor"].is_null());

    let tenant = first["items"][0]["id"].as_str().unwrap();
    let owned =
        json!({"name": "owned", "tenant_id": tenant, "owner": {"type": "tenant", "id": tenant}});
    app.api_post("/v1/clients", &admin, owned).await;
    app.api_post(
        "/v1/clients",
        &admin,
        json!({"name": "unowned", "tenant_id": tenant}),
    )
    .await;
    let by_owner = app
        .api_get(&format!("/v1/clients?owner_id={tenant}"), &admin)
        .await;
    let names: Vec<&str> = by_owner["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["owned"]);
}

/// A `/v1` POST's status and error code.
/// The status, error code and field (if the error names one) of a refused POST.
async fn refused(
    app: &TestApp,
    token: &str,
    path: &str,
    body: Value,
) -> (u16, String, Option<String>) {
    let answer = app.api(Method::POST, path, token, Some(body)).await;
    let status = answer.status().as_u16();
    let body: Value = answer.json().await.expect("a JSON error");
    let text = |name: &str| body[name].as_str().map(String::from);
    (status, text("error").unwrap_or_default(), text("field"))
}

#[actix_web::test]
async fn bodies_that_are_not_the_documented_json_are_400_invalid_request() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let not_json = app
        .http
        .post(app.url("/v1/tenants"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_with_status(not_json, 400).await["error"],
        "invalid_request"
    );
    let unknown_field = json!({"name": "a", "slug": "a", "colour": "red"});
    assert_eq!(
        refused(&app, &admin, "/v1/tenants", unknown_field).await.0,
        400
    );
}

#[actix_web::test]
async fn duplicates_and_rule_breaks_are_409_and_422_with_their_codes_and_fields() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let tenant = app.tenant("acme").await.id;
    let cases = [
        (
            "/v1/tenants",
            json!({"name": "Acme 2", "slug": "acme"}),
            409,
            "slug_taken",
            Some("slug"),
        ),
        (
            "/v1/tenants",
            json!({"name": "x", "slug": "Not A Slug"}),
            422,
            "invalid_tenant",
            Some("slug"),
        ),
        (
            "/v1/clients",
            json!({"name": "x", "tenant_id": tenant, "scopes": ["keygate:admin"]}),
            422,
            "invalid_client",
            Some("scopes"),
        ),
        (
            "/v1/clients",
            json!({"name": "x", "tenant_id": "ten_0000000000000000000000"}),
            404,
            "not_found",
            None,
        ),
        (
            "/v1/clients",
            json!({"name": "x", "ttl": {"client_credentials": 10_000_000}}),
            422,
            "invalid_client",
            Some("ttl"),
        ),
    ];
    for (path, body, status, error, field) in cases {
        let answer = refused(&app, &admin, path, body.clone()).await;
        let expected = (status, error.to_string(), field.map(String::from));
        assert_eq!(answer, expected, "{path} {body}");
    }
}

#[actix_web::test]
async fn deleting_a_client_or_tenant_refuses_its_keys_at_once_on_this_node() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let tenant = app.create_tenant("acme", &[]);
    let in_tenant = app.create_client(&["--tenant", &tenant]);
    let global = app.create_client(&[]);
    json_with_status(app.token_basic(&in_tenant, "").await, 200).await;
    json_with_status(app.token_basic(&global, "").await, 200).await;

    let deleted = app
        .api(
            Method::DELETE,
            &format!("/v1/clients/{}", global.id),
            &admin,
            None,
        )
        .await;
    assert_eq!(deleted.status().as_u16(), 204);
    assert_eq!(app.token_basic(&global, "").await.status().as_u16(), 401);

    let deleted = app
        .api(
            Method::DELETE,
            &format!("/v1/tenants/{tenant}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(deleted.status().as_u16(), 204);
    assert_eq!(app.token_basic(&in_tenant, "").await.status().as_u16(), 401);
    assert_eq!(
        app.api(
            Method::GET,
            &format!("/v1/clients/{}", in_tenant.id),
            &admin,
            None
        )
        .await
        .status()
        .as_u16(),
        404
    );
}

#[actix_web::test]
async fn patching_a_client_changes_its_scopes_and_lifetimes() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let client = app.create_client(&["--scope", "a", "--scope", "b"]);
    let patch = json!({"scopes": ["a"], "ttl": {"client_credentials": 120}});
    let updated = json_with_status(
        app.api(
            Method::PATCH,
            &format!("/v1/clients/{}", client.id),
            &admin,
            Some(patch),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["scopes"], json!(["a"]));
    assert_eq!(
        updated["effective_ttl"]["client_credentials"],
        json!({"seconds": 120, "source": "client"})
    );
    let token = json_with_status(app.token_basic(&client, "").await, 200).await;
    assert_eq!(
        (token["scope"].as_str(), token["expires_in"].as_i64()),
        (Some("a"), Some(120))
    );
}

#[actix_web::test]
async fn unknown_v1_paths_answer_a_json_404() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let response = app.api(Method::GET, "/v1/nothing-here", &admin, None).await;
    assert_eq!(json_with_status(response, 404).await["error"], "not_found");
}

#[actix_web::test]
async fn an_id_of_the_wrong_shape_or_kind_in_a_path_is_not_found_and_named() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let client = app.create_client(&[]);
    let tenant = app.create_tenant("acme", &[]);
    // Each path takes one kind of id: another kind, or no id at all, names nothing there.
    for (path, refused) in [
        (format!("/v1/clients/{tenant}"), tenant.clone()),
        ("/v1/clients/sc_short".to_string(), "sc_short".to_string()),
        (
            format!("/v1/clients/{}/keys/{}", client.id, client.id),
            client.id.clone(),
        ),
        (format!("/v1/tenants/{}", client.id), client.id.clone()),
        (
            format!("/v1/tenants/{tenant}/users/{tenant}"),
            tenant.clone(),
        ),
        (
            "/v1/roles/rec_0000000000000000000000".to_string(),
            "rec_0000000000000000000000".to_string(),
        ),
    ] {
        let method = if path.contains("/keys/") {
            Method::DELETE
        } else {
            Method::GET
        };
        let answer = app.api(method, &path, &admin, None).await;
        let body = json_with_status(answer, 404).await;
        assert_eq!(body["error"], "not_found", "{path}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(&refused), "{path}: {message}");
    }
    // The well-formed id of the right kind still works.
    let found = app
        .api(
            Method::GET,
            &format!("/v1/clients/{}", client.id),
            &admin,
            None,
        )
        .await;
    assert_eq!(found.status().as_u16(), 200);
}
