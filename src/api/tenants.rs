//! `/v1/tenants`: create, list, show, change, delete.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::Principal;
use super::{Page, PageQuery};
use crate::db::tenants::{self, Tenant};
use crate::domain::ids::TenantId;
use crate::domain::tenant::TenantSpec;
use crate::domain::ttl::TtlOverrides;
use crate::error::ApiError;
use crate::service::tenants::{self as service, TenantChanges as UpdateTenant};
use crate::state::AppState;

/// A new tenant.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: String,
    /// 1–63 lowercase letters, digits and inner dashes; unique.
    #[schema(pattern = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    pub slug: String,
    /// Token lifetime overrides for the tenant's clients.
    #[serde(default)]
    pub ttl: TtlOverrides,
}

#[utoipa::path(operation_id = "create_tenant", post, path = "/v1/tenants", tag = "tenants", request_body = CreateTenant,
    responses((status = 201, body = Tenant), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<CreateTenant>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let spec = TenantSpec {
        name: body.name,
        slug: body.slug,
        ttl: body.ttl,
    };
    let config = state.config.clone();
    let tenant = state
        .change(move |conn| service::create(conn, &config, &principal.actor, spec))
        .await?;
    Ok(HttpResponse::Created().json(tenant))
}

#[utoipa::path(operation_id = "list_tenants", get, path = "/v1/tenants", tag = "tenants", params(PageQuery),
    responses((status = 200, body = Page<Tenant>)), security(("bearer" = []), ("basic" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let only = principal.tenant_filter(None)?;
    let (limit, cursor) = (page.limit(), page.cursor.clone());
    let rows = state
        .db
        .run(move |conn| match only {
            Some(id) => tenants::find_by_id(conn, &id).map(|t| t.into_iter().collect()),
            None => tenants::list(conn, cursor.as_deref(), limit + 1),
        })
        .await?;
    let tenants = rows.into_iter().map(Tenant::from).collect();
    Ok(HttpResponse::Ok().json(Page::from_rows(tenants, limit, |t: &Tenant| t.id.clone())))
}

#[utoipa::path(operation_id = "get_tenant", get, path = "/v1/tenants/{id}", params(("id" = inline(TenantId), Path)), tag = "tenants",
    responses((status = 200, body = Tenant), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn show(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<TenantId>,
) -> Result<HttpResponse, ApiError> {
    let row = state
        .db
        .run_as(move |conn| service::find_visible(conn, &principal, &id))
        .await?;
    Ok(HttpResponse::Ok().json(Tenant::from(row)))
}

#[utoipa::path(operation_id = "update_tenant", patch, path = "/v1/tenants/{id}", params(("id" = inline(TenantId), Path)), tag = "tenants", request_body = UpdateTenant,
    responses((status = 200, body = Tenant), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<TenantId>,
    body: web::Json<UpdateTenant>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.into_inner();
    let config = state.config.clone();
    let tenant = state
        .change(move |conn| service::update(conn, &config, &principal.actor, &id, changes))
        .await?;
    Ok(HttpResponse::Ok().json(tenant))
}

#[utoipa::path(operation_id = "delete_tenant", delete, path = "/v1/tenants/{id}", params(("id" = inline(TenantId), Path)), tag = "tenants",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<TenantId>,
) -> Result<HttpResponse, ApiError> {
    let config = state.config.clone();
    state
        .change(move |conn| service::delete(conn, &config, &principal.actor, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
