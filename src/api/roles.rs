//! `/v1/roles`: named permission lists, per tenant (tenant admins) or global (global admins).

use crate::domain::resource::Permission;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::Principal;
use super::{Page, PageQuery};
use crate::domain::ids::RoleId;
use crate::error::ApiError;
pub use crate::service::roles::Role;
use crate::service::roles::{self as service};
use crate::state::AppState;

/// A new role (docs/contract.md).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRole {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: String,
    /// `service:action`, `service:*` or `*`.
    #[schema(inline, value_type = Vec<Permission>)]
    pub permissions: Vec<String>,
    /// The tenant; a tenant admin's roles are always its own. Absent for a global admin: a global role.
    #[schema(pattern = "^ten_[0-9A-Za-z]{22}$")]
    pub tenant_id: Option<String>,
}

/// New permissions for a role.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRole {
    #[schema(inline, value_type = Vec<Permission>)]
    pub permissions: Vec<String>,
}

#[utoipa::path(post, operation_id = "create_role", path = "/v1/roles", tag = "access", request_body = CreateRole,
    responses((status = 201, body = Role), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<CreateRole>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let role = state
        .change(move |conn| {
            service::create(
                conn,
                &principal.actor,
                &body.name,
                body.permissions,
                body.tenant_id,
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(role))
}

/// `?tenant_id=`: one tenant's roles (global admins).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoleFilter {
    pub tenant_id: Option<String>,
}

#[utoipa::path(get, operation_id = "list_roles", path = "/v1/roles", tag = "access", params(PageQuery, RoleFilter),
    description = "Global admins see every role (one tenant's with `tenant_id`); tenant admins their tenant's and the global ones.",
    responses((status = 200, body = Page<Role>)), security(("bearer" = []), ("basic" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
    filter: web::Query<RoleFilter>,
) -> Result<HttpResponse, ApiError> {
    let (limit, cursor, tenant_id) = (
        page.limit(),
        page.cursor.clone(),
        filter.into_inner().tenant_id,
    );
    let roles = state
        .db
        .run_as(move |conn| {
            service::list(conn, &principal, tenant_id, cursor.as_deref(), limit + 1)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(roles, limit, |r: &Role| r.id.clone())))
}

#[utoipa::path(get, operation_id = "get_role", path = "/v1/roles/{id}", params(("id" = inline(RoleId), Path)), tag = "access",
    responses((status = 200, body = Role), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn show(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<RoleId>,
) -> Result<HttpResponse, ApiError> {
    let row = state
        .db
        .run_as(move |conn| service::find_visible(conn, &principal, &id, false))
        .await?;
    Ok(HttpResponse::Ok().json(Role::from(row)))
}

#[utoipa::path(patch, operation_id = "update_role", path = "/v1/roles/{id}", params(("id" = inline(RoleId), Path)), tag = "access", request_body = UpdateRole,
    responses((status = 200, body = Role), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<RoleId>,
    body: web::Json<UpdateRole>,
) -> Result<HttpResponse, ApiError> {
    let permissions = body.into_inner().permissions;
    let role = state
        .change(move |conn| service::update(conn, &principal.actor, &id, permissions))
        .await?;
    Ok(HttpResponse::Ok().json(role))
}

#[utoipa::path(delete, operation_id = "delete_role", path = "/v1/roles/{id}", params(("id" = inline(RoleId), Path)), tag = "access",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<RoleId>,
) -> Result<HttpResponse, ApiError> {
    state
        .change(move |conn| service::delete(conn, &principal.actor, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
