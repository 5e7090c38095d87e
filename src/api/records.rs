//! `/v1/records`: access records — who (users, clients) holds which roles on which resources, and who may change
//! the record (its admins, besides the tenant's admins).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::auth::{Access, Principal};
use super::{Page, PageQuery};
use crate::audit::AuditEvent;
use crate::db::access_records::{self, AccessRecordRow};
use crate::db::roles;
use crate::domain::access::{self, Statement};
use crate::domain::ids::IdKind;
use crate::domain::unix_now;
use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/records", web::post().to(create))
        .route("/records", web::get().to(list))
        .route("/records/{id}", web::get().to(show))
        .route("/records/{id}", web::put().to(replace))
        .route("/records/{id}", web::delete().to(delete));
}

/// An access record as written (DESIGN.md §7).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// The tenant; a tenant admin's records are always its own. Ignored when replacing.
    pub tenant_id: Option<String>,
    pub name: String,
    /// User and service client ids the statements apply to.
    #[serde(default)]
    pub subjects: Vec<String>,
    /// User ids who may change this record.
    #[serde(default)]
    pub admins: Vec<String>,
    pub statements: Vec<Statement>,
}

/// An access record.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Record {
    pub id: String,
    pub tenant_id: Option<String>,
    pub name: String,
    pub subjects: Vec<String>,
    pub admins: Vec<String>,
    pub statements: Vec<Statement>,
    pub created_at: i64,
}

fn view(row: AccessRecordRow, subjects: Vec<String>) -> Record {
    Record {
        admins: serde_json::from_str(&row.admins).unwrap_or_default(),
        statements: serde_json::from_str(&row.statements).unwrap_or_default(),
        subjects,
        id: row.id,
        tenant_id: row.tenant_id,
        name: row.name,
        created_at: row.created_at,
    }
}

/// Checks the body and that every role it names exists for the tenant; returns the normalized statements.
async fn checked(
    state: &AppState,
    tenant_id: Option<&str>,
    body: &RecordBody,
) -> Result<Vec<Statement>, ApiError> {
    let invalid = |m: String| ApiError::unprocessable("invalid_record", m);
    if body.name.trim().is_empty() || body.name.chars().count() > 200 {
        return Err(invalid("name must be 1 to 200 characters".into()));
    }
    let statements =
        access::validate(&body.subjects, &body.admins, &body.statements).map_err(invalid)?;
    let mut names: Vec<String> = statements.iter().flat_map(|s| s.roles.clone()).collect();
    names.sort();
    names.dedup();
    let (tenant, wanted) = (tenant_id.map(String::from), names.clone());
    let found = state
        .db
        .run(move |conn| roles::find_visible(conn, tenant.as_deref(), Some(&wanted)))
        .await?;
    if let Some(missing) = names.iter().find(|n| !found.iter().any(|r| &r.name == *n)) {
        return Err(invalid(format!("no role named {missing:?} in this tenant")));
    }
    Ok(statements)
}

fn row_of(
    id: String,
    tenant_id: Option<String>,
    body: &RecordBody,
    statements: &[Statement],
    created_at: i64,
) -> AccessRecordRow {
    AccessRecordRow {
        id,
        tenant_id,
        name: body.name.trim().to_string(),
        admins: serde_json::to_string(&body.admins).unwrap_or_default(),
        statements: serde_json::to_string(statements).unwrap_or_default(),
        created_at,
    }
}

