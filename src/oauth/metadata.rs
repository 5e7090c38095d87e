//! `GET /.well-known/jwks.json` (RFC 7517) and authorization server metadata (RFC 8414).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::state::AppState;

const AUTH_METHODS: [&str; 3] = [
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
];
const ASSERTION_ALGS: [&str; 3] = ["EdDSA", "ES256", "RS256"];

/// The published signing keys, served from memory.
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={}", state.config.jwks_max_age),
        ))
        // Public keys: any origin may read them (verifiers in browsers and edge functions).
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(state.keyring.current().jwks.clone())
}

/// RFC 8414 §2 metadata; also served as `/.well-known/openid-configuration` for clients that look there.
pub async fn authorization_server(state: web::Data<AppState>) -> HttpResponse {
    let issuer = state.config.issuer();
    let alg = state.keyring.current().signer.alg.as_str();
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(json!({
            "issuer": issuer,
            "token_endpoint": format!("{issuer}/oauth/token"),
            "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
            "introspection_endpoint": format!("{issuer}/oauth/introspect"),
            "revocation_endpoint": format!("{issuer}/oauth/revoke"),
            "authorization_endpoint": format!("{issuer}/oauth/authorize"),
            "grant_types_supported": ["authorization_code", "client_credentials", "password", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
            "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
            "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
            "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
            "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
            "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
            "response_types_supported": ["code"],
            "scopes_supported": ["keygate:admin", "keygate:tenant-admin"],
            "access_token_signing_alg_values_supported": [alg],
        }))
}
