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
    modifiers(&SecuritySchemes, &ClosedVariants),
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

/// utoipa closes structs that deny unknown fields (`additionalProperties: false`) but not the variants of a tagged
/// enum: close those of the request bodies that are such enums.
struct ClosedVariants;

impl Modify for ClosedVariants {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{AdditionalProperties, Schema};
        use utoipa::openapi::RefOr;
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        if let Some(RefOr::T(Schema::OneOf(one_of))) = components.schemas.get_mut("CreateKey") {
            for item in &mut one_of.items {
                if let RefOr::T(Schema::Object(object)) = item {
                    object.additional_properties =
                        Some(Box::new(AdditionalProperties::FreeForm(false)));
                }
            }
        }
    }
}

/// The document, with this server's ceiling on access-token lifetimes (`max_access_token_ttl`) as the maximum of
/// every access-token TTL field.
pub async fn document(state: actix_web::web::Data<crate::state::AppState>) -> HttpResponse {
    use utoipa::openapi::schema::Schema;
    use utoipa::openapi::RefOr;
    let mut openapi = ApiDoc::openapi();
    let ttl = openapi
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut("TtlOverrides"));
    if let Some(RefOr::T(Schema::Object(ttl))) = ttl {
        for grant in ["client_credentials", "password", "authorization_code"] {
            if let Some(RefOr::T(Schema::Object(field))) = ttl.properties.get_mut(grant) {
                field.maximum = Some(state.config.max_access_token_ttl.into());
            }
        }
    }
    HttpResponse::Ok().json(openapi)
}
