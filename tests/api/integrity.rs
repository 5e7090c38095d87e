//! The integrity of what is stored: references stay inside their tenant, lists show what single reads show,
//! updates validate as creates do, user tokens name their tenant, lifetimes keep their ceiling, every write is
//! audited, and look-alike usernames are one user.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{basic, json_with_status, spawn_app};
use crate::lifecycle::{own_client, sign_in, status, token_status, world, PASSWORD};

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

#[actix_web::test]
async fn a_stored_value_that_does_not_read_back_is_a_server_error_never_a_default() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let scoped = app.create_client(&["--scope", "documents:read"]);
    let kindless = app.create_client(&[]);
    app.sql(&format!(
        "UPDATE service_clients SET scopes = '[\"documents:read\"' WHERE id = '{}';
         UPDATE access_keys SET kind = 'skeleton' WHERE id = '{}';",
        scoped.id, kindless.key_id
    ));

    // A client whose scopes no longer parse is not a client with no scopes: reads and tokens fail loudly.
    let read = app
        .api(
            Method::GET,
            &format!("/v1/clients/{}", scoped.id),
            &admin,
            None,
        )
        .await;
    assert_eq!(json_with_status(read, 500).await["error"], "internal_error");
    for client in [&scoped, &kindless] {
        let token = app.token_basic(client, "").await;
        assert_eq!(json_with_status(token, 500).await["error"], "server_error");
    }
    // The rest of the server is unaffected.
    let healthy = app.create_client(&[]);
    let token = app.token_basic(&healthy, "").await;
    assert_eq!(token.status().as_u16(), 200);
}
