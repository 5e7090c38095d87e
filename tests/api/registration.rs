//! Dynamic client registration (RFC 7591) and its management (RFC 7592): a tenant administrator's initial access
//! tokens, clients registering themselves within their policy, and managing their registration afterwards.

use reqwest::Method;
use serde_json::{json, Value};

use crate::fixtures::Tenant;
use crate::helpers::{
    json_with_status, run_node, spawn_app, verify_with_jwks, TestApp, TestClient,
};

async fn registration_token(app: &TestApp, tenant: &Tenant, body: Value) -> Value {
    let path = format!("/v1/tenants/{}/registration-tokens", tenant.id);
    app.api_post(&path, &tenant.admin_token, body).await
}

async fn register(app: &TestApp, token: &str, metadata: Value) -> reqwest::Response {
    app.api(Method::POST, "/oauth/register", token, Some(metadata))
        .await
}

/// Asserts an RFC 7591 §3.2.2 refusal: 400 with this code; its description.
async fn refused(response: reqwest::Response, code: &str) -> String {
    let body = json_with_status(response, 400).await;
    assert_eq!(body["error"], code, "{body}");
    body["error_description"].as_str().unwrap().to_string()
}

/// Asserts RFC 6750's answer to a bad bearer token: 401 `invalid_token` with its Bearer challenge.
async fn invalid_token(response: reqwest::Response) {
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""),
        "{challenge}"
    );
    let body = json_with_status(response, 401).await;
    assert_eq!(body["error"], "invalid_token", "{body}");
}

#[actix_web::test]
async fn a_client_registers_gets_tokens_and_reads_replaces_and_deletes_its_registration() {
    let app = spawn_app().await;
    let tenant = app.tenant("acme").await;
    let metadata: Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        metadata["registration_endpoint"],
        app.url("/oauth/register")
    );
    let made = registration_token(
        &app,
        &tenant,
        json!({"max_uses": 2, "policy": {"scopes": ["documents:read", "documents:write"]}}),
    )
    .await;
    let token = made["token"].as_str().expect("the token, once");
    assert!(token.starts_with("kg_iat_rgt_"));
    let listed = app
        .api_get(
            &format!("/v1/tenants/{}/registration-tokens", tenant.id),
            &tenant.admin_token,
        )
        .await;
    assert!(
        listed["items"][0].get("token").is_none(),
        "never shown again"
    );

    // A backend registers for client_credentials with a secret, and uses it at once.
    let response = register(
        &app,
        token,
        json!({"client_name": "reports", "grant_types": ["client_credentials"], "response_types": [],
               "scope": "documents:read", "contacts": ["ops@acme.example"], "software_id": "reports-1"}),
    )
    .await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let registered = json_with_status(response, 201).await;
    assert_eq!(
        registered["token_endpoint_auth_method"],
        "client_secret_basic"
    );
    assert_eq!(registered["client_secret_expires_at"], 0);
    assert_eq!(registered["software_id"], "reports-1");
    let client_id = registered["client_id"].as_str().unwrap();
    let client = TestClient {
        id: client_id.to_string(),
        secret: registered["client_secret"].as_str().unwrap().to_string(),
        key_id: String::new(),
    };
    let tokens = json_with_status(app.token_basic(&client, "").await, 200).await;
    let (_, claims) = verify_with_jwks(
        tokens["access_token"].as_str().unwrap(),
        &app.jwks().await,
        &app.address,
        &app.address,
    );
    assert_eq!(claims["tid"], tenant.id.as_str());
    assert_eq!(claims["scope"], "documents:read");
    // It is a client of the tenant like any other, owned by the tenant whose admin client made the token.
    let shown = app
        .api_get(&format!("/v1/clients/{client_id}"), &tenant.admin_token)
        .await;
    assert_eq!(shown["name"], "reports");
    assert_eq!(shown["owner"]["type"], "tenant");

    // RFC 7592: read back with the registration access token, with no secret in it.
    let uri = registered["registration_client_uri"].as_str().unwrap();
    assert_eq!(uri, app.url(&format!("/oauth/register/{client_id}")));
    let path = format!("/oauth/register/{client_id}");
    let access = registered["registration_access_token"].as_str().unwrap();
    let read = json_with_status(app.api(Method::GET, &path, access, None).await, 200).await;
    assert_eq!(read["client_name"], "reports");
    assert!(read.get("client_secret").is_none() && read.get("registration_access_token").is_none());
    // Another token (the initial one, a made-up one) reads nothing, and says nothing of whether the client exists.
    invalid_token(app.api(Method::GET, &path, token, None).await).await;
    invalid_token(
        app.api(
            Method::GET,
            "/oauth/register/sc_0000000000000000000000",
            access,
            None,
        )
        .await,
    )
    .await;

    // Replaced: a new name and a wider scope the policy allows; one it does not is refused.
    let mut replacement = read.clone();
    replacement["client_name"] = json!("reports v2");
    replacement["scope"] = json!("documents:read documents:write");
    let replaced = app
        .api(Method::PUT, &path, access, Some(replacement.clone()))
        .await;
    assert_eq!(
        json_with_status(replaced, 200).await["client_name"],
        "reports v2"
    );
    replacement["scope"] = json!("documents:read billing:read");
    refused(
        app.api(Method::PUT, &path, access, Some(replacement.clone()))
            .await,
        "invalid_client_metadata",
    )
    .await;
    replacement["client_id"] = json!("sc_0000000000000000000000");
    refused(
        app.api(Method::PUT, &path, access, Some(replacement)).await,
        "invalid_client_metadata",
    )
    .await;
    let shown = app
        .api_get(&format!("/v1/clients/{client_id}"), &tenant.admin_token)
        .await;
    assert_eq!(
        shown["scopes"],
        json!(["documents:read", "documents:write"])
    );

    // Deleted: its secret stops working at once, and its registration is gone.
    let deleted = app.api(Method::DELETE, &path, access, None).await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(app.token_basic(&client, "").await.status(), 401);
    invalid_token(app.api(Method::GET, &path, access, None).await).await;

    // Every change was audited, the registration with the token as its actor.
    let events = app
        .api_get(
            &format!("/v1/audit?target={client_id}"),
            &tenant.admin_token,
        )
        .await;
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["client.created", "client.updated", "client.deleted"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let created = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "client.created")
        .unwrap();
    assert_eq!(created["actor"], made["id"]);
}

