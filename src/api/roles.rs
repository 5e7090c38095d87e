//! `/v1/roles`: named permission lists, per tenant (tenant admins) or global (global admins).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::auth::{Access, Principal};
use crate::db::roles::{self, RoleRow};
use crate::domain::access::validate_permissions;
use crate::domain::ids::IdKind;
use crate::domain::unix_now;
use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/roles", web::post().to(create))
        .route("/roles", web::get().to(list))
        .route("/roles/{id}", web::get().to(show))
        .route("/roles/{id}", web::patch().to(update))
        .route("/roles/{id}", web::delete().to(delete));
}

/// A new role (DESIGN.md §7).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRole {
    pub name: String,
    /// `service:action`, `service:*` or `*`.
    pub permissions: Vec<String>,
    /// The tenant; a tenant admin's roles are always its own. Absent for a global admin: a global role.
    pub tenant_id: Option<String>,
}

/// New permissions for a role.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRole {
    pub permissions: Vec<String>,
}

/// A role.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Role {
    pub id: String,
    pub tenant_id: Option<String>,
    pub name: String,
    pub permissions: Vec<String>,
    pub created_at: i64,
}

impl From<RoleRow> for Role {
    fn from(row: RoleRow) -> Role {
        Role {
            permissions: row.permissions(),
            id: row.id,
            tenant_id: row.tenant_id,
            name: row.name,
            created_at: row.created_at,
        }
    }
}

fn invalid(message: String) -> ApiError {
    ApiError::unprocessable("invalid_role", message)
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
    let tenant_id = match (&principal.access, body.tenant_id) {
        (Access::Tenant(own), Some(asked)) if &asked != own => {
            return Err(ApiError::not_found("tenant"))
        }
        (Access::Tenant(own), _) => Some(own.clone()),
        (_, asked) => {
            principal.require_global()?;
            asked
        }
    };
    if body.name.trim().is_empty()
        || body.name.chars().count() > 100
        || body.name.chars().any(char::is_control)
    {
        return Err(invalid("name must be 1 to 100 printable characters".into()));
    }
    validate_permissions(&body.permissions).map_err(invalid)?;
    let row = RoleRow {
        id: IdKind::Role.generate(),
        scope_key: roles::scope_key(tenant_id.as_deref()),
        tenant_id,
        name: body.name.trim().to_string(),
        permissions: serde_json::to_string(&body.permissions).unwrap_or_default(),
        created_at: unix_now(),
    };
    let inserted = row.clone();
    state
        .db
        .run(move |conn| roles::insert(conn, &inserted))
        .await
        .map_err(|e| match ApiError::from(e) {
            conflict if conflict.code == "conflict" => {
                ApiError::conflict("role_exists", "a role with this name exists here")
            }
            missing if missing.code == "unknown_reference" => ApiError::not_found("tenant"),
            other => other,
        })?;
    Ok(HttpResponse::Created().json(Role::from(row)))
}

#[utoipa::path(get, operation_id = "list_roles", path = "/v1/roles", tag = "access",
    responses((status = 200, body = Vec<Role>)), security(("bearer" = []), ("basic" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let tenant_id = principal.tenant_filter(None)?;
    let rows = state
        .db
        .run(move |conn| roles::find_visible(conn, tenant_id.as_deref(), None))
        .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(Role::from).collect::<Vec<_>>()))
}

/// The role `id` if the caller may see it; global roles are visible to every admin, changeable by global admins.
async fn find_visible(
    state: &AppState,
    principal: &Principal,
    id: String,
    change: bool,
) -> Result<RoleRow, ApiError> {
    principal.require_admin()?;
    let row = state
        .db
        .run(move |conn| roles::find_by_id(conn, &id))
        .await?;
    let visible = |r: &RoleRow| match &r.tenant_id {
        None => !change || principal.access == Access::Global,
        tenant => principal.can_see(tenant.as_deref()),
    };
    row.filter(visible)
        .ok_or_else(|| ApiError::not_found("role"))
}

#[utoipa::path(get, operation_id = "get_role", path = "/v1/roles/{id}", tag = "access",
    responses((status = 200, body = Role), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn show(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(Role::from(
        find_visible(&state, &principal, id.into_inner(), false).await?,
    )))
}

#[utoipa::path(patch, operation_id = "update_role", path = "/v1/roles/{id}", tag = "access", request_body = UpdateRole,
    responses((status = 200, body = Role), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    body: web::Json<UpdateRole>,
) -> Result<HttpResponse, ApiError> {
    let mut row = find_visible(&state, &principal, id.into_inner(), true).await?;
    validate_permissions(&body.permissions).map_err(invalid)?;
    row.permissions = serde_json::to_string(&body.permissions).unwrap_or_default();
    let (id, permissions) = (row.id.clone(), row.permissions.clone());
    state
        .db
        .run(move |conn| roles::update_permissions(conn, &id, &permissions))
        .await?;
    Ok(HttpResponse::Ok().json(Role::from(row)))
}

#[utoipa::path(delete, operation_id = "delete_role", path = "/v1/roles/{id}", tag = "access",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = find_visible(&state, &principal, id.into_inner(), true).await?;
    state
        .db
        .run(move |conn| roles::delete_by_id(conn, &row.id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
