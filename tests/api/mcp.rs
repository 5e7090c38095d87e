//! The official MCP TypeScript SDK (`@modelcontextprotocol/sdk`) authorizing an agent against the document
//! repository example with nothing but what the resource and keygate publish (`tests/node/mcp.mjs`).

use serde_json::json;

use crate::helpers::{run_node, spawn_app_with};

#[actix_web::test]
async fn an_mcp_client_discovers_keygate_registers_signs_in_and_reads_a_document() {
    let app = spawn_app_with(|config| config.registration_tenant = Some("acme".into())).await;
    let tenant = app.tenant("acme").await;
    let (documents, _, _) = crate::document_repository::world_in(&app, &tenant).await;
    let alice = tenant.user(&app, "alice").await;
    tenant
        .grant(&app, &alice.id, "Reader", "/documents/*")
        .await;
    let policy = json!({"grant_types": ["authorization_code", "refresh_token"],
                        "scopes": ["documents:read", "documents:write"], "max_clients": 10});
    tenant.open_registration(&app, policy).await;

    let welcome = format!("{documents}/documents/welcome");
    let run = run_node("mcp.mjs", &[&welcome, "alice", crate::fixtures::PASSWORD]);
    assert_eq!(run["first_status"], 401, "{run}");
    assert_eq!(run["registered_auth_method"], "none", "{run}");
    let requested = &run["authorization_url"];
    assert_eq!(requested["code_challenge_method"], "S256", "{run}");
    assert_eq!(requested["resource"], documents.as_str(), "{run}");
    assert_eq!(
        requested["scope"], "documents:read documents:write",
        "{run}"
    );
    assert_eq!(run["status"], 200, "{run}");
    assert_eq!(
        run["document"]["text"], "Hello from the document repository.",
        "{run}"
    );
    assert_eq!(run["refreshed"], true, "{run}");

    // The token names the registered agent and Alice, for the resource it was asked for (its `aud`).
    let (_, claims) = crate::helpers::verify_with_jwks(
        run["access_token"].as_str().unwrap(),
        &app.jwks().await,
        &app.address,
        &documents,
    );
    assert_eq!(claims["client_id"], run["client_id"]);
    assert_eq!(claims["sub"], alice.id.as_str());
    let client = app
        .api_get(
            &format!("/v1/clients/{}", run["client_id"].as_str().unwrap()),
            &tenant.admin_token,
        )
        .await;
    assert_eq!(client["tenant_id"], tenant.id.as_str());
}
