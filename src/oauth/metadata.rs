//! `GET /.well-known/jwks.json` (RFC 7517), authorization server metadata (RFC 8414) and OpenID Provider metadata
//! (OpenID Connect Discovery 1.0 §3): one document, the second adding what OpenID Connect defines.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::domain::grant_type::GrantType;
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

/// The scopes of OpenID Connect (Core 1.0 §5.4, §11), beside keygate's own and the clients' API scopes.
pub const OPENID_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// RFC 8414 §2 metadata.
pub async fn authorization_server(state: web::Data<AppState>) -> HttpResponse {
    public_document(300).json(server_metadata(&state))
}

/// OpenID Connect Discovery 1.0 §3 metadata: the RFC 8414 document and the OpenID Provider's fields.
pub async fn openid_configuration(state: web::Data<AppState>) -> HttpResponse {
    let issuer = state.config.issuer();
    let alg = state.keyring.current().signer.alg.as_str();
    let mut document = server_metadata(&state);
    let provider = json!({
        "userinfo_endpoint": format!("{issuer}/oauth/userinfo"),
        "end_session_endpoint": format!("{issuer}/oauth/logout"),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [alg],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp", "sid",
            "tid", "name", "preferred_username", "email", "email_verified"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    });
    if let (Some(document), serde_json::Value::Object(provider)) =
        (document.as_object_mut(), provider)
    {
        document.extend(provider);
    }
    public_document(300).json(document)
}

fn server_metadata(state: &AppState) -> serde_json::Value {
    let issuer = state.config.issuer();
    let alg = state.keyring.current().signer.alg.as_str();
    let scopes = ["keygate:admin", "keygate:tenant-admin"].into_iter();
    json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/oauth/token"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "introspection_endpoint": format!("{issuer}/oauth/introspect"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "registration_endpoint": format!("{issuer}/oauth/register"),
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "grant_types_supported": GrantType::ALL.map(GrantType::as_str),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "introspection_endpoint_auth_methods_supported": INTROSPECTION_AUTH_METHODS,
        "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "scopes_supported": scopes.chain(OPENID_SCOPES).collect::<Vec<_>>(),
        "access_token_signing_alg_values_supported": [alg],
        "dpop_signing_alg_values_supported": crate::credentials::dpop::ALGORITHMS,
    })
}
