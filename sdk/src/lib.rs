//! The keygate SDK: for programs that call a keygate-protected API, and for the APIs keygate protects.
//!
//! - [`TokenProvider`]: an access token from an access key (`kg_sk_…` or `kg_pk_…`), cached and renewed before
//!   it expires, one request however many tasks ask at once, transient failures retried with backoff.
//! - [`Verifier`]: checks what callers send — keygate JWTs offline against the JWKS, secret keys and Basic
//!   credentials through keygate's `/v1/verify` — and says who they are ([`Identity`]).
//!   A DPoP-bound token (RFC 9449) is accepted only with a proof of its key for the request
//!   ([`Verifier::verify_request`]).
//! - [`Authorizer`]: asks keygate whether an identity holds a permission on a resource.
//! - With the `actix` feature, [`Identity`] is an actix-web extractor that answers 401 with the right
//!   `WWW-Authenticate` challenge (see [`actix`]), and [`actix::resource_metadata`] serves the API's protected
//!   resource metadata (RFC 9728, [`ResourceMetadata`]) that the challenge points agents to.
//!
//! Calling an API:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let tokens = keygate_sdk::TokenProvider::new(&std::env::var("KEYGATE_ACCESS_KEY")?)?;
//! let documents = reqwest::Client::new()
//!     .get("http://127.0.0.1:8081/documents/readme")
//!     .bearer_auth(tokens.token().await?)
//!     .send()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Protecting one:
//!
//! ```no_run
//! # async fn run(authorization: &str) -> Result<(), keygate_sdk::Error> {
//! let verifier = keygate_sdk::Verifier::new("http://127.0.0.1:8080");
//! let identity = verifier.verify_authorization(authorization).await?;
//! assert!(identity.has_scope("documents:read"));
//! # Ok(()) }
//! ```

mod access_key;
#[cfg(feature = "actix")]
pub mod actix;
mod authorizer;
mod dpop;
mod error;
mod http;
mod identity;
mod jwks;
pub mod private_key;
mod resource_metadata;
mod token_provider;
mod verifier;

pub use access_key::{AccessKey, PrivateAccessKey, SECRET_PREFIX};
pub use authorizer::Authorizer;
pub use dpop::{htu_matches, ProvedRequest};
pub use error::Error;
pub use identity::{ExternalIdentity, Identity, VerifiedBy};
pub use resource_metadata::ResourceMetadata;
pub use token_provider::{AccessToken, TokenProvider, TokenProviderBuilder};
pub use verifier::{Verifier, VerifierBuilder};

/// Seconds since the Unix epoch.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// 128 random bits, base64url: a client assertion's `jti`.
fn random_id() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 16];
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
