//! `/v1/trusted-issuers`: the external issuers a tenant trusts, and the rules mapping their tokens to its clients.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::Principal;
use super::{Page, PageQuery};
use crate::domain::ids::TrustedIssuerId;
use crate::error::ApiError;
use crate::service::trusted_issuers::{self as service};
pub use crate::service::trusted_issuers::{TrustedIssuer, TrustedIssuerInput as TrustedIssuerBody};
use crate::state::AppState;

#[utoipa::path(post, operation_id = "create_trusted_issuer", path = "/v1/trusted-issuers", tag = "trusted-issuers", request_body = TrustedIssuerBody,
    responses((status = 201, body = TrustedIssuer), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<TrustedIssuerBody>,
) -> Result<HttpResponse, ApiError> {
    let (input, policy) = (body.into_inner(), state.config.trusted_issuer_urls());
    let trust = state
        .change(move |conn| service::create(conn, &principal.actor, policy, input))
        .await?;
    Ok(HttpResponse::Created().json(trust))
}

/// `?tenant_id=`: one tenant's trusts (global admins).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrustFilter {
    pub tenant_id: Option<String>,
}

#[utoipa::path(get, operation_id = "list_trusted_issuers", path = "/v1/trusted-issuers", tag = "trusted-issuers", params(PageQuery, TrustFilter),
    responses((status = 200, body = Page<TrustedIssuer>)), security(("bearer" = []), ("basic" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
    filter: web::Query<TrustFilter>,
) -> Result<HttpResponse, ApiError> {
    let (limit, cursor, tenant_id) = (
        page.limit(),
        page.cursor.clone(),
        filter.into_inner().tenant_id,
    );
    let trusts = state
        .db
        .run_as(move |conn| {
            service::list(conn, &principal, tenant_id, cursor.as_deref(), limit + 1)
        })
        .await?;
    Ok(
        HttpResponse::Ok().json(Page::from_rows(trusts, limit, |t: &TrustedIssuer| {
            t.id.clone()
        })),
    )
}

#[utoipa::path(get, operation_id = "get_trusted_issuer", path = "/v1/trusted-issuers/{id}", params(("id" = inline(TrustedIssuerId), Path)), tag = "trusted-issuers",
    responses((status = 200, body = TrustedIssuer), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn show(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<TrustedIssuerId>,
) -> Result<HttpResponse, ApiError> {
    let row = state
        .db
        .run_as(move |conn| service::find_visible(conn, &principal, &id))
        .await?;
    Ok(HttpResponse::Ok().json(TrustedIssuer::from(row)))
}

#[utoipa::path(put, operation_id = "replace_trusted_issuer", path = "/v1/trusted-issuers/{id}", params(("id" = inline(TrustedIssuerId), Path)), tag = "trusted-issuers",
    request_body = TrustedIssuerBody,
    responses((status = 200, body = TrustedIssuer), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn replace(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<TrustedIssuerId>,
    body: web::Json<TrustedIssuerBody>,
) -> Result<HttpResponse, ApiError> {
    let (input, policy) = (body.into_inner(), state.config.trusted_issuer_urls());
    let trust = state
        .change(move |conn| service::replace(conn, &principal.actor, policy, &id, input))
        .await?;
    Ok(HttpResponse::Ok().json(trust))
}

#[utoipa::path(delete, operation_id = "delete_trusted_issuer", path = "/v1/trusted-issuers/{id}", params(("id" = inline(TrustedIssuerId), Path)), tag = "trusted-issuers",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<TrustedIssuerId>,
) -> Result<HttpResponse, ApiError> {
    state
        .change(move |conn| service::delete(conn, &principal.actor, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
