//! Database faults under a running node: PostgreSQL going away and coming back (through a TCP proxy the test can
//! cut), and SQLite locked by another writer for longer than `busy_timeout`. Requests that need the database answer
//! 503 with a JSON error and `Retry-After` quickly; what is in memory (JWKS, JWT verification, cached keys) keeps
//! working; and the node recovers by itself.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::helpers::{eventually, json_with_status, spawn_app_with, TestApp};

/// A TCP proxy to `upstream` that can be cut (every connection closed, new ones refused) and healed. It runs on a
/// thread of its own, so that it keeps serving while the test thread waits for a CLI process.
struct Proxy {
    address: SocketAddr,
    up: watch::Sender<bool>,
}

impl Proxy {
    fn start(upstream: String) -> Proxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let address = listener.local_addr().unwrap();
        let (up, watcher) = watch::channel(true);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                loop {
                    let Ok((mut client, _)) = listener.accept().await else {
                        return;
                    };
                    let mut watcher = watcher.clone();
                    if !*watcher.borrow() {
                        continue; // dropped: the connection is closed at once
                    }
                    let upstream = upstream.clone();
                    tokio::spawn(async move {
                        let Ok(mut server) = TcpStream::connect(&upstream).await else {
                            return;
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            _ = watcher.wait_for(|up| !*up) => {}
                        }
                    });
                }
            })
        });
        Proxy { address, up }
    }

    fn cut(&self) {
        self.up.send_replace(false);
    }

    fn heal(&self) {
        self.up.send_replace(true);
    }
}

async fn token_status(app: &TestApp, client: &crate::helpers::TestClient) -> (u16, Duration) {
    let started = Instant::now();
    let response = app.token_basic(client, "").await;
    let status = response.status().as_u16();
    if status == 503 {
        assert_eq!(response.headers()["retry-after"], "1");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "temporarily_unavailable");
    }
    (status, started.elapsed())
}

/// A node whose PostgreSQL connections go through a proxy the test can cut; a one-second database timeout, and
/// credentials cached for a minute.
async fn app_behind_a_proxy_to(base: &str) -> (Proxy, TestApp) {
    let upstream = url::Url::parse(base).unwrap();
    let host = upstream.host_str().unwrap();
    let proxy = Proxy::start(format!("{host}:{}", upstream.port().unwrap_or(5432)));
    let proxy_port = proxy.address.port();
    let app = spawn_app_with(|config| {
        let mut url = url::Url::parse(&config.database_url).unwrap();
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(proxy_port)).unwrap();
        config.database_url = url.to_string();
        config.database_timeout_seconds = 1;
        config.credential_cache_seconds = 60;
    })
    .await;
    (proxy, app)
}

#[actix_web::test]
async fn postgres_going_away_answers_503_quickly_keeps_jwts_working_and_recovers() {
    let Ok(base) = std::env::var("KEYGATE_TEST_DATABASE_URL") else {
        return; // SQLite has no server to lose: the locked-database test below covers it.
    };
    if !base.starts_with("postgres") {
        return;
    }
    let (proxy, app) = app_behind_a_proxy_to(&base).await;
    let warm = app.create_client(&[]);
    let cold = app.create_client(&[]);
    let jwt = json_with_status(app.token_basic(&warm, "").await, 200).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let admin = app.admin_token().await;

    proxy.cut();
    // A key never read by this node needs the database: 503 within the timeout, not a hang and not a 500.
    let (status, took) = token_status(&app, &cold).await;
    assert_eq!(status, 503);
    assert!(took < Duration::from_secs(5), "answered after {took:?}");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status().as_u16(), 503);
    // What the node holds in memory keeps working.
    let jwks = app.get("/.well-known/jwks.json").await;
    assert_eq!(jwks.status().as_u16(), 200);
    assert_eq!(
        token_status(&app, &warm).await.0,
        200,
        "cached key, signing key in memory"
    );
    let verified = app
        .http
        .post(app.url("/v1/verify"))
        .bearer_auth(&jwt)
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status().as_u16(), 200);
    // The management API answers in its own JSON shape.
    let listed = app
        .http
        .get(app.url("/v1/tenants"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status().as_u16(), 503);
    let body: serde_json::Value = listed.json().await.unwrap();
    assert_eq!(body["error"], "unavailable");

    proxy.heal();
    eventually(
        "tokens again once PostgreSQL is back",
        Duration::from_secs(10),
        || async { (token_status(&app, &cold).await.0 == 200).then_some(()) },
    )
    .await;
    assert_eq!(app.get("/readyz").await.status().as_u16(), 200);
}

#[actix_web::test]
async fn sqlite_locked_past_busy_timeout_answers_503_and_reads_go_on() {
    if std::env::var("KEYGATE_TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres")) {
        return; // the PostgreSQL test above covers the server going away.
    }
    let app = spawn_app_with(|config| config.credential_cache_seconds = 60).await;
    let warm = app.create_client(&[]);
    assert_eq!(token_status(&app, &warm).await.0, 200);
    let admin = app.admin_token().await;

    // Another process holds the write lock for longer than keygate's busy_timeout (5 s).
    let path = app.config.database_url.clone();
    let (locked, release) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let mut conn = SqliteConnection::establish(&path).unwrap();
        conn.batch_execute("BEGIN IMMEDIATE").unwrap();
        locked.send(()).unwrap();
        release_rx.recv().unwrap();
        conn.batch_execute("ROLLBACK").unwrap();
    });
    release.recv().unwrap();

    let started = Instant::now();
    let created = app
        .http
        .post(app.url("/v1/tenants"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"name": "Locked out", "slug": "locked-out"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 503, "{:?}", created.text().await);
    assert!(started.elapsed() < Duration::from_secs(8));
    // Readers are not blocked by the writer (WAL), and the cached key still signs.
    let listed = app
        .http
        .get(app.url("/v1/tenants"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status().as_u16(), 200);
    assert_eq!(token_status(&app, &warm).await.0, 200);

    release_tx.send(()).unwrap();
    holder.join().unwrap();
    let created = app
        .http
        .post(app.url("/v1/tenants"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"name": "Locked out", "slug": "locked-out"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.status().as_u16(),
        201,
        "nothing half-written by the refused attempt"
    );
}