#[actix_web::test]
async fn registrations_outside_rfc_7591_or_the_policy_are_refused_with_its_codes() {
    let app = spawn_app().await;
    let tenant = app.tenant("acme").await;
    let made = registration_token(
        &app,
        &tenant,
        json!({"max_uses": 1, "policy": {"auth_methods": ["none"], "redirect_uri_forms": ["loopback"],
               "grant_types": ["authorization_code", "refresh_token"]}}),
    )
    .await;
    let token = made["token"].as_str().unwrap();
    let native = |redirect: &str| {
        json!({"redirect_uris": [redirect], "token_endpoint_auth_method": "none",
               "grant_types": ["authorization_code", "refresh_token"]})
    };

    // No token, a malformed one, one of another format: RFC 6750's invalid_token.
    let anonymous = app
        .http
        .post(app.url("/oauth/register"))
        .json(&native("http://127.0.0.1:8123/cb"))
        .send()
        .await
        .unwrap();
    invalid_token(anonymous).await;
    invalid_token(register(&app, "kg_iat_nonsense", native("http://127.0.0.1:8123/cb")).await)
        .await;
    invalid_token(
        register(
            &app,
            &tenant.admin_token,
            native("http://127.0.0.1:8123/cb"),
        )
        .await,
    )
    .await;

    // Redirect URIs: https is not what this token allows, fragments and other schemes never.
    for redirect in [
        "https://agent.example/cb",
        "http://agent.example/cb",
        "http://127.0.0.1:8123/cb#x",
        "com.example.agent:/cb",
    ] {
        let reason = refused(
            register(&app, token, native(redirect)).await,
            "invalid_redirect_uri",
        )
        .await;
        assert!(
            reason.contains(redirect.split('#').next().unwrap()),
            "{reason}"
        );
    }
    // Metadata: a secret the policy does not allow, keygate's own scopes, an implicit flow, wrong types.
    let mut secret = native("http://127.0.0.1:8123/cb");
    secret["token_endpoint_auth_method"] = json!("client_secret_basic");
    let mut admin_scope = native("http://127.0.0.1:8123/cb");
    admin_scope["scope"] = json!("keygate:tenant-admin");
    let mut implicit = native("http://127.0.0.1:8123/cb");
    implicit["response_types"] = json!(["token"]);
    let mut mistyped = native("http://127.0.0.1:8123/cb");
    mistyped["grant_types"] = json!("authorization_code");
    for metadata in [
        secret,
        admin_scope,
        implicit,
        mistyped,
        json!(["not an object"]),
    ] {
        refused(
            register(&app, token, metadata).await,
            "invalid_client_metadata",
        )
        .await;
    }
    // None of that used the token: the first good registration does, and is its only one.
    let registered = json_with_status(
        register(&app, token, native("http://127.0.0.1:8123/cb")).await,
        201,
    )
    .await;
    assert!(
        registered.get("client_secret").is_none(),
        "a public client has no secret"
    );
    let shown = app
        .api_get(
            &format!("/v1/clients/{}", registered["client_id"].as_str().unwrap()),
            &tenant.admin_token,
        )
        .await;
    assert_eq!(shown["public"], true);
    invalid_token(register(&app, token, native("http://127.0.0.1:8123/cb")).await).await;

    // A policy that allows what no registration may is refused where it is made; a deleted token registers nothing.
    let path = format!("/v1/tenants/{}/registration-tokens", tenant.id);
    for policy in [
        json!({"grant_types": ["password"]}),
        json!({"scopes": ["keygate:admin"]}),
    ] {
        let answer = app
            .api(
                Method::POST,
                &path,
                &tenant.admin_token,
                Some(json!({"policy": policy})),
            )
            .await;
        assert_eq!(
            json_with_status(answer, 422).await["error"],
            "invalid_registration_token"
        );
    }
    let another = registration_token(&app, &tenant, json!({})).await;
    let deleted = app
        .api(
            Method::DELETE,
            &format!("{path}/{}", another["id"].as_str().unwrap()),
            &tenant.admin_token,
            None,
        )
        .await;
    assert_eq!(deleted.status(), 204);
    invalid_token(
        register(
            &app,
            another["token"].as_str().unwrap(),
            native("http://127.0.0.1:8123/cb"),
        )
        .await,
    )
    .await;

    // Another tenant's admin neither sees nor makes this tenant's tokens.
    let other = app.tenant("globex").await;
    let foreign = app.api(Method::GET, &path, &other.admin_token, None).await;
    assert_eq!(foreign.status(), 404);
}

