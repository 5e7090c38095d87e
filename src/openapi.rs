//! `/openapi.json`: the OpenAPI 3 description of `/v1` and the OAuth endpoints, generated from the handlers and
//! types. It spans two edges, so it is assembled here, above them, like `startup`.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "keygate management API", description = "API keys as a service: tenants, service clients, access keys."),
    modifiers(&SecuritySchemes),
    tags((name = "tenants"), (name = "clients"), (name = "keys"), (name = "users"), (name = "access"), (name = "trusted-issuers"), (name = "registration"), (name = "self"), (name = "verify"), (name = "audit"), (name = "signing-keys"), (name = "oauth"))
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
    // The operations come from the tables that register the routes.
    openapi.merge(crate::api::Paths::openapi());
    openapi.merge(crate::oauth::Paths::openapi());
    ClosedVariants.modify(&mut openapi);
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
