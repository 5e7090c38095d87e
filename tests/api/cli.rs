//! The CLI, run as the real binary against the test app's database.

use crate::helpers::spawn_app;

#[actix_web::test]
async fn init_prints_the_admin_credentials_once_and_refuses_a_second_time() {
    let app = spawn_app().await;
    let admin = app.init_admin();
    assert!(admin.secret.starts_with("kg_sk_"));
    let second = app.cli().args(["init", "--json"]).output().unwrap();
    assert!(!second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("already initialised"));
}

#[actix_web::test]
async fn keys_are_listed_without_secrets_and_revocation_is_shown() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    app.cli_json(&["key", "revoke", "--client", &client.id, &client.key_id]);
    let keys = app.cli_json(&["key", "list", "--client", &client.id]);
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys[0]["revoked_at"].is_i64());
    assert!(!keys.iter().any(|k| k.to_string().contains(&client.secret)));
}

#[actix_web::test]
async fn a_client_has_at_most_five_active_keys() {
    let app = spawn_app().await;
    let client = app.create_client(&[]);
    for _ in 0..4 {
        app.cli_json(&["key", "create", "--client", &client.id]);
    }
    let sixth = app
        .cli()
        .args(["key", "create", "--client", &client.id, "--json"])
        .output()
        .unwrap();
    assert!(!sixth.status.success());
    app.cli_json(&["key", "revoke", "--client", &client.id, &client.key_id]);
    app.cli_json(&["key", "create", "--client", &client.id]);
}

#[actix_web::test]
async fn tenants_have_unique_slugs_and_clients_list_by_tenant() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme", &[]);
    let duplicate = app
        .cli()
        .args(["tenant", "create", "--name", "Other", "--slug", "acme"])
        .output()
        .unwrap();
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("already exists"));

    let inside = app.create_client(&["--tenant", &tenant]);
    app.create_client(&[]);
    let listed = app.cli_json(&["client", "list", "--tenant", &tenant]);
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [inside.id.as_str()]);
    assert_eq!(
        app.cli_json(&["tenant", "list"]).as_array().unwrap().len(),
        1
    );
}

#[actix_web::test]
async fn a_tenant_client_cannot_be_given_keygate_admin() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("acme", &[]);
    let output = app
        .cli()
        .args([
            "client",
            "create",
            "--name",
            "x",
            "--tenant",
            &tenant,
            "--scope",
            "keygate:admin",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("keygate:admin"));
}

#[actix_web::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
    assert_eq!(app.get("/readyz").await.status().as_u16(), 200);
}