#[actix_web::test]
async fn a_registration_tokens_max_clients_bounds_the_clients_alive_at_once() {
    let app = spawn_app().await;
    let tenant = app.tenant("acme").await;
    let made = registration_token(&app, &tenant, json!({"policy": {"max_clients": 1}})).await;
    let token = made["token"].as_str().unwrap();
    let backend = json!({"grant_types": ["client_credentials"], "response_types": []});
    let first = json_with_status(register(&app, token, backend.clone()).await, 201).await;
    invalid_token(register(&app, token, backend.clone()).await).await;
    let path = format!("/oauth/register/{}", first["client_id"].as_str().unwrap());
    let access = first["registration_access_token"].as_str().unwrap();
    assert_eq!(
        app.api(Method::DELETE, &path, access, None).await.status(),
        204
    );
    json_with_status(register(&app, token, backend).await, 201).await;
}

/// oauth4webapi's own registration helpers: a `private_key_jwt` client registers the public half of its key,
/// under the `kid` it chose, signs its assertions with it, and reads its registration back.
#[actix_web::test]
async fn oauth4webapi_registers_a_private_key_jwt_client_that_signs_with_its_own_kid() {
    let app = spawn_app().await;
    let tenant = app.tenant("acme").await;
    let made = registration_token(&app, &tenant, json!({"max_uses": 1})).await;
    let answer = run_node(
        "oauth4webapi.mjs",
        &["register", &app.address, made["token"].as_str().unwrap()],
    );
    let (_, claims) = verify_with_jwks(
        answer["access_token"].as_str().unwrap(),
        &app.jwks().await,
        &app.address,
        &app.address,
    );
    assert_eq!(claims["client_id"], answer["client_id"]);
    assert_eq!(claims["scope"], "documents:read");
    assert_eq!(
        answer["read_back"]["token_endpoint_auth_method"],
        "private_key_jwt"
    );
    assert_eq!(answer["read_back"]["jwks"]["keys"][0]["kid"], "agent-key-1");
    let keys = app
        .api_get(
            &format!("/v1/clients/{}/keys", answer["client_id"].as_str().unwrap()),
            &tenant.admin_token,
        )
        .await;
    assert_eq!(keys["items"][0]["kind"], "public_key");
}

