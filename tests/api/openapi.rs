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
    // Every route the server registers (one table registers and lists them), and the OAuth endpoints.
    let oauth = [
        ("post", "/oauth/token"),
        ("post", "/oauth/introspect"),
        ("post", "/oauth/revoke"),
        ("get", "/oauth/userinfo"),
        ("post", "/oauth/userinfo"),
        ("post", "/oauth/register"),
        ("get", "/oauth/register/{client_id}"),
        ("put", "/oauth/register/{client_id}"),
        ("delete", "/oauth/register/{client_id}"),
    ];
    for (method, path) in keygate::api::ROUTES.iter().chain(&oauth) {
        assert!(
            spec["paths"][path][method].is_object(),
            "{method} {path} is registered but not documented"
        );
    }
    let documented: usize = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|operations| operations.as_object().unwrap().len())
        .sum();
    assert_eq!(
        documented,
        keygate::api::ROUTES.len() + oauth.len(),
        "nothing is documented that is not served"
    );
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
    // Listed by kid (one page order for every list): the new key active, the old one published but retired.
    let active: std::collections::HashMap<&str, bool> = after
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kid"].as_str().unwrap(), k["active"].as_bool().unwrap()))
        .collect();
    assert_eq!(active.len(), 2);
    assert!(active[rotated["kid"].as_str().unwrap()]);
}

/// A generated client knows only the document: every request schemathesis builds from it in positive mode (valid
/// by the schema) must be accepted — 2xx, or 401/403/404/409 for credentials, absent objects and conflicts — except
/// the refusals the document cannot express (rules across fields, references, the clock), listed with their error
/// codes in `tests/schemathesis/keygate_hooks.py`. The OAuth form endpoints are left to the fuzzer below: which of
/// their parameters go together is the RFCs' prose, not a schema.
#[actix_web::test]
async fn every_request_built_from_the_document_alone_is_accepted() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let st = python().with_file_name("st");
    let hooks = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis");
    let output = std::process::Command::new(st)
        .arg("run")
        .arg(app.url("/openapi.json"))
        .args(["--header", &format!("Authorization: Bearer {admin}")])
        .args(["--mode", "positive", "--phases", "examples,fuzzing"])
        .args(["--checks", "documented_refusals_only,not_a_server_error"])
        .args(["--exclude-path-regex", "^/oauth/"])
        .args([
            "--max-examples",
            "25",
            "--seed",
            "20261202",
            "--workers",
            "1",
        ])
        .env("SCHEMATHESIS_HOOKS", "keygate_hooks")
        .env("PYTHONPATH", hooks)
        .env("KEYGATE_ADMIN_CLIENT_ID", &app.admin().id)
        .env("NO_COLOR", "1")
        // schemathesis keeps a cache of what it found in its working directory: under target/, not the repository.
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .output()
        .expect("schemathesis runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "requests valid by the document were refused:\n{text}"
    );
    assert!(
        text.contains(&format!("Tested: {}", keygate::api::ROUTES.len())),
        "every /v1 operation was tested:\n{text}"
    );
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
        // schemathesis keeps a cache of what it found in its working directory: under target/, not the repository.
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .output()
        .expect("schemathesis runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{text}"
    );
    let operations = json_with_status(app.get("/openapi.json").await, 200).await["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|operations| operations.as_object().unwrap().len())
        .sum::<usize>();
    assert!(
        text.contains(&format!("{operations}/{operations}")),
        "every operation was tested:\n{text}"
    );
}
