//! Secrets stay secret: after a run that makes and uses every kind of credential — secret and private access keys,
//! a user's password, refresh tokens, a wrong secret — none of them appears in the logs (at `debug`) or anywhere in
//! the database in the clear, and the signing keys in the database are sealed with the master key.

use std::process::Command;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use diesel::{QueryableByName, RunQueryDsl};
use keygate::crypto::master_key::MasterKey;
use serde_json::json;

use crate::fixtures::PASSWORD;
use crate::helpers::{spawn_app, TestApp, TestClient};

#[derive(QueryableByName)]
struct SealedKey {
    #[diesel(sql_type = diesel::sql_types::Text)]
    kid: String,
    #[diesel(sql_type = diesel::sql_types::Binary)]
    private_key: Vec<u8>,
}

#[actix_web::test]
async fn no_secret_is_logged_or_stored_in_the_clear() {
    let mut app = spawn_app().await;
    // The real binary on the same database, logging at debug into a file.
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("keygate.log");
    let (mut server, address) = app.serve_binary(&log_path, "debug").await;
    app.address = address;
    let (client_id, secrets) = make_and_use_every_kind_of_credential(&app).await;

    // A graceful stop writes what the background writers (audit, last use) still hold.
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();

    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains("client authentication failed"),
        "the log was written at debug"
    );
    let stored = database_contents(&app.config.database_url);
    for secret in &secrets {
        // The secret itself, and the random part a key carries (in case only a prefix were cut off).
        let tail = &secret[secret.len().saturating_sub(24)..];
        for (place, text) in [("the log", &log), ("the database", &stored)] {
            assert!(!text.contains(secret.as_str()), "a secret is in {place}");
            assert!(!text.contains(tail), "part of a secret is in {place}");
        }
        let basic_header = STANDARD.encode(format!("{}:{secret}", client_id));
        assert!(!log.contains(&basic_header), "a Basic header is in the log");
    }
}

#[actix_web::test]
async fn signing_keys_are_sealed_with_the_master_key_and_bound_to_their_kid() {
    let app = spawn_app().await;
    let master_key = app.master_key().to_string();
    let stored = database_contents(&app.config.database_url);
    let mut conn = keygate::db::Db::connect(
        &app.config.database_url,
        1,
        std::time::Duration::from_secs(5),
    )
    .unwrap()
    .conn()
    .unwrap();
    let sealed: Vec<SealedKey> = diesel::sql_query("SELECT kid, private_key FROM signing_keys")
        .load(&mut **conn)
        .unwrap();
    assert!(!sealed.is_empty());
    let master = MasterKey::decode(&master_key).unwrap();
    for key in sealed {
        let plain = master.open(key.kid.as_bytes(), &key.private_key).unwrap();
        assert!(master.open(b"another kid", &key.private_key).is_err());
        assert!(
            !stored.contains(&hex(&plain)) && !stored.contains(&STANDARD.encode(plain.as_slice()))
        );
        assert!(!contains_bytes(
            &raw_database(&app.config.database_url),
            &plain
        ));
    }
}

/// Makes and uses every kind of credential — client secrets, a user's password, refresh tokens, a private key
/// (and its bytes), a wrong secret — and returns the client's id and every secret that must not leak.
async fn make_and_use_every_kind_of_credential(app: &TestApp) -> (String, Vec<String>) {
    let tenant = app.tenant("acme").await;
    let grants = ["client_credentials", "password", "refresh_token"];
    let client = tenant.client(app, &grants.map(|g| ["--grant-type", g]).concat());
    tenant.user(app, "alice").await;
    let signed_in = app.sign_in(&client, "alice").await;
    let first_refresh = signed_in.refresh_token.expect("a refresh token");
    let refreshed = app.refresh(&client, &first_refresh).await;
    let mut secrets = vec![
        app.admin().secret.clone(),
        tenant.admin.secret.clone(),
        client.secret.clone(),
        PASSWORD.to_string(),
        first_refresh,
        refreshed.refresh_token.expect("a rotated refresh token"),
    ];

    let private = app
        .api_post(
            &format!("/v1/clients/{}/keys", client.id),
            &tenant.admin_token,
            json!({"kind": "private_key", "alg": "ES256"}),
        )
        .await;
    let private_key = private["key"].as_str().unwrap().to_string();
    let assertion_token = app
        .cli()
        .env("KEYGATE_ACCESS_KEY", &private_key)
        .env("KEYGATE_ISSUER", &app.address)
        .args(["token"])
        .output()
        .unwrap();
    assert!(assertion_token.status.success(), "{assertion_token:?}");
    // The private key's secret part, as it would appear if a JWK or its bytes were stored.
    let bundle = keygate_sdk::private_key::PrivateKeyBundle::parse(&private_key).unwrap();
    secrets.push(URL_SAFE_NO_PAD.encode(bundle.to_pkcs8().unwrap().as_slice()));
    secrets.push(private_key);

    // A wrong secret (another valid-looking key) is refused and audited, and not logged either.
    let wrong = keygate::domain::secret_key::SecretKey::generate()
        .expose()
        .to_string();
    let refused = app
        .token_basic(
            &TestClient {
                secret: wrong.clone(),
                ..client.clone()
            },
            "",
        )
        .await;
    assert_eq!(refused.status().as_u16(), 401);
    secrets.push(wrong);
    (client.id, secrets)
}

/// Everything the database holds, as text: the SQLite file (and its write-ahead log) read byte by byte, or a
/// `pg_dump` of this test's schema; bytes are also written as hex so that binary columns are searched too.
fn database_contents(url: &str) -> String {
    let raw = raw_database(url);
    format!("{}\n{}", String::from_utf8_lossy(&raw), hex(&raw))
}

fn raw_database(url: &str) -> Vec<u8> {
    if url.starts_with("postgres") {
        let output = Command::new("pg_dump")
            .args(["--data-only", "--inserts", url.split('?').next().unwrap()])
            .arg(format!("--schema={}", schema_of(url)))
            .output()
            .expect("pg_dump runs");
        assert!(output.status.success(), "{output:?}");
        return output.stdout;
    }
    let mut bytes = std::fs::read(url).unwrap();
    if let Ok(wal) = std::fs::read(format!("{url}-wal")) {
        bytes.extend(wal);
    }
    bytes
}

fn schema_of(url: &str) -> String {
    url.split("search_path%3D").nth(1).unwrap().to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