/// A registration without an initial access token, from a page of `origin`, to `path` (`/oauth/register?…`).
async fn register_openly(app: &TestApp, path: &str, metadata: Value) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .header("origin", "https://agent.example")
        .json(&metadata)
        .send()
        .await
        .unwrap()
}

fn agent(name: &str) -> Value {
    json!({"client_name": name, "redirect_uris": ["http://127.0.0.1:33418/callback"],
           "token_endpoint_auth_method": "none", "grant_types": ["authorization_code", "refresh_token"],
           "scope": "mcp:tools"})
}

#[actix_web::test]
async fn open_registration_is_off_until_a_tenant_turns_it_on_under_a_strict_policy() {
    let app = spawn_app().await;
    let tenant = app.tenant("acme").await;
    let path = format!("/v1/tenants/{}/open-registration", tenant.id);

    // Off by default: without a token nobody registers, whichever tenant they name.
    invalid_token(register_openly(&app, "/oauth/register?tenant=acme", agent("early")).await).await;
    invalid_token(register_openly(&app, "/oauth/register", agent("nameless")).await).await;
    assert_eq!(
        app.api_get(&path, &tenant.admin_token).await["policy"],
        Value::Null
    );

    // A policy that would let strangers act as the tenant's own clients, or grow without bound, is refused.
    let grants = json!(["authorization_code", "refresh_token"]);
    for (policy, why) in [
        (json!({"grant_types": grants, "max_clients": 10}), "scopes"),
        (
            json!({"grant_types": grants, "scopes": ["mcp:tools"]}),
            "max_clients",
        ),
        (
            json!({"scopes": ["mcp:tools"], "max_clients": 10}),
            "grant_types",
        ),
        (
            json!({"scopes": ["mcp:tools"], "max_clients": 10, "grant_types": ["client_credentials"]}),
            "client_credentials",
        ),
    ] {
        let answer = app
            .api(Method::PUT, &path, &tenant.admin_token, Some(policy))
            .await;
        let body = json_with_status(answer, 400).await;
        assert!(
            body["message"].as_str().unwrap().contains(why),
            "{why}: {body}"
        );
    }
    let own_scope = json!({"grant_types": grants, "scopes": ["keygate:admin"], "max_clients": 10});
    let answer = app
        .api(Method::PUT, &path, &tenant.admin_token, Some(own_scope))
        .await;
    assert_eq!(
        json_with_status(answer, 422).await["error"],
        "invalid_registration_token"
    );

    let policy = json!({"scopes": ["mcp:tools"], "max_clients": 2, "auth_methods": ["none"],
                        "grant_types": ["authorization_code", "refresh_token"], "redirect_uri_forms": ["loopback"]});
    let opened = app
        .api(
            Method::PUT,
            &path,
            &tenant.admin_token,
            Some(policy.clone()),
        )
        .await;
    assert_eq!(json_with_status(opened, 200).await["policy"], policy);

    // An agent registers from a browser page: CORS answers any origin, preflight included.
    let preflight = app
        .http
        .request(Method::OPTIONS, app.url("/oauth/register"))
        .header("origin", "https://agent.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let registered = register_openly(&app, "/oauth/register?tenant=acme", agent("claude")).await;
    assert_eq!(registered.headers()["access-control-allow-origin"], "*");
    let registered = json_with_status(registered, 201).await;
    let client_id = registered["client_id"].as_str().unwrap();
    assert!(registered["registration_access_token"].is_string());
    let client = app
        .api_get(&format!("/v1/clients/{client_id}"), &tenant.admin_token)
        .await;
    assert_eq!(client["tenant_id"], tenant.id.as_str());
    assert_eq!(client["owner"], json!({"type": "tenant", "id": tenant.id}));
    assert_eq!(client["public"], true);

    // The policy holds: another scope, a confidential client, an https redirect are refused.
    let mut wider = agent("greedy");
    wider["scope"] = json!("mcp:tools admin:all");
    refused(
        register_openly(&app, "/oauth/register?tenant=acme", wider).await,
        "invalid_client_metadata",
    )
    .await;
    let mut secret = agent("secretive");
    secret["token_endpoint_auth_method"] = json!("client_secret_basic");
    refused(
        register_openly(&app, "/oauth/register?tenant=acme", secret).await,
        "invalid_client_metadata",
    )
    .await;
    let mut remote = agent("remote");
    remote["redirect_uris"] = json!(["https://agent.example/callback"]);
    refused(
        register_openly(&app, "/oauth/register?tenant=acme", remote).await,
        "invalid_redirect_uri",
    )
    .await;

    // max_clients bounds what strangers can make; deleting one makes room again.
    json_with_status(
        register_openly(&app, "/oauth/register?tenant=acme", agent("second")).await,
        201,
    )
    .await;
    let full = refused(
        register_openly(&app, "/oauth/register?tenant=acme", agent("third")).await,
        "invalid_client_metadata",
    )
    .await;
    assert!(full.contains("all the clients"), "{full}");

    // The audit says how the client came; turning registration off stops it, and the clients stay.
    let audit = app
        .api_get(
            &format!("/v1/audit?target={client_id}"),
            &tenant.admin_token,
        )
        .await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "client.created" && e["actor"] == "open_registration"),
        "{audit}"
    );
    let closed = app
        .api(Method::DELETE, &path, &tenant.admin_token, None)
        .await;
    assert_eq!(closed.status(), 204);
    invalid_token(register_openly(&app, "/oauth/register?tenant=acme", agent("late")).await).await;
    app.api_get(&format!("/v1/clients/{client_id}"), &tenant.admin_token)
        .await;
}

