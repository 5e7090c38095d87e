//! The benchmark suite's floor for a token endpoint: a bare actix-web handler that does only what a warm
//! client_credentials request cannot avoid — a hash-map client lookup, a SHA-256 secret check, and a signature with
//! a cached key — with no middleware, no form parser and no database. keygate's warm figures are compared with it.
//! Run: `cargo run --release --example bench_bare -- <port> <RS256|ES256|EdDSA>`; then POST /token with
//! `Authorization: Basic base64(client:secret)` (client `bench`, secret `secret`).

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use aws_lc_rs::digest::{digest, SHA256};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use keygate::crypto::jwt;
use keygate::crypto::signing_key::{generate, Signer};
use keygate::domain::signing_alg::SigningAlg;
use serde_json::json;

struct Bare {
    signer: Signer,
    clients: HashMap<String, Vec<u8>>,
}

// The body is read (and ignored) so that the connection stays usable for keep-alive.
async fn token(req: HttpRequest, _form: web::Bytes, bare: web::Data<Arc<Bare>>) -> HttpResponse {
    let basic = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| STANDARD.decode(v).ok())
        .and_then(|v| String::from_utf8(v).ok());
    let Some((id, secret)) = basic.as_deref().and_then(|v| v.split_once(':')) else {
        return HttpResponse::Unauthorized().finish();
    };
    let known = bare.clients.get(id);
    if known.is_none_or(|hash| hash.as_slice() != digest(&SHA256, secret.as_bytes()).as_ref()) {
        return HttpResponse::Unauthorized().finish();
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let claims = json!({
        "iss": "http://127.0.0.1", "sub": id, "aud": "http://127.0.0.1", "exp": now + 3600, "iat": now,
        "jti": now, "client_id": id, "gty": "client_credentials",
    });
    match jwt::encode(&bare.signer, "at+jwt", &claims) {
        Ok(access_token) => HttpResponse::Ok().json(json!({
            "access_token": access_token, "token_type": "Bearer", "expires_in": 3600,
        })),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

fn main() -> anyhow::Result<()> {
    let port: u16 = std::env::args().nth(1).unwrap_or("18182".into()).parse()?;
    let alg = SigningAlg::parse(&std::env::args().nth(2).unwrap_or("RS256".into()))
        .ok_or_else(|| anyhow::anyhow!("RS256, ES256 or EdDSA"))?;
    let key = generate(alg)?;
    let bare = Arc::new(Bare {
        signer: Signer::from_pkcs8(&key.kid, alg, &key.pkcs8)?,
        clients: HashMap::from([(
            "bench".to_string(),
            digest(&SHA256, b"secret").as_ref().to_vec(),
        )]),
    });
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(bare.clone()))
                .route("/token", web::post().to(token))
        })
        .bind(("127.0.0.1", port))?
        .run()
        .await
    })?;
    Ok(())
}
