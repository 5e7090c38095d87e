//! `keygate serve` as an operator runs it: the real binary, in an empty directory, configured by file and variables.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use keygate::db::Db;

use crate::helpers::{basic, spawn_app};

/// A `keygate serve` process, killed when dropped.
struct Served {
    child: Child,
    address: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary in `dir` on a random port and waits for its "listening" log line.
fn serve_in(dir: &Path, envs: &[(&str, &str)]) -> Served {
    serve_logging_to(dir, envs, true)
}

/// As `serve_in`; with `drain` false the log pipe is closed once the server listens.
fn serve_logging_to(dir: &Path, envs: &[(&str, &str)], drain: bool) -> Served {
    keygate::crypto::install_tls_provider();
    let mut child = Command::new(env!("CARGO_BIN_EXE_keygate"))
        .arg("serve")
        .current_dir(dir)
        .env_clear()
        .env("KEYGATE_BIND", "127.0.0.1:0")
        .env("KEYGATE_LOG_FORMAT", "json")
        .envs(envs.iter().copied())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keygate serve starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap_or_default();
        if line["fields"]["message"] == "keygate listening" {
            let address = format!("http://{}", line["fields"]["address"].as_str().unwrap());
            if drain {
                std::thread::spawn(move || lines.for_each(drop));
            }
            return Served { child, address };
        }
    }
    let status = child.wait();
    panic!("keygate serve exited before listening: {status:?}");
}

