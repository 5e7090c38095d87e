//! `spawn_app`: the real keygate `Application` on a random port with a fresh database of its own, and one helper
//! per endpoint or CLI command. `KEYGATE_TEST_DATABASE_URL=postgres://…` gives each test a schema of its own there;
//! unset, each test gets a temporary SQLite file.

use std::path::PathBuf;

use assert_cmd::Command;
use diesel::{Connection, PgConnection, RunQueryDsl};
use keygate::config::Config;
use keygate::crypto::master_key;
use keygate::domain::ids::random_base62;
use keygate::startup::Application;
use reqwest::header::AUTHORIZATION;
use serde_json::Value;

pub struct TestApp {
    pub address: String,
    pub config: Config,
    pub http: reqwest::Client,
    master_key: String,
    admin: std::sync::OnceLock<TestClient>,
    postgres_schema: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

/// A client made through the CLI, with its first secret key.
#[derive(Debug, Clone)]
pub struct TestClient {
    pub id: String,
    pub secret: String,
    pub key_id: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the server with the test defaults, adjusted by `customise`.
pub async fn spawn_app_with(customise: impl FnOnce(&mut Config)) -> TestApp {
    keygate::crypto::install_tls_provider();
    let dir = tempfile::tempdir().expect("temp dir");
    let (database_url, postgres_schema) = test_database(&dir.path().join("keygate.db"));
    let master_key = master_key::generate_encoded()
        .expect("master key")
        .to_string();
    let mut config = Config {
        bind: "127.0.0.1:0".into(),
        database_url,
        database_pool_size: 4,
        // The suite runs many servers at once on a small machine; the fault tests set their own short timeout.
        database_timeout_seconds: 10,
        master_key: Some(master_key.clone().into()),
        master_key_file: dir.path().join("unused.key"),
        credential_cache_seconds: 1,
        signing_key_refresh_seconds: 1,
        // Batched writes land within a tenth of a second: tests wait for them, never for the production tick.
        background_tick_ms: 100,
        workers: Some(1),
        ..Config::default()
    };
    customise(&mut config);
    let app = Application::build(config.clone())
        .await
        .expect("the application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let config = app.state.config.as_ref().clone();
    actix_web::rt::spawn(app.run_until_stopped());
    let test_app = TestApp {
        address,
        config,
        // Shorter than the server's keep-alive, so a pooled connection is never reused just as the server closes it.
        http: reqwest::Client::builder()
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .expect("a client"),
        master_key,
        admin: std::sync::OnceLock::new(),
        postgres_schema,
        _dir: dir,
    };
    // Polls the server future until it answers, so that even a test that next blocks its thread (running the CLI
    // or Python against the server) finds it serving.
    let health = test_app.get("/healthz").await;
    assert_eq!(health.status().as_u16(), 200);
    test_app
}

/// A fresh database: a new schema on the PostgreSQL server named by the environment, else an SQLite file.
fn test_database(sqlite_path: &std::path::Path) -> (String, Option<(String, String)>) {
    match std::env::var("KEYGATE_TEST_DATABASE_URL") {
        Ok(base) if base.starts_with("postgres") => {
            let schema = format!("test_{}", random_base62(16).to_lowercase());
            let mut conn =
                PgConnection::establish(&base).expect("KEYGATE_TEST_DATABASE_URL is reachable");
            diesel::sql_query(format!("CREATE SCHEMA {schema}"))
                .execute(&mut conn)
                .expect("create schema");
            let separator = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{separator}options=-csearch_path%3D{schema}");
            (url, Some((base, schema)))
        }
        _ => (sqlite_path.display().to_string(), None),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.postgres_schema {
            if let Ok(mut conn) = PgConnection::establish(base) {
                let _ = diesel::sql_query(format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .execute(&mut conn);
            }
        }
    }
}

impl TestApp {
    /// Another node on the same database, master key and issuer (nodes behind a load balancer); its address.
    pub async fn spawn_node(&self) -> String {
        let config = Config {
            bind: "127.0.0.1:0".into(),
            ..self.config.clone()
        };
        let node = Application::build(config)
            .await
            .expect("the second node starts");
        let address = format!("http://127.0.0.1:{}", node.port());
        actix_web::rt::spawn(node.run_until_stopped());
        let health = self.http.get(format!("{address}/healthz")).send().await;
        assert_eq!(health.expect("the node answers").status().as_u16(), 200);
        address
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The real `keygate` binary, pointed at this app's database and master key.
    pub fn cli(&self) -> Command {
        let mut command = Command::cargo_bin("keygate").expect("the keygate binary is built");
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("KEYGATE_DATABASE_URL", &self.config.database_url)
            .env("KEYGATE_MASTER_KEY", &self.master_key)
            .env("KEYGATE_ISSUER", &self.address)
            .env("KEYGATE_LOG", "warn");
        command
    }

    /// Runs a CLI command that must succeed with `--json`, and parses its output.
    pub fn cli_json(&self, args: &[&str]) -> Value {
        let output = self
            .cli()
            .args(args)
            .arg("--json")
            .output()
            .expect("keygate runs");
        assert!(
            output.status.success(),
            "keygate {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("--json prints JSON")
    }

    /// `keygate init`: the bootstrap admin client.
    pub fn init_admin(&self) -> TestClient {
        let out = self.cli_json(&["init"]);
        let secret = out["client_secret"].as_str().expect("secret").to_string();
        let key_id = keygate::domain::secret_key::SecretKey::parse(&secret)
            .expect("a secret key")
            .key_id()
            .to_string();
        TestClient {
            id: out["client_id"].as_str().expect("id").to_string(),
            secret,
            key_id,
        }
    }

    /// `keygate client create --with-key` with extra arguments.
    pub fn create_client(&self, extra: &[&str]) -> TestClient {
        let mut args = vec!["client", "create", "--name", "test client", "--with-key"];
        args.extend_from_slice(extra);
        let out = self.cli_json(&args);
        TestClient {
            id: out["id"].as_str().expect("id").to_string(),
            secret: out["key"]["client_secret"]
                .as_str()
                .expect("secret")
                .to_string(),
            key_id: out["key"]["id"].as_str().expect("key id").to_string(),
        }
    }

    /// `keygate tenant create`, returning the tenant id.
    pub fn create_tenant(&self, slug: &str, extra: &[&str]) -> String {
        let mut args = vec!["tenant", "create", "--name", "Test tenant", "--slug", slug];
        args.extend_from_slice(extra);
        self.cli_json(&args)["id"]
            .as_str()
            .expect("tenant id")
            .to_string()
    }

    /// `POST /oauth/token` with a raw form body and optional raw Authorization header.
    pub async fn post_token(&self, body: &str, authorization: Option<&str>) -> reqwest::Response {
        let mut request = self
            .http
            .post(self.url("/oauth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_string());
        if let Some(value) = authorization {
            request = request.header(AUTHORIZATION, value);
        }
        request.send().await.expect("the server answers")
    }

    /// A client_credentials request with HTTP Basic and extra form parameters.
    pub async fn token_basic(&self, client: &TestClient, extra: &str) -> reqwest::Response {
        self.post_token(
            &format!("grant_type=client_credentials{extra}"),
            Some(&basic(&client.id, &client.secret)),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn jwks(&self) -> Value {
        self.get("/.well-known/jwks.json")
            .await
            .json()
            .await
            .expect("JWKS is JSON")
    }
}

/// `secret` with its last character changed: a near miss that is always wrong (replacing it with a fixed letter
/// left the secret unchanged whenever it already ended in that letter, one run in 62).
pub fn wrong_secret(secret: &str) -> String {
    let (head, last) = secret.split_at(secret.len() - 1);
    format!("{head}{}", if last == "x" { "y" } else { "x" })
}

/// `Basic base64(id:secret)`.
pub fn basic(id: &str, secret: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

/// Verifies a JWT against a JWKS document the way a resource server would, returning header and claims.
pub fn verify_with_jwks(
    token: &str,
    jwks: &Value,
    issuer: &str,
    audience: &str,
) -> (jsonwebtoken::Header, Value) {
    use jsonwebtoken::{decode, decode_header, jwk::JwkSet, DecodingKey, Validation};
    let header = decode_header(token).expect("a JWT header");
    let set: JwkSet = serde_json::from_value(jwks.clone()).expect("a JWK set");
    let kid = header.kid.clone().expect("a kid");
    let jwk = set.find(&kid).expect("the kid is published");
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    let key = DecodingKey::from_jwk(jwk).expect("a usable JWK");
    let data = decode::<Value>(token, &key, &validation).expect("the token verifies");
    (header, data.claims)
}

/// The JSON body of a response, after asserting its status.
pub async fn json_with_status(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    response.json().await.expect("a JSON body")
}

impl TestApp {
    /// Runs SQL on this app's database directly, as an operator's mistake or a damaged disk would.
    pub fn sql(&self, statement: &str) {
        use diesel::connection::SimpleConnection;
        let db = self.database();
        let mut conn = db.conn().expect("a connection");
        conn.batch_execute(statement).expect("the statement runs");
    }

    /// This app's database, opened beside the server.
    pub fn database(&self) -> keygate::db::Db {
        let wait = std::time::Duration::from_secs(10);
        keygate::db::Db::connect(&self.config.database_url, 1, wait).expect("the test database")
    }

    /// Reads a count from this app's database directly (`SELECT COUNT(*) AS n …`), for what no endpoint shows.
    pub fn count(&self, query: &str) -> i64 {
        let db = self.database();
        let mut conn = db.conn().expect("a connection");
        count(&mut conn, query)
    }

    /// An access token of the bootstrap admin client (scope keygate:admin).
    pub async fn admin_token(&self) -> String {
        self.token_for(self.admin()).await
    }

    /// The real `keygate serve` binary on this app's database, master key and issuer (so tokens from either server
    /// are good at both), logging JSON at `log_filter` into `log`; the process and its address once it listens.
    pub async fn serve_binary(
        &self,
        log: &std::path::Path,
        log_filter: &str,
    ) -> (std::process::Child, String) {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_keygate"))
            .arg("serve")
            .env_clear()
            .env("KEYGATE_BIND", "127.0.0.1:0")
            .env("KEYGATE_DATABASE_URL", &self.config.database_url)
            .env("KEYGATE_MASTER_KEY", &self.master_key)
            .env("KEYGATE_ISSUER", self.config.issuer())
            .env("KEYGATE_LOG", log_filter)
            .env("KEYGATE_LOG_FORMAT", "json")
            .stderr(std::fs::File::create(log).expect("a log file"))
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("keygate serve starts");
        // Up to 30 s: a bound for a machine busy with the rest of the suite, not a pace.
        for _ in 0..300 {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let address = text.lines().find_map(|line| {
                let line: Value = serde_json::from_str(line).ok()?;
                (line["fields"]["message"] == "keygate listening")
                    .then(|| line["fields"]["address"].as_str().map(String::from))
                    .flatten()
            });
            if let Some(address) = address {
                return (child, format!("http://{address}"));
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "keygate serve did not start: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
    }

    /// The master key the server runs with (base64).
    pub fn master_key(&self) -> &str {
        &self.master_key
    }

    /// The bootstrap admin client, made on first use.
    pub fn admin(&self) -> &TestClient {
        self.admin.get_or_init(|| self.init_admin())
    }

    /// An access token for `client` (client_credentials with Basic).
    pub async fn token_for(&self, client: &TestClient) -> String {
        let body = json_with_status(self.token_basic(client, "").await, 200).await;
        body["access_token"]
            .as_str()
            .expect("an access token")
            .to_string()
    }

    /// A `/v1` request with `Authorization: Bearer <token>` (or any raw header value when it has a space).
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let authorization = if auth.contains(' ') {
            auth.to_string()
        } else {
            format!("Bearer {auth}")
        };
        let mut request = self
            .http
            .request(method, self.url(path))
            .header(AUTHORIZATION, authorization);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("the server answers")
    }

    pub async fn api_get(&self, path: &str, auth: &str) -> Value {
        json_with_status(self.api(reqwest::Method::GET, path, auth, None).await, 200).await
    }

    pub async fn api_post(&self, path: &str, auth: &str, body: Value) -> Value {
        json_with_status(
            self.api(reqwest::Method::POST, path, auth, Some(body))
                .await,
            201,
        )
        .await
    }

    /// A form POST to an OAuth endpoint with extra headers.
    pub async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        authorization: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.http.post(self.url(path)).form(form);
        if let Some(value) = authorization {
            request = request.header(AUTHORIZATION, value);
        }
        request.send().await.expect("the server answers")
    }
}

/// A Python interpreter with PyJWT, cryptography, Authlib (with requests), an OpenAPI validator and the
/// schemathesis API fuzzer, in a virtualenv made once under `target/` (PyPI is the only thing fetched). Standard
/// tools stand in for the clients keygate's users run.
pub fn python() -> PathBuf {
    static READY: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("python-venv");
    let python = venv.join("bin/python");
    let mut ready = READY.lock().unwrap_or_else(|p| p.into_inner());
    if !*ready {
        let check = std::process::Command::new(&python)
            .args([
                "-c",
                "import jwt, cryptography, openapi_spec_validator, schemathesis, authlib, requests",
            ])
            .output();
        if !check.is_ok_and(|o| o.status.success()) {
            let made = std::process::Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .expect("python3 runs");
            assert!(made.success(), "python3 -m venv failed");
            let pip = std::process::Command::new(venv.join("bin/pip"))
                .args([
                    "install",
                    "--quiet",
                    "pyjwt[crypto]>=2.8",
                    "openapi-spec-validator>=0.7",
                    "schemathesis>=4.3,<5",
                    "authlib>=1.3,<2",
                    "requests>=2.31",
                ])
                .status()
                .expect("pip runs");
            assert!(pip.success(), "pip install failed");
        }
        *ready = true;
    }
    python
}

/// Runs a Python script with arguments and returns its trimmed standard output.
pub fn run_python(script: &str, args: &[&str]) -> String {
    let output = std::process::Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .trim()
        .to_string()
}

/// The Node.js OAuth clients of `tests/node` (oauth4webapi, jose), installed once with `npm ci` from its lockfile
/// into a directory under `target/`; returns that directory.
pub fn node_clients() -> PathBuf {
    static READY: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("node-clients");
    let mut ready = READY.lock().unwrap_or_else(|p| p.into_inner());
    let sources = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    if !*ready {
        std::fs::create_dir_all(&dir).expect("the node directory can be made");
        for file in ["package.json", "package-lock.json"] {
            std::fs::copy(sources.join(file), dir.join(file)).expect("tests/node is readable");
        }
        npm_ci(&dir);
        for entry in std::fs::read_dir(&sources).expect("tests/node is readable") {
            let path = entry.expect("a directory entry").path();
            if path.extension().is_some_and(|e| e == "mjs") {
                std::fs::copy(&path, dir.join(path.file_name().expect("a file name")))
                    .expect("the script can be copied");
            }
        }
        *ready = true;
    }
    dir
}

/// `npm ci` in `dir` (which holds a package.json and its lockfile), again only when the lockfile changed since the
/// last install.
pub fn npm_ci(dir: &std::path::Path) {
    let lock = std::fs::read(dir.join("package-lock.json")).expect("the lockfile reads");
    let installed = dir.join("node_modules/.installed-from-lock");
    if std::fs::read(&installed).ok().as_ref() != Some(&lock) {
        let npm = std::process::Command::new("npm")
            .args(["ci", "--silent", "--no-audit", "--no-fund"])
            .current_dir(dir)
            .status()
            .expect("npm runs (Debian's nodejs and npm)");
        assert!(npm.success(), "npm ci failed");
        std::fs::write(&installed, &lock).expect("the install marker can be written");
    }
}

/// Runs `tests/node/<script>` with arguments and returns its standard output parsed as JSON.
pub fn run_node(script: &str, args: &[&str]) -> Value {
    let output = std::process::Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(node_clients())
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "node {script} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the script prints JSON")
}

/// Checks until `check` gives a value, for at most `timeout`: a test waits for the event it needs (a batch written,
/// a sync done, a key expired), never for a fixed time, and a check that never succeeds fails the test naming `what`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: std::time::Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not within {timeout:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// `SELECT COUNT(*) AS n …` on a connection.
pub fn count(conn: &mut keygate::db::DbConn, query: &str) -> i64 {
    use diesel::RunQueryDsl;
    diesel::sql_query(query)
        .load::<Count>(conn)
        .expect("the query runs")[0]
        .n
}
