//! `/openapi.json`: the OpenAPI 3 description of `/v1` and the OAuth endpoints, generated from the handlers and
//! types.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "keygate management API", description = "API keys as a service: tenants, service clients, access keys."),
    paths(
        super::tenants::create, super::tenants::list, super::tenants::show, super::tenants::update, super::tenants::delete,
        super::clients::create, super::clients::list, super::clients::show, super::clients::update, super::clients::delete,
        super::keys::create, super::keys::list, super::keys::revoke,
        super::users::create, super::users::list, super::users::show, super::users::update, super::users::delete,
        super::verify::verify,
        super::roles::create, super::roles::list, super::roles::show, super::roles::update, super::roles::delete,
        super::records::create, super::records::list, super::records::show, super::records::replace, super::records::delete,
        super::authorize::check, super::authorize::resources,
        super::self_service::create, super::self_service::list, super::self_service::delete, super::self_service::revoke_key,
        super::audit::list,
        super::signing_keys::list, super::signing_keys::rotate,
        crate::oauth::token::token, crate::oauth::introspect::introspect, crate::oauth::revoke::revoke,
    ),
    modifiers(&SecuritySchemes),
    tags((name = "tenants"), (name = "clients"), (name = "keys"), (name = "users"), (name = "access"), (name = "self"), (name = "verify"), (name = "audit"), (name = "signing-keys"), (name = "oauth"))
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
    }
}

pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
