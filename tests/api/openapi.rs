//! `/openapi.json` describes the whole `/v1` API and the OAuth endpoints, passes an OpenAPI 3 validator, and holds
//! up under the schemathesis API fuzzer.

use crate::helpers::{json_with_status, python, run_python, spawn_app};

const VALIDATE: &str = r#"
import json, sys, urllib.request
from openapi_spec_validator import validate
spec = json.load(urllib.request.urlopen(sys.argv[1]))
validate(spec)
print(spec["openapi"])
"#;

#[actix_web::test]
async fn the_openapi_document_is_valid_and_lists_every_v1_route() {
    let app = spawn_app().await;
    let version = run_python(VALIDATE, &[&app.url("/openapi.json")]);
    assert!(version.starts_with("3."), "{version}");

    let spec = json_with_status(app.get("/openapi.json").await, 200).await;
    let routes = [
        ("/v1/tenants", ["get", "post"].as_slice()),
        ("/v1/tenants/{id}", &["get", "patch", "delete"]),
        ("/v1/clients", &["get", "post"]),
        ("/v1/clients/{id}", &["get", "patch", "delete"]),
        ("/v1/clients/{id}/keys", &["get", "post"]),
        ("/v1/clients/{id}/keys/{key_id}", &["delete"]),
        ("/v1/verify", &["post"]),
        ("/v1/audit", &["get"]),
        ("/v1/signing-keys", &["get"]),
        ("/v1/signing-keys/rotate", &["post"]),
        ("/v1/tenants/{id}/users", &["get", "post"]),
        (
            "/v1/tenants/{id}/users/{user_id}",
            &["get", "patch", "delete"],
        ),
        ("/v1/roles", &["get", "post"]),
        ("/v1/roles/{id}", &["get", "patch", "delete"]),
        ("/v1/records", &["get", "post"]),
        ("/v1/records/{id}", &["get", "put", "delete"]),
        ("/v1/authorize", &["post"]),
        ("/v1/authorize/resources", &["post"]),
        ("/oauth/token", &["post"]),
        ("/oauth/introspect", &["post"]),
        ("/oauth/revoke", &["post"]),
    ];
    for (path, methods) in routes {
        for method in methods {
            assert!(
                spec["paths"][path][method].is_object(),
                "{method} {path} is not documented"
            );
        }
    }
    assert!(spec["components"]["schemas"]["CreateClient"].is_object());
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
}

#[actix_web::test]
async fn signing_keys_are_listed_and_rotated_through_the_api_at_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let before = app.api_get("/v1/signing-keys", &admin).await["items"].take();
    assert_eq!(before.as_array().unwrap().len(), 1);
    assert!(!before.to_string().contains("private"), "no private part");
    let rotated = json_with_status(
        app.api(
            reqwest::Method::POST,
            "/v1/signing-keys/rotate",
            &admin,
            Some(serde_json::json!({"alg": "EdDSA", "immediate": true})),
        )
        .await,
        200,
    )
    .await;
    // The rotating node signs with the new key at once.
    let client = app.create_client(&[]);
    let token = app.token_for(&client).await;
    assert_eq!(
        jsonwebtoken::decode_header(&token).unwrap().kid.as_deref(),
        rotated["kid"].as_str()
    );
    let after = app.api_get("/v1/signing-keys", &admin).await["items"].take();
    let active: Vec<bool> = after
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["active"].as_bool().unwrap())
        .collect();
    assert_eq!(active, [true, false]);
}

/// schemathesis generates requests from `/openapi.json` — valid ones, boundary cases, schema-violating ones, and
/// stateful sequences that create, use and delete objects — against `/v1` and the OAuth endpoints with an admin
/// token. No answer may be a 5xx, or break the documented schema, content type or headers; a deleted object must
/// stay gone and a created one be there. (A fixed seed keeps CI repeatable; `KEYGATE_FUZZ_SEED` and
/// `KEYGATE_FUZZ_EXAMPLES` explore further.)
#[actix_web::test]
async fn the_schema_fuzzer_finds_no_server_error_and_no_answer_outside_the_schema() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let st = python().with_file_name("st");
    let seed = std::env::var("KEYGATE_FUZZ_SEED").unwrap_or_else(|_| "20261123".into());
    let examples = std::env::var("KEYGATE_FUZZ_EXAMPLES").unwrap_or_else(|_| "25".into());
    let report = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("schemathesis");
    let output = std::process::Command::new(st)
        .arg("run")
        .arg(app.url("/openapi.json"))
        .args(["--header", &format!("Authorization: Bearer {admin}")])
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance,content_type_conformance,\
             response_headers_conformance,use_after_free,ensure_resource_availability",
        ])
        .args([
            "--max-examples",
            &examples,
            "--seed",
            &seed,
            "--workers",
            "1",
        ])
        .arg("--report-dir")
        .arg(&report)
        .args(["--report", "junit"])
        .env("NO_COLOR", "1")
        .output()
        .expect("schemathesis runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{text}"
    );
    assert!(
        text.contains("41/41"),
        "every operation was tested:\n{text}"
    );
}