fn cli_in(dir: &Path, args: &[&str]) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_keygate"))
        .args(args)
        .arg("--json")
        .current_dir(dir)
        .env_clear()
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[actix_web::test]
async fn serve_with_no_configuration_creates_its_database_and_master_key_in_the_working_directory()
{
    let dir = tempfile::tempdir().unwrap();
    let served = serve_in(dir.path(), &[]);
    let health = reqwest::get(format!("{}/healthz", served.address))
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert!(dir.path().join("keygate.db").exists());
    let mode = std::fs::metadata(dir.path().join("keygate.master.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let admin = cli_in(dir.path(), &["init"]);
    // The database holds hashes and sealed keys: owner-only, like the master key, its WAL files too.
    for name in ["keygate.db", "keygate.db-wal", "keygate.db-shm"] {
        let mode = std::fs::metadata(dir.path().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
    let authorization = basic(
        admin["client_id"].as_str().unwrap(),
        admin["client_secret"].as_str().unwrap(),
    );
    let token = reqwest::Client::new()
        .post(format!("{}/oauth/token", served.address))
        .header("authorization", authorization)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status().as_u16(), 200);
}

#[actix_web::test]
async fn the_server_keeps_serving_when_its_log_pipe_closes() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve_logging_to(dir.path(), &[], false);
    let http = reqwest::Client::new();
    for _ in 0..3 {
        // A failed authentication logs a line into the closed pipe.
        let refused = http
            .post(format!("{}/oauth/token", served.address))
            .header("authorization", basic("sc_x", "wrong"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status().as_u16(), 401);
    }
    let health = http
        .get(format!("{}/healthz", served.address))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
}

#[actix_web::test]
async fn a_toml_file_configures_the_server_and_variables_override_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("keygate.toml");
    std::fs::write(
        &config,
        "ttl_client_credentials = 600\njwks_max_age = 60\nissuer = \"https://file.example\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let served = serve_in(
        dir.path(),
        &[
            ("KEYGATE_CONFIG", config),
            ("KEYGATE_ISSUER", "https://auth.example"),
        ],
    );
    let metadata: serde_json::Value = reqwest::get(format!(
        "{}/.well-known/oauth-authorization-server",
        served.address
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(metadata["issuer"], "https://auth.example");
    let jwks = reqwest::get(format!("{}/.well-known/jwks.json", served.address))
        .await
        .unwrap();
    assert_eq!(jwks.headers()["cache-control"], "public, max-age=60");

    let client = cli_in(
        dir.path(),
        &[
            "client",
            "create",
            "--name",
            "svc",
            "--with-key",
            "--config",
            config,
        ],
    );
    let token: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/oauth/token", served.address))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client["id"].as_str().unwrap()),
            (
                "client_secret",
                client["key"]["client_secret"].as_str().unwrap(),
            ),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(token["expires_in"], 600);
}

#[actix_web::test]
async fn unknown_database_schemes_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_keygate"))
        .args(["migrate"])
        .current_dir(dir.path())
        .env_clear()
        .env("KEYGATE_DATABASE_URL", "mysql://localhost/keygate")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unsupported database URL"));
}

#[actix_web::test]
async fn both_migration_sets_give_the_columns_the_code_expects() {
    use diesel::prelude::*;
    use keygate::db::{access_keys::AccessKeyRow, schema, service_clients::ServiceClientRow};
    use keygate::db::{signing_keys::SigningKeyRow, tenants::TenantRow};

    let app = spawn_app().await;
    app.create_client(&["--tenant", &app.create_tenant("acme", &[])]);
    // Selecting every column of every table by name fails if a migration and schema.rs disagree.
    let db = Db::connect(
        &app.config.database_url,
        1,
        std::time::Duration::from_secs(5),
    )
    .unwrap();
    let mut conn = db.conn().unwrap();
    assert_eq!(
        schema::tenants::table
            .select(TenantRow::as_select())
            .load(&mut **conn)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        schema::service_clients::table
            .select(ServiceClientRow::as_select())
            .load(&mut **conn)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        schema::access_keys::table
            .select(AccessKeyRow::as_select())
            .load(&mut **conn)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        schema::signing_keys::table
            .select(SigningKeyRow::as_select())
            .load(&mut **conn)
            .unwrap()
            .len(),
        1
    );
}

/// Sends SIGTERM, as a process manager stopping the service does.
fn terminate(served: &Served) {
    let status = Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits up to `limit` for the process to exit; its status and how long that took.
fn wait_for_exit(
    served: &mut Served,
    limit: std::time::Duration,
) -> (std::process::ExitStatus, std::time::Duration) {
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = served.child.try_wait().unwrap() {
            return (status, started.elapsed());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("keygate did not exit within {limit:?}");
}

/// The body of the slow request; `start_slow_request` sends its first `SENT_FIRST` bytes.
const SLOW_BODY: &str = "grant_type=client_credentials";
const SENT_FIRST: usize = 10;

/// Opens a connection and sends a token request's head and the first part of its body, leaving it in flight.
fn start_slow_request(address: &str) -> std::net::TcpStream {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(address.trim_start_matches("http://")).unwrap();
    let body = SLOW_BODY;
    write!(
        stream,
        "POST /oauth/token HTTP/1.1\r\nHost: keygate\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..SENT_FIRST]
    )
    .unwrap();
    stream.flush().unwrap();
    stream
}

#[test]
fn sigterm_lets_requests_in_flight_finish_and_refuses_new_connections() {
    let dir = tempfile::tempdir().unwrap();
    let mut served = serve_in(dir.path(), &[("KEYGATE_SHUTDOWN_GRACE_SECONDS", "10")]);
    let mut in_flight = start_slow_request(&served.address);
    std::thread::sleep(std::time::Duration::from_millis(200));

    terminate(&served);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let address = served.address.trim_start_matches("http://").to_string();
    assert!(
        std::net::TcpStream::connect(&address).is_err(),
        "a stopping server accepts no new connections"
    );

    // The request started before the signal is answered in full.
    use std::io::{Read, Write};
    in_flight
        .write_all(&SLOW_BODY.as_bytes()[SENT_FIRST..])
        .unwrap();
    let mut response = String::new();
    in_flight
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let _ = in_flight.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    assert!(response.contains("invalid_client"), "{response}");

    let (status, _) = wait_for_exit(&mut served, std::time::Duration::from_secs(5));
    assert!(status.success(), "{status:?}");
}

#[test]
fn sigterm_stops_within_the_grace_period_even_if_a_client_never_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let mut served = serve_in(
        dir.path(),
        &[
            ("KEYGATE_SHUTDOWN_GRACE_SECONDS", "1"),
            ("KEYGATE_REQUEST_TIMEOUT_SECONDS", "60"),
        ],
    );
    let _stuck = start_slow_request(&served.address);
    std::thread::sleep(std::time::Duration::from_millis(200));
    terminate(&served);
    let (_, took) = wait_for_exit(&mut served, std::time::Duration::from_secs(5));
    assert!(
        took < std::time::Duration::from_secs(3),
        "stopped after {took:?} with a 1 s grace period"
    );
}
