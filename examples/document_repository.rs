//! A small document API protected by keygate, through the SDK. Callers come in three ways: a keygate JWT
//! (`Authorization: Bearer eyJ…`, verified offline against the JWKS), a secret access key on its own
//! (`Authorization: Bearer kg_sk_…`), or client id and secret key with HTTP Basic. `GET /documents/{id}` needs
//! `documents:read` on `/documents/{id}`, `PUT` needs `documents:write`; keygate's access records decide.
//!
//! A token bound to a key (DPoP, RFC 9449) is taken as `Authorization: DPoP …` with a proof of that key for the
//! request. The API publishes its protected resource metadata (RFC 9728) at
//! `/.well-known/oauth-protected-resource`, and every 401 points to it, so an agent that knows only the API's URL
//! finds keygate, registers and signs in.
//!
//! Environment: `KEYGATE_ISSUER` (default `http://127.0.0.1:8080`), `KEYGATE_AUDIENCE` (optional: accept only JWTs
//! with this `aud`), `BIND` (default `127.0.0.1:8081`), `PUBLIC_URL` (where callers reach the API: its resource
//! identifier; default `http://` and `BIND`), and `KEYGATE_ACCESS_KEY`: this API's own access key, whose client
//! holds `keygate:authorize`, for asking keygate about permissions. The README walks through it.
//!
//! Run: `cargo run --release --example document_repository`

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::RwLock;

use actix_web::{web, App, HttpResponse, HttpServer};
use keygate_sdk::actix::Rejection;
use keygate_sdk::{Authorizer, Identity, TokenProvider, Verifier};
use serde_json::json;

/// Where keygate is and how this API reaches it.
pub struct Settings {
    pub issuer: String,
    pub audience: Option<String>,
    pub access_key: String,
    /// The URL callers reach this API at: its resource identifier (RFC 9728) and what DPoP proofs name.
    pub public_url: String,
}

impl Settings {
    /// Reads the environment variables named in the module documentation.
    pub fn from_env() -> Result<Settings, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Ok(Settings {
            issuer: var("KEYGATE_ISSUER").unwrap_or_else(|| "http://127.0.0.1:8080".into()),
            audience: var("KEYGATE_AUDIENCE"),
            access_key: var("KEYGATE_ACCESS_KEY")
                .ok_or("set KEYGATE_ACCESS_KEY to this API's own access key")?,
            public_url: var("PUBLIC_URL").unwrap_or_else(|| {
                let bind = var("BIND").unwrap_or_else(|| "127.0.0.1:8081".into());
                format!("http://{bind}")
            }),
        })
    }
}

/// The documents, in memory: this example is about the way in, not about storage.
#[derive(Default)]
pub struct Documents(RwLock<HashMap<String, String>>);

/// Starts the API on `listener`, with one document, `welcome`.
pub fn serve(
    listener: TcpListener,
    settings: &Settings,
) -> Result<actix_web::dev::Server, Box<dyn std::error::Error>> {
    let mut verifier = Verifier::builder(&settings.issuer)
        .realm("documents")
        .resource(&settings.public_url, &["documents:read", "documents:write"])
        .public_url(&settings.public_url);
    if let Some(audience) = &settings.audience {
        verifier = verifier.audience(audience);
    }
    let verifier = verifier.build();
    let tokens = TokenProvider::builder(&settings.access_key)
        .issuer(&settings.issuer)
        .build()?;
    let authorizer = web::Data::new(Authorizer::new(tokens));
    let documents = web::Data::new(Documents::default());
    documents
        .0
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(
            "welcome".into(),
            "Hello from the document repository.".into(),
        );
    let server = HttpServer::new(move || {
        App::new()
            .configure(keygate_sdk::actix::resource_metadata(&verifier))
            .app_data(verifier.clone())
            .app_data(authorizer.clone())
            .app_data(documents.clone())
            .route("/documents/{id}", web::get().to(read))
            .route("/documents/{id}", web::put().to(write))
    })
    .listen(listener)?
    .run();
    Ok(server)
}

/// Document ids are short words, so that `/documents/{id}` is always a plain resource path.
fn resource(id: &str) -> Result<String, Rejection> {
    let plain = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    match plain {
        true => Ok(format!("/documents/{id}")),
        false => Err(Rejection::forbidden(
            "document names are letters, digits, - and _",
        )),
    }
}

async fn read(
    identity: Identity,
    id: web::Path<String>,
    authorizer: web::Data<Authorizer>,
    documents: web::Data<Documents>,
) -> Result<HttpResponse, Rejection> {
    // Permission first, so that a caller without it cannot learn which documents exist.
    authorizer
        .require(&identity, &resource(&id)?, "documents:read")
        .await?;
    let documents = documents.0.read().unwrap_or_else(|e| e.into_inner());
    Ok(match documents.get(id.as_str()) {
        Some(text) => HttpResponse::Ok().json(json!({"id": *id, "text": text})),
        None => HttpResponse::NotFound()
            .json(json!({"error": "not_found", "message": "no such document"})),
    })
}

async fn write(
    identity: Identity,
    id: web::Path<String>,
    text: String,
    authorizer: web::Data<Authorizer>,
    documents: web::Data<Documents>,
) -> Result<HttpResponse, Rejection> {
    authorizer
        .require(&identity, &resource(&id)?, "documents:write")
        .await?;
    let mut documents = documents.0.write().unwrap_or_else(|e| e.into_inner());
    documents.insert(id.to_string(), text.clone());
    Ok(HttpResponse::Ok().json(json!({"id": *id, "text": text, "written_by": identity.subject})))
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let settings = Settings::from_env()?;
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:8081".into());
    let listener = TcpListener::bind(&bind)?;
    println!(
        "document repository on http://{}, trusting {}",
        listener.local_addr()?,
        settings.issuer
    );
    serve(listener, &settings)?.await?;
    Ok(())
}
