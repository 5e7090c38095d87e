//! `/v1/tenants`: create, list, show, change, delete.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::Principal;
use super::{Page, PageQuery};
use crate::audit::AuditEvent;
use crate::db::tenants::{self, Tenant, TenantRow};
use crate::domain::tenant::TenantSpec;
use crate::domain::ttl::TtlOverrides;
use crate::domain::unix_now;
use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tenants", web::post().to(create))
        .route("/tenants", web::get().to(list))
        .route("/tenants/{id}", web::get().to(show))
        .route("/tenants/{id}", web::patch().to(update))
        .route("/tenants/{id}", web::delete().to(delete));
}

/// A new tenant.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    pub name: String,
    /// 1–63 lowercase letters, digits and inner dashes; unique.
    pub slug: String,
    /// Token lifetime overrides for the tenant's clients.
    #[serde(default)]
    pub ttl: TtlOverrides,
}

/// Changes to a tenant; absent fields stay as they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenant {
    pub name: Option<String>,
    pub ttl: Option<TtlOverrides>,
}

#[utoipa::path(operation_id = "create_tenant", post, path = "/v1/tenants", tag = "tenants", request_body = CreateTenant,
    responses((status = 201, body = Tenant), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<CreateTenant>,
) -> Result<HttpResponse, ApiError> {
    principal.require_global()?;
    let body = body.into_inner();
    let spec = TenantSpec {
        name: body.name,
        slug: body.slug,
        ttl: body.ttl,
    };
    spec.validate(state.config.max_access_token_ttl)
        .map_err(|e| ApiError::unprocessable("invalid_tenant", e.to_string()))?;
    let row = TenantRow::new(&spec, unix_now());
    let inserted = row.clone();
    state
        .db
        .run(move |conn| tenants::insert(conn, &inserted))
        .await
        .map_err(|e| match ApiError::from(e) {
            conflict if conflict.code == "conflict" => {
                ApiError::conflict("slug_taken", format!("slug {:?} is taken", row.slug))
            }
            other => other,
        })?;
    state.audit.record(AuditEvent {
        tenant_id: Some(row.id.clone()),
        actor: Some(principal.subject.clone()),
        target: Some(row.id.clone()),
        ..AuditEvent::new("tenant.created")
    });
    Ok(HttpResponse::Created().json(Tenant::from(row)))
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

/// The tenant `id` if the caller may see it.
async fn find_visible(
    state: &AppState,
    principal: &Principal,
    id: String,
) -> Result<TenantRow, ApiError> {
    principal.require_admin()?;
    let row = state
        .db
        .run(move |conn| tenants::find_by_id(conn, &id))
        .await?;
    row.filter(|t| principal.can_see(Some(&t.id)))
        .ok_or_else(|| ApiError::not_found("tenant"))
}

#[utoipa::path(operation_id = "get_tenant", get, path = "/v1/tenants/{id}", tag = "tenants",
    responses((status = 200, body = Tenant), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn show(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = find_visible(&state, &principal, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(Tenant::from(row)))
}

#[utoipa::path(operation_id = "update_tenant", patch, path = "/v1/tenants/{id}", tag = "tenants", request_body = UpdateTenant,
    responses((status = 200, body = Tenant), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    body: web::Json<UpdateTenant>,
) -> Result<HttpResponse, ApiError> {
    principal.require_global()?;
    let mut row = find_visible(&state, &principal, id.into_inner()).await?;
    let body = body.into_inner();
    let spec = TenantSpec {
        name: body.name.unwrap_or(row.name.clone()),
        slug: row.slug.clone(),
        ttl: body
            .ttl
            .unwrap_or_else(|| TtlOverrides::from_json(&row.ttl)),
    };
    spec.validate(state.config.max_access_token_ttl)
        .map_err(|e| ApiError::unprocessable("invalid_tenant", e.to_string()))?;
    (row.name, row.ttl) = (spec.name.trim().to_string(), spec.ttl.to_json());
    let updated = row.clone();
    state
        .db
        .run(move |conn| tenants::update(conn, &updated))
        .await?;
    let tenant_id = row.id.clone();
    state.forget_keys(move |entry| entry.client.tenant_id.as_deref() == Some(tenant_id.as_str()));
    Ok(HttpResponse::Ok().json(Tenant::from(row)))
}

#[utoipa::path(operation_id = "delete_tenant", delete, path = "/v1/tenants/{id}", tag = "tenants",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    principal.require_global()?;
    let id = id.into_inner();
    let target = id.clone();
    if !state
        .db
        .run(move |conn| tenants::delete_by_id(conn, &target))
        .await?
    {
        return Err(ApiError::not_found("tenant"));
    }
    let tenant_id = id.clone();
    state.forget_keys(move |entry| entry.client.tenant_id.as_deref() == Some(tenant_id.as_str()));
    state.audit.record(AuditEvent {
        tenant_id: Some(id.clone()),
        actor: Some(principal.subject),
        target: Some(id),
        ..AuditEvent::new("tenant.deleted")
    });
    Ok(HttpResponse::NoContent().finish())
}
