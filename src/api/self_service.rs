//! `/v1/self/clients`: a signed-in user's own service clients. One call makes the client, the access record that
//! limits it (to resources the user may grant) and its first key, all or nothing.

use actix_web::{web, HttpResponse};

use super::auth::Principal;
use crate::domain::ids::{AccessKeyId, ClientId};
use crate::error::ApiError;
use crate::service::own_clients::{self as service};
pub use crate::service::own_clients::{NewOwnClient as CreateOwnClient, OwnClient};
use crate::state::AppState;

#[utoipa::path(post, operation_id = "create_own_client", path = "/v1/self/clients", tag = "self", request_body = CreateOwnClient,
    responses((status = 201, body = OwnClient), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<CreateOwnClient>,
) -> Result<HttpResponse, ApiError> {
    let (config, input) = (state.config.clone(), body.into_inner());
    let answer = state
        .change(move |conn| service::create(conn, &config, &principal.actor, input))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("cache-control", "no-store"))
        .json(answer))
}

#[utoipa::path(get, operation_id = "list_own_clients", path = "/v1/self/clients", tag = "self",
    params(super::PageQuery),
    responses((status = 200, body = super::Page<OwnClient>)), security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<super::PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let clients = state
        .db
        .run_as(move |conn| service::list(conn, &principal))
        .await?;
    Ok(HttpResponse::Ok().json(super::Page::of_all(clients, &page, |c| &c.client.id)))
}

#[utoipa::path(delete, operation_id = "delete_own_client", path = "/v1/self/clients/{id}", params(("id" = inline(ClientId), Path)), tag = "self",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<ClientId>,
) -> Result<HttpResponse, ApiError> {
    let config = state.config.clone();
    state
        .change(move |conn| service::delete(conn, &config, &principal.actor, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(delete, operation_id = "revoke_own_key", path = "/v1/self/clients/{id}/keys/{key_id}", params(("id" = inline(ClientId), Path), ("key_id" = inline(AccessKeyId), Path)), tag = "self",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = [])))]
pub async fn revoke_key(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(ClientId, AccessKeyId)>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, key_id) = path.into_inner();
    state
        .change(move |conn| service::revoke_key(conn, &principal.actor, &client_id, &key_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
