//! The OAuth 2.0 endpoints: form-encoded requests, JSON answers, RFC 6749 §5.2 errors.

pub mod client_auth;
pub mod client_credentials_grant;
pub mod code_grant;
pub mod cors;
pub mod error;
pub mod grant;
pub mod introspect;
pub mod metadata;
pub mod password_grant;
pub mod refresh_grant;
pub mod revoke;
pub mod schema;
pub mod token;

use actix_web::web;

/// The OpenAPI operations of the OAuth endpoints `configure` registers below (the discovery documents describe
/// themselves).
#[derive(utoipa::OpenApi)]
#[openapi(paths(token::token, introspect::introspect, revoke::revoke))]
pub struct Paths;

/// Routes of the OAuth endpoints and their discovery documents.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let cors = || actix_web::middleware::from_fn(cors::allow_registered_origins);
    cfg.service(
        web::resource("/oauth/token")
            .wrap(cors())
            .route(web::post().to(token::token))
            .route(
                web::method(actix_web::http::Method::OPTIONS)
                    .to(actix_web::HttpResponse::NoContent),
            ),
    )
    .service(
        web::resource("/oauth/revoke")
            .wrap(cors())
            .route(web::post().to(revoke::revoke))
            .route(
                web::method(actix_web::http::Method::OPTIONS)
                    .to(actix_web::HttpResponse::NoContent),
            ),
    )
    .route("/oauth/introspect", web::post().to(introspect::introspect))
    .route("/.well-known/jwks.json", web::get().to(metadata::jwks))
    .route(
        "/.well-known/oauth-authorization-server",
        web::get().to(metadata::authorization_server),
    )
    .route(
        "/.well-known/openid-configuration",
        web::get().to(metadata::authorization_server),
    );
}
