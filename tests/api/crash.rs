//! Crash safety: `kill -9` in the middle of a burst of writes — clients, their keys, sign-ins and refresh-token
//! rotations — then a restart on the same database. Every write the API acknowledged is there and works; every
//! object is whole (no key without its client, no refresh token without its user, no sign-in with two live refresh
//! tokens, no client over its key limit); and the database itself is intact.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::{QueryableByName, RunQueryDsl};
use serde_json::{json, Value};

use crate::fixtures::PASSWORD;
use crate::helpers::{basic, count, eventually, spawn_app, TestApp, TestClient};

/// What one writer saw acknowledged.
#[derive(Default)]
struct Acknowledged {
    clients: Vec<String>,
    keys: Vec<(String, String)>,
    refresh_tokens: usize,
}

/// Writes until the server dies: a client, two secret keys for it, and a sign-in with two refreshes.
async fn writer(
    http: reqwest::Client,
    address: String,
    admin: String,
    tenant: String,
    spa: TestClient,
    keys_acknowledged: Arc<AtomicUsize>,
) -> Acknowledged {
    let mut seen = Acknowledged::default();
    for round in 0.. {
        let Ok(created) = http
            .post(format!("{address}/v1/clients"))
            .bearer_auth(&admin)
            .json(&json!({"name": format!("burst {round}"), "tenant_id": tenant}))
            .send()
            .await
        else {
            return seen;
        };
        if created.status() != 201 {
            return seen;
        }
        let Ok(client) = created.json::<Value>().await else {
            return seen;
        };
        let client_id = client["id"].as_str().unwrap().to_string();
        seen.clients.push(client_id.clone());
        for _ in 0..2 {
            let key = http
                .post(format!("{address}/v1/clients/{client_id}/keys"))
                .bearer_auth(&admin)
                .json(&json!({"kind": "secret"}))
                .send()
                .await;
            let Ok(key) = key else { return seen };
            if key.status() != 201 {
                return seen;
            }
            let Ok(key) = key.json::<Value>().await else {
                return seen;
            };
            seen.keys
                .push((client_id.clone(), key["key"].as_str().unwrap().to_string()));
            keys_acknowledged.fetch_add(1, Ordering::Relaxed);
        }
        let mut form = vec![
            ("grant_type", "password".to_string()),
            ("username", "alice".into()),
            ("password", PASSWORD.into()),
        ];
        for _ in 0..3 {
            let Ok(answer) = http
                .post(format!("{address}/oauth/token"))
                .header("authorization", basic(&spa.id, &spa.secret))
                .form(&form)
                .send()
                .await
            else {
                return seen;
            };
            let Ok(body) = answer.json::<Value>().await else {
                return seen;
            };
            let Some(refresh) = body["refresh_token"].as_str() else {
                return seen;
            };
            seen.refresh_tokens += 1;
            form = vec![
                ("grant_type", "refresh_token".into()),
                ("refresh_token", refresh.to_string()),
            ];
        }
    }
    seen
}

#[actix_web::test]
async fn kill_9_during_a_burst_of_writes_leaves_every_object_whole() {
    let mut app = spawn_app().await;
    let admin = app.admin_token().await;
    let tenant = app.tenant("acme").await;
    tenant.user(&app, "alice").await;
    let spa = tenant.client(
        &app,
        &["--grant-type", "password", "--grant-type", "refresh_token"],
    );
    let dir = tempfile::tempdir().unwrap();
    let (mut server, address) = app
        .serve_binary(&dir.path().join("first.log"), "info")
        .await;

    // Six writers until the kill, which comes once they have had twenty keys acknowledged.
    let keys_acknowledged = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::new();
    let writers: Vec<_> = (0..6)
        .map(|_| {
            let (address, admin, tenant) = (address.clone(), admin.clone(), tenant.id.clone());
            tokio::spawn(writer(
                http.clone(),
                address,
                admin,
                tenant,
                spa.clone(),
                keys_acknowledged.clone(),
            ))
        })
        .collect();
    eventually("twenty keys acknowledged", Duration::from_secs(60), || {
        let count = keys_acknowledged.load(Ordering::Relaxed);
        async move { (count >= 20).then_some(()) }
    })
    .await;
    server.kill().unwrap(); // SIGKILL: no drain, no flush, no destructor
    server.wait().unwrap();
    let mut acknowledged = Acknowledged::default();
    for writer in writers {
        let seen = writer.await.unwrap();
        acknowledged.clients.extend(seen.clients);
        acknowledged.keys.extend(seen.keys);
        acknowledged.refresh_tokens += seen.refresh_tokens;
    }
    eprintln!(
        "acknowledged before the kill: {} clients, {} keys, {} refresh tokens",
        acknowledged.clients.len(),
        acknowledged.keys.len(),
        acknowledged.refresh_tokens
    );

    let (mut restarted, address) = app
        .serve_binary(&dir.path().join("second.log"), "info")
        .await;
    app.address = address;
    every_acknowledged_write_is_there_and_works(&app, &admin, &acknowledged).await;
    every_object_is_whole_and_the_database_intact(&app, &acknowledged);
    restarted.kill().unwrap();
    restarted.wait().unwrap();
}

async fn every_acknowledged_write_is_there_and_works(
    app: &TestApp,
    admin: &str,
    acknowledged: &Acknowledged,
) {
    for client_id in &acknowledged.clients {
        let shown = app
            .api(
                reqwest::Method::GET,
                &format!("/v1/clients/{client_id}"),
                admin,
                None,
            )
            .await;
        assert_eq!(
            shown.status().as_u16(),
            200,
            "acknowledged client {client_id} is gone"
        );
    }
    for (client_id, secret) in &acknowledged.keys {
        let client = TestClient {
            id: client_id.clone(),
            secret: secret.clone(),
            key_id: String::new(),
        };
        assert_eq!(
            app.token_basic(&client, "").await.status().as_u16(),
            200,
            "an acknowledged key does not work"
        );
    }
}

fn every_object_is_whole_and_the_database_intact(app: &TestApp, acknowledged: &Acknowledged) {
    let db = app.database();
    let mut conn = db.conn().unwrap();
    let conn: &mut keygate::db::DbConn = &mut conn;
    let orphans = [
        "SELECT COUNT(*) AS n FROM access_keys k WHERE NOT EXISTS (SELECT 1 FROM service_clients c WHERE c.id = k.client_id)",
        "SELECT COUNT(*) AS n FROM refresh_tokens r WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = r.user_id)",
        // Rotation spends the old token and stores the new one together: never two live tokens in one sign-in.
        "SELECT COUNT(*) AS n FROM (SELECT family_id FROM refresh_tokens WHERE used_at IS NULL AND revoked_at IS NULL \
         GROUP BY family_id HAVING COUNT(*) > 1) f",
        "SELECT COUNT(*) AS n FROM (SELECT client_id FROM access_keys WHERE revoked_at IS NULL \
         GROUP BY client_id HAVING COUNT(*) > 5) c",
    ];
    for sql in orphans {
        assert_eq!(count(conn, sql), 0, "{sql}");
    }
    assert!(
        count(conn, "SELECT COUNT(*) AS n FROM refresh_tokens")
            >= acknowledged.refresh_tokens as i64
    );
    if !app.config.database_url.starts_with("postgres") {
        #[derive(QueryableByName)]
        struct Check {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let checks: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
            .load(conn)
            .unwrap();
        assert_eq!(checks[0].integrity_check, "ok");
    }
}
