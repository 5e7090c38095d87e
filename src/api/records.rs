//! `/v1/records`: access records — who (users, clients) holds which roles on which resources, and who may change
//! the record (its admins, besides the tenant's admins).

use actix_web::{web, HttpResponse};

use super::auth::Principal;
use super::{Page, PageQuery};
use crate::domain::ids::RecordId;
use crate::error::ApiError;
use crate::service::records::{self as service};
pub use crate::service::records::{Record, RecordInput as RecordBody};
use crate::state::AppState;

#[utoipa::path(post, operation_id = "create_record", path = "/v1/records", tag = "access", request_body = RecordBody,
    responses((status = 201, body = Record), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<RecordBody>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let record = state
        .change(move |conn| service::create(conn, &principal.actor, input))
        .await?;
    Ok(HttpResponse::Created().json(record))
}

#[utoipa::path(get, operation_id = "list_records", path = "/v1/records", tag = "access", params(PageQuery),
    responses((status = 200, body = Page<Record>)), security(("bearer" = []), ("basic" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, cursor) = (page.limit(), page.cursor.clone());
    let records = state
        .db
        .run_as(move |conn| service::list(conn, &principal, cursor.as_deref(), limit + 1))
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(records, limit, |r: &Record| r.id.clone())))
}

#[utoipa::path(get, operation_id = "get_record", path = "/v1/records/{id}", params(("id" = inline(RecordId), Path)), tag = "access",
    responses((status = 200, body = Record), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn show(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<RecordId>,
) -> Result<HttpResponse, ApiError> {
    let (row, subjects, _) = state
        .db
        .run_as(move |conn| service::find_visible(conn, &principal, &id))
        .await?;
    Ok(HttpResponse::Ok().json(Record::new(row, subjects)))
}

#[utoipa::path(put, operation_id = "replace_record", path = "/v1/records/{id}", params(("id" = inline(RecordId), Path)), tag = "access", request_body = RecordBody,
    description = "A user who administers the record may grant only what they hold themselves, and name only users and clients of the record's tenant.",
    responses((status = 200, body = Record), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn replace(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<RecordId>,
    body: web::Json<RecordBody>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let record = state
        .change(move |conn| service::replace(conn, &principal.actor, &id, input))
        .await?;
    Ok(HttpResponse::Ok().json(record))
}

#[utoipa::path(delete, operation_id = "delete_record", path = "/v1/records/{id}", params(("id" = inline(RecordId), Path)), tag = "access",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<RecordId>,
) -> Result<HttpResponse, ApiError> {
    state
        .change(move |conn| service::delete(conn, &principal.actor, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
