//! `POST /v1/authorize` and `POST /v1/authorize/resources`: may a subject use a permission on a resource, and on
//! which resources may it. Three indexed reads on one connection: the subject's record ids, those records, the roles.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::auth::Principal;
use crate::domain::access::{self as rules, RolePermissions, Statement};
use crate::domain::error_code::ErrorCode;
use crate::domain::resource::{is_permission, Resource};
use crate::error::ApiError;
use crate::service::{access, Access};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/authorize", web::post().to(check))
        .route("/authorize/resources", web::post().to(resources));
}

/// May `subject` use `permission` on `resource`?
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeRequest {
    pub subject: String,
    pub resource: String,
    pub permission: String,
    /// For global admins: the tenant whose records apply (default: global records).
    pub tenant_id: Option<String>,
}

/// On which resources may `subject` use `permission`?
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourcesRequest {
    pub subject: String,
    pub permission: String,
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuthorizeAnswer {
    pub allowed: bool,
}

/// The tenant whose records decide: the caller's own for tenant clients, the one asked for by global clients.
fn tenant_of(principal: &Principal, asked: Option<String>) -> Result<Option<String>, ApiError> {
    match (&principal.access, &principal.tenant_id) {
        (Access::Global, _) => Ok(asked),
        (Access::None, None) if principal.may_authorize => Ok(asked),
        (Access::None, Some(own)) if principal.may_authorize => Ok(Some(own.clone())),
        _ => Ok(principal.tenant_filter(None)?),
    }
}

/// The subject's statements in `tenant_id`, and the permissions of the roles they name.
async fn statements_of(
    state: &AppState,
    tenant_id: Option<String>,
    subject: String,
) -> Result<(Vec<Statement>, RolePermissions), ApiError> {
    state
        .db
        .run(move |conn| access::statements_of(conn, tenant_id.as_deref(), &subject))
        .await
        .map_err(ApiError::from)
}

fn check_permission(permission: &str) -> Result<(), ApiError> {
    match is_permission(permission) {
        true => Ok(()),
        false => Err(ApiError::unprocessable(
            ErrorCode::InvalidPermission,
            format!("{permission:?} is not a permission"),
        )),
    }
}

#[utoipa::path(post, operation_id = "authorize", path = "/v1/authorize", tag = "access", request_body = AuthorizeRequest,
    description = "Callers: admins, and resource servers whose client holds `keygate:authorize` (their own tenant; global clients any tenant).",
    responses((status = 200, body = AuthorizeAnswer), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn check(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<AuthorizeRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let tenant_id = tenant_of(&principal, body.tenant_id)?;
    check_permission(&body.permission)?;
    // A resource that is not in normal form is never allowed: no path trick gets past a pattern.
    let Ok(resource) = Resource::parse(&body.resource) else {
        return Ok(HttpResponse::Ok().json(AuthorizeAnswer { allowed: false }));
    };
    let (statements, roles) = statements_of(&state, tenant_id, body.subject).await?;
    let allowed = rules::allows(&statements, &roles, &resource, &body.permission);
    Ok(HttpResponse::Ok().json(AuthorizeAnswer { allowed }))
}

#[utoipa::path(post, operation_id = "authorize_resources", path = "/v1/authorize/resources", tag = "access", request_body = ResourcesRequest,
    responses((status = 200, description = "{\"resources\": [patterns]}")), security(("bearer" = []), ("basic" = [])))]
pub async fn resources(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<ResourcesRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let tenant_id = tenant_of(&principal, body.tenant_id)?;
    check_permission(&body.permission)?;
    let (statements, roles) = statements_of(&state, tenant_id, body.subject).await?;
    Ok(HttpResponse::Ok()
        .json(json!({"resources": rules::resources_for(&statements, &roles, &body.permission)})))
}