#[actix_web::test]
async fn agents_that_name_no_tenant_register_in_the_configured_one_within_the_address_limit() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.registration_tenant = Some("acme".into());
        config.open_registration_per_address_per_hour = 2;
    })
    .await;
    let tenant = app.tenant("acme").await;
    let other = app.tenant("globex").await;
    let policy = json!({"scopes": ["mcp:tools"], "max_clients": 10, "grant_types": ["authorization_code", "refresh_token"]});
    for t in [&tenant, &other] {
        t.open_registration(&app, policy.clone()).await;
    }
    // Another tenant's administrator cannot open or read this tenant's registration.
    let foreign = app
        .api(
            Method::PUT,
            &format!("/v1/tenants/{}/open-registration", tenant.id),
            &other.admin_token,
            Some(policy),
        )
        .await;
    assert_eq!(foreign.status(), 404);

    let registered = json_with_status(
        register_openly(&app, "/oauth/register", agent("mcp inspector")).await,
        201,
    )
    .await;
    let client_id = registered["client_id"].as_str().unwrap();
    let client = app
        .api_get(&format!("/v1/clients/{client_id}"), &tenant.admin_token)
        .await;
    assert_eq!(
        client["tenant_id"],
        tenant.id.as_str(),
        "the configured tenant"
    );
    json_with_status(
        register_openly(&app, "/oauth/register?tenant=globex", agent("elsewhere")).await,
        201,
    )
    .await;

    // Two an hour from one address, then 429 with Retry-After; registrations with a token are not counted.
    let over = register_openly(&app, "/oauth/register", agent("third")).await;
    assert_eq!(over.status(), 429);
    assert!(over.headers().contains_key("retry-after"));
    let made =
        registration_token(&app, &tenant, json!({"policy": {"scopes": ["mcp:tools"]}})).await;
    let with_token = register(&app, made["token"].as_str().unwrap(), agent("with a token")).await;
    json_with_status(with_token, 201).await;
}

