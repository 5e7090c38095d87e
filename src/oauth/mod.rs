//! The OAuth 2.0 endpoints: form-encoded requests, JSON answers, RFC 6749 §5.2 errors.

pub mod client_auth;
pub mod client_credentials_grant;
pub mod code_grant;
pub mod cors;
pub mod error;
pub mod federated_grant;
pub mod grant;
pub mod introspect;
pub mod metadata;
pub mod password_grant;
pub mod refresh_grant;
pub mod register;
pub mod revoke;
pub mod schema;
pub mod token;
pub mod userinfo;

use actix_web::web;

/// The OAuth endpoints, each registered once with its methods: the table registers their routes and derives their
/// OpenAPI operations. `cross_origin` endpoints answer browsers from a client's registered origins (and their
/// preflight); `any_origin` ones answer every origin (registration: a browser agent has no registered origin yet).
macro_rules! oauth_endpoints {
    ($($path:literal => { $($method:ident => $handler:path),+ } $(, $cross_origin:ident)?;)*) => {
        /// The OpenAPI operations of the OAuth endpoints (the discovery documents describe themselves).
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($($handler),+),*))]
        pub struct Paths;

        fn register_endpoints(cfg: &mut web::ServiceConfig) {
            $(cfg.service(
                oauth_endpoints!(@resource $path $(, $cross_origin)?)
                    $(.route(web::$method().to($handler)))+
            );)*
        }
    };
    (@resource $path:literal) => {
        web::resource($path)
    };
    (@resource $path:literal, cross_origin) => {
        web::resource($path)
            .wrap(actix_web::middleware::from_fn(cors::allow_registered_origins))
            .route(web::method(actix_web::http::Method::OPTIONS).to(actix_web::HttpResponse::NoContent))
    };
    (@resource $path:literal, any_origin) => {
        web::resource($path)
            .wrap(actix_web::middleware::from_fn(cors::allow_any_origin))
            .route(web::method(actix_web::http::Method::OPTIONS).to(actix_web::HttpResponse::NoContent))
    };
}

oauth_endpoints! {
    "/oauth/token" => { post => token::token }, cross_origin;
    "/oauth/revoke" => { post => revoke::revoke }, cross_origin;
    "/oauth/introspect" => { post => introspect::introspect };
    "/oauth/register" => { post => register::register }, any_origin;
    "/oauth/register/{client_id}" => { get => register::read, put => register::replace, delete => register::unregister }, any_origin;
    "/oauth/userinfo" => { get => userinfo::userinfo, post => userinfo::userinfo_posted }, cross_origin;
}

/// Routes of the OAuth endpoints and their discovery documents.
pub fn configure(cfg: &mut web::ServiceConfig) {
    register_endpoints(cfg);
    cfg.route("/.well-known/jwks.json", web::get().to(metadata::jwks))
        .route(
            "/.well-known/oauth-authorization-server",
            web::get().to(metadata::authorization_server),
        )
        .route(
            "/.well-known/openid-configuration",
            web::get().to(metadata::openid_configuration),
        );
}
