//! `POST /v1/authorize` and `POST /v1/authorize/resources`: may a subject use a permission on a resource, and on
//! which resources may it. Three indexed reads on one connection: the subject's record ids, those records, the roles.

use crate::domain::resource::Permission;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::auth::Principal;
use crate::domain::access::{self as rules, RolePermissions, Statement};
use crate::domain::error_code::ErrorCode;
use crate::domain::resource::is_permission;
use crate::error::ApiError;
use crate::service::{access, Access};
use crate::state::AppState;

/// May `subject` use `permission` on `resource`?
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeRequest {
    pub subject: String,
    pub resource: String,
    #[schema(inline, value_type = Permission)]
    pub permission: String,
    /// For global callers: the subject's tenant, if given (the subject's own tenant decides either way; a
    /// different one is 422).
    pub tenant_id: Option<String>,
}

/// On which resources may `subject` use `permission`?
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourcesRequest {
    pub subject: String,
    #[schema(inline, value_type = Permission)]
    pub permission: String,
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuthorizeAnswer {
    pub allowed: bool,
}

/// The caller's tenant (`None`: a global caller, who may ask about any subject), or a refusal for callers that may
/// not ask at all.
fn caller_tenant(principal: &Principal) -> Result<Option<String>, ApiError> {
    match (&principal.access, &principal.tenant_id) {
        (Access::Global, _) => Ok(None),
        (Access::None, own) if principal.may_authorize => Ok(own.clone()),
        _ => Ok(principal.tenant_filter(None)?),
    }
}

/// The subject's statements (its tenant's records and the global ones), and the permissions of the roles they name.
async fn statements_of(
    state: &AppState,
    principal: &Principal,
    asked_tenant: Option<String>,
    subject: String,
) -> Result<(Vec<Statement>, RolePermissions), ApiError> {
    let caller = caller_tenant(principal)?;
    state
        .db
        .run_as(move |conn| {
            let tenant = access::deciding_tenant(
                conn,
                caller.as_deref(),
                asked_tenant.as_deref(),
                &subject,
            )?;
            Ok::<_, crate::service::ServiceError>(access::statements_of(
                conn,
                tenant.as_deref(),
                &subject,
            )?)
        })
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
    let caller = caller_tenant(&principal)?;
    let allowed = state
        .db
        .run_as(move |conn| {
            access::allows(
                conn,
                caller.as_deref(),
                body.tenant_id.as_deref(),
                &body.subject,
                &body.resource,
                &body.permission,
            )
        })
        .await?;
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
    check_permission(&body.permission)?;
    let (statements, roles) =
        statements_of(&state, &principal, body.tenant_id, body.subject).await?;
    Ok(HttpResponse::Ok()
        .json(json!({"resources": rules::resources_for(&statements, &roles, &body.permission)})))
}