#[actix_web::test]
async fn the_cli_mints_lists_and_deletes_initial_access_tokens_and_opens_registration() {
    let app = spawn_app().await;
    let tenant = app.tenant("acme").await;
    let made = app.cli_json(&[
        "registration-token",
        "create",
        "--tenant",
        &tenant.id,
        "--max-uses",
        "1",
    ]);
    let token = made["token"].as_str().unwrap();
    json_with_status(register(&app, token, agent("from the cli")).await, 201).await;
    let listed = app.cli_json(&["registration-token", "list", "--tenant", &tenant.id]);
    assert_eq!(listed[0]["uses"], 1);
    assert!(listed[0].get("token").is_none(), "never shown again");
    let id = made["id"].as_str().unwrap();
    app.cli_json(&["registration-token", "delete", "--tenant", &tenant.id, id]);
    invalid_token(register(&app, token, agent("after delete")).await).await;

    let policy = tempfile::NamedTempFile::new().unwrap();
    let body =
        json!({"grant_types": ["authorization_code"], "scopes": ["mcp:tools"], "max_clients": 3});
    std::fs::write(policy.path(), body.to_string()).unwrap();
    let path = policy.path().to_str().unwrap();
    let on = app.cli_json(&[
        "open-registration",
        "on",
        "--tenant",
        &tenant.id,
        "--file",
        path,
    ]);
    assert_eq!(on["policy"]["max_clients"], 3);
    let mut code_only = agent("code only");
    code_only["grant_types"] = json!(["authorization_code"]);
    json_with_status(
        register_openly(&app, "/oauth/register?tenant=acme", code_only).await,
        201,
    )
    .await;
    let off = app.cli_json(&["open-registration", "off", "--tenant", &tenant.id]);
    assert_eq!(off["policy"], Value::Null);
    let shown = app.cli_json(&["open-registration", "show", "--tenant", &tenant.id]);
    assert_eq!(shown["policy"], Value::Null);
}

#[actix_web::test]
async fn registrations_racing_for_the_last_places_never_exceed_max_clients() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.open_registration_per_address_per_hour = 0;
    })
    .await;
    let tenant = app.tenant("acme").await;
    let open = json!({"scopes": ["mcp:tools"], "max_clients": 3,
                      "grant_types": ["authorization_code", "refresh_token"]});
    tenant.open_registration(&app, open).await;
    let made = registration_token(
        &app,
        &tenant,
        json!({"policy": {"scopes": ["mcp:tools"], "max_clients": 3}}),
    )
    .await;
    let token = made["token"].as_str().unwrap();

    // Twelve at once through each door: each lets exactly three in.
    let openly = futures_util::future::join_all((0..12).map(|i| {
        register_openly(
            &app,
            "/oauth/register?tenant=acme",
            agent(&format!("open {i}")),
        )
    }));
    let with_token = futures_util::future::join_all(
        (0..12).map(|i| register(&app, token, agent(&format!("token {i}")))),
    );
    let (openly, with_token) = futures_util::future::join(openly, with_token).await;
    for answers in [openly, with_token] {
        let statuses: Vec<u16> = answers.iter().map(|a| a.status().as_u16()).collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            3,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| matches!(s, 201 | 400 | 401)),
            "{statuses:?}"
        );
    }
}