#[utoipa::path(post, operation_id = "create_record", path = "/v1/records", tag = "access", request_body = RecordBody,
    responses((status = 201, body = Record), (status = 422, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<RecordBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let tenant_id = match (&principal.access, &body.tenant_id) {
        (Access::Tenant(own), Some(asked)) if asked != own => {
            return Err(ApiError::not_found("tenant"))
        }
        (Access::Tenant(own), _) => Some(own.clone()),
        (_, asked) => {
            principal.require_global()?;
            asked.clone()
        }
    };
    let statements = checked(&state, tenant_id.as_deref(), &body).await?;
    let row = row_of(
        IdKind::AccessRecord.generate(),
        tenant_id,
        &body,
        &statements,
        unix_now(),
    );
    let (stored, subjects) = (row.clone(), body.subjects.clone());
    state
        .db
        .run(move |conn| access_records::save(conn, &stored, &subjects))
        .await
        .map_err(|e| match ApiError::from(e) {
            missing if missing.code == "unknown_reference" => ApiError::not_found("tenant"),
            other => other,
        })?;
    state.audit.record(AuditEvent {
        tenant_id: row.tenant_id.clone(),
        actor: Some(principal.subject),
        target: Some(row.id.clone()),
        ..AuditEvent::new("record.created")
    });
    Ok(HttpResponse::Created().json(view(row, body.subjects)))
}

#[utoipa::path(get, operation_id = "list_records", path = "/v1/records", tag = "access", params(PageQuery),
    responses((status = 200, body = Page<Record>)), security(("bearer" = []), ("basic" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let tenant_id = principal.tenant_filter(None)?;
    let (limit, cursor) = (page.limit(), page.cursor.clone());
    let rows = state
        .db
        .run(move |conn| {
            access_records::list(conn, tenant_id.as_deref(), cursor.as_deref(), limit + 1)
        })
        .await?;
    // Subjects are listed on the single-record answer; the list stays one query.
    let records = rows.into_iter().map(|row| view(row, Vec::new())).collect();
    Ok(HttpResponse::Ok().json(Page::from_rows(records, limit, |r: &Record| r.id.clone())))
}

/// The record `id` if the caller administers its tenant or is one of its admins.
async fn find_visible(
    state: &AppState,
    principal: &Principal,
    id: String,
) -> Result<(AccessRecordRow, Vec<String>), ApiError> {
    let found = state
        .db
        .run(move |conn| access_records::find_by_id(conn, &id))
        .await?;
    let visible = |(row, _): &(AccessRecordRow, Vec<String>)| {
        let admins: Vec<String> = serde_json::from_str(&row.admins).unwrap_or_default();
        principal.can_see(row.tenant_id.as_deref())
            || (principal.tenant_id == row.tenant_id && admins.contains(&principal.subject))
    };
    found
        .filter(visible)
        .ok_or_else(|| ApiError::not_found("record"))
}

#[utoipa::path(get, operation_id = "get_record", path = "/v1/records/{id}", tag = "access",
    responses((status = 200, body = Record), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn show(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (row, subjects) = find_visible(&state, &principal, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view(row, subjects)))
}

#[utoipa::path(put, operation_id = "replace_record", path = "/v1/records/{id}", tag = "access", request_body = RecordBody,
    responses((status = 200, body = Record), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn replace(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    body: web::Json<RecordBody>,
) -> Result<HttpResponse, ApiError> {
    let (existing, _) = find_visible(&state, &principal, id.into_inner()).await?;
    let body = body.into_inner();
    let statements = checked(&state, existing.tenant_id.as_deref(), &body).await?;
    let row = row_of(
        existing.id.clone(),
        existing.tenant_id.clone(),
        &body,
        &statements,
        existing.created_at,
    );
    let (stored, subjects) = (row.clone(), body.subjects.clone());
    state
        .db
        .run(move |conn| access_records::save(conn, &stored, &subjects))
        .await?;
    state.audit.record(AuditEvent {
        tenant_id: row.tenant_id.clone(),
        actor: Some(principal.subject),
        target: Some(row.id.clone()),
        ..AuditEvent::new("record.updated")
    });
    Ok(HttpResponse::Ok().json(view(row, body.subjects)))
}

#[utoipa::path(delete, operation_id = "delete_record", path = "/v1/records/{id}", tag = "access",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (row, _) = find_visible(&state, &principal, id.into_inner()).await?;
    let target = row.id.clone();
    state
        .db
        .run(move |conn| access_records::delete_by_id(conn, &target))
        .await?;
    state.audit.record(AuditEvent {
        tenant_id: row.tenant_id,
        actor: Some(principal.subject),
        target: Some(row.id),
        ..AuditEvent::new("record.deleted")
    });
    Ok(HttpResponse::NoContent().finish())
}
