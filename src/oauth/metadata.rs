//! `GET /.well-known/jwks.json` (RFC 7517) and authorization server metadata (RFC 8414).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::state::AppState;

/// What introspection accepts: a public client may not introspect.
const INTROSPECTION_AUTH_METHODS: [&str; 3] = [
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
];
/// What the token and revocation endpoints accept: public clients (`none`) fetch and revoke their own tokens.
const AUTH_METHODS: [&str; 4] = [
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
];
/// An Ed25519 assertion may name its algorithm `EdDSA` (RFC 8037) or `Ed25519` (RFC 9864).
const ASSERTION_ALGS: [&str; 4] = ["EdDSA", "Ed25519", "ES256", "RS256"];

/// Public, credential-free documents: any origin may read them (SPAs discovering keygate, verifiers in browsers
/// and edge functions).
fn public_document(max_age: u64) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={max_age}")))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"));
    response
}

/// The published signing keys, served from memory.
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    public_document(state.config.jwks_max_age)
        .content_type("application/json")
        .body(state.keyring.current().jwks.clone())
}

/// RFC 8414 §2 metadata; also served as `/.well-known/openid-configuration` for clients that look there.
pub async fn authorization_server(state: web::Data<AppState>) -> HttpResponse {
    let issuer = state.config.issuer();
    let alg = state.keyring.current().signer.alg.as_str();
    public_document(300).json(json!({
            "issuer": issuer,
            "token_endpoint": format!("{issuer}/oauth/token"),
            "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
            "introspection_endpoint": format!("{issuer}/oauth/introspect"),
            "revocation_endpoint": format!("{issuer}/oauth/revoke"),
            "authorization_endpoint": format!("{issuer}/oauth/authorize"),
            "grant_types_supported": ["authorization_code", "client_credentials", "password", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": AUTH_METHODS,
            "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
            "introspection_endpoint_auth_methods_supported": INTROSPECTION_AUTH_METHODS,
            "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
            "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
            "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "scopes_supported": ["keygate:admin", "keygate:tenant-admin"],
            "access_token_signing_alg_values_supported": [alg],
        }))
}
