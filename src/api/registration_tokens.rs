//! `/v1/tenants/{id}/registration-tokens`: initial access tokens with which clients register themselves at
//! `POST /oauth/register` (RFC 7591 §3), each bounded by its uses, its expiry and its policy; and
//! `/v1/tenants/{id}/open-registration`, which lets them register without one, under a stricter policy.

use actix_web::{web, HttpResponse};

use super::auth::Principal;
use super::{Page, PageQuery};
use crate::domain::ids::{RegistrationTokenId, TenantId};
use crate::domain::registration::OpenRegistrationInput;
use crate::error::ApiError;
use crate::service::registrations::{
    self as service, OpenRegistration, RegistrationToken, RegistrationTokenInput,
};
use crate::state::AppState;

#[utoipa::path(post, operation_id = "create_registration_token", path = "/v1/tenants/{id}/registration-tokens", params(("id" = inline(TenantId), Path)), tag = "registration",
    request_body = RegistrationTokenInput,
    responses((status = 201, body = RegistrationToken), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    tenant_id: web::Path<TenantId>,
    body: web::Json<RegistrationTokenInput>,
) -> Result<HttpResponse, ApiError> {
    let (tenant_id, input) = (tenant_id.into_inner(), body.into_inner());
    let token = state
        .change(move |conn| service::create_token(conn, &principal.actor, &tenant_id, input))
        .await?;
    Ok(HttpResponse::Created().json(token))
}

#[utoipa::path(get, operation_id = "list_registration_tokens", path = "/v1/tenants/{id}/registration-tokens", tag = "registration",
    params(("id" = inline(TenantId), Path), PageQuery),
    responses((status = 200, body = Page<RegistrationToken>), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    tenant_id: web::Path<TenantId>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (tenant_id, limit, cursor) = (tenant_id.into_inner(), page.limit(), page.cursor.clone());
    let tokens = state
        .db
        .run_as(move |conn| {
            service::list_tokens(conn, &principal, &tenant_id, cursor.as_deref(), limit + 1)
        })
        .await?;
    Ok(
        HttpResponse::Ok().json(Page::from_rows(tokens, limit, |t: &RegistrationToken| {
            t.id.clone()
        })),
    )
}

#[utoipa::path(delete, operation_id = "delete_registration_token", path = "/v1/tenants/{id}/registration-tokens/{token_id}", tag = "registration",
    params(("id" = inline(TenantId), Path), ("token_id" = inline(RegistrationTokenId), Path)),
    responses((status = 204, description = "Deleted: it registers no more clients; those it registered stay"), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(TenantId, RegistrationTokenId)>,
) -> Result<HttpResponse, ApiError> {
    let (tenant_id, id) = path.into_inner();
    state
        .change(move |conn| service::delete_token(conn, &principal.actor, &tenant_id, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, operation_id = "get_open_registration", path = "/v1/tenants/{id}/open-registration", params(("id" = inline(TenantId), Path)), tag = "registration",
    responses((status = 200, body = OpenRegistration), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn show_open(
    state: web::Data<AppState>,
    principal: Principal,
    tenant_id: web::Path<TenantId>,
) -> Result<HttpResponse, ApiError> {
    let tenant_id = tenant_id.into_inner();
    let open = state
        .db
        .run_as(move |conn| service::open_registration(conn, &principal, &tenant_id))
        .await?;
    Ok(HttpResponse::Ok().json(open))
}

#[utoipa::path(put, operation_id = "open_registration", path = "/v1/tenants/{id}/open-registration", params(("id" = inline(TenantId), Path)), tag = "registration",
    description = "Lets clients register at `POST /oauth/register` without an initial access token, within this policy: its grants, scopes (never keygate's own) and the most clients registered this way at once.",
    request_body = OpenRegistrationInput,
    responses((status = 200, body = OpenRegistration), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn open(
    state: web::Data<AppState>,
    principal: Principal,
    tenant_id: web::Path<TenantId>,
    body: web::Json<OpenRegistrationInput>,
) -> Result<HttpResponse, ApiError> {
    let (tenant_id, policy) = (tenant_id.into_inner(), body.into_inner().into());
    let open = state
        .change(move |conn| {
            service::set_open_registration(conn, &principal.actor, &tenant_id, Some(policy))
        })
        .await?;
    Ok(HttpResponse::Ok().json(open))
}

#[utoipa::path(delete, operation_id = "close_registration", path = "/v1/tenants/{id}/open-registration", params(("id" = inline(TenantId), Path)), tag = "registration",
    responses((status = 204, description = "Off: registration needs an initial access token again; the clients registered stay"), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn close(
    state: web::Data<AppState>,
    principal: Principal,
    tenant_id: web::Path<TenantId>,
) -> Result<HttpResponse, ApiError> {
    let tenant_id = tenant_id.into_inner();
    state
        .change(move |conn| {
            service::set_open_registration(conn, &principal.actor, &tenant_id, None)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
