//! `/v1/tenants/{id}/users`: the people of a tenant, who sign in with a username and password.

use actix_web::{web, HttpResponse};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::auth::Principal;
use super::{Page, PageQuery};
use crate::audit::AuditEvent;
use crate::crypto::password;
use crate::db::refresh_tokens;
use crate::db::users::{self, User, UserRow};
use crate::domain::ids::IdKind;
use crate::domain::unix_now;
use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tenants/{id}/users", web::post().to(create))
        .route("/tenants/{id}/users", web::get().to(list))
        .route("/tenants/{id}/users/{user_id}", web::get().to(show))
        .route("/tenants/{id}/users/{user_id}", web::patch().to(update))
        .route("/tenants/{id}/users/{user_id}", web::delete().to(delete));
}

/// A new user.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Unique in the tenant, case-insensitively.
    pub username: String,
    /// 8 to 256 characters; stored only as an argon2id hash.
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
    pub display_name: Option<String>,
}

/// Changes to a user; absent fields stay as they are. A new password or disabling ends the user's sign-ins.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[schema(value_type = Option<String>, format = Password)]
    pub password: Option<SecretString>,
    pub display_name: Option<String>,
    pub disabled: Option<bool>,
}

fn check_username(username: &str) -> Result<(), ApiError> {
    let length = username.trim().chars().count();
    if length == 0 || length > 100 || username.chars().any(char::is_control) {
        return Err(ApiError::unprocessable(
            "invalid_user",
            "username must be 1 to 100 printable characters",
        ));
    }
    Ok(())
}

fn check_password(candidate: &SecretString) -> Result<(), ApiError> {
    password::check_policy(candidate.expose_secret())
        .map_err(|e| ApiError::unprocessable("weak_password", e))
}

/// The tenant id from the path, if the caller administers it.
fn visible_tenant(principal: &Principal, tenant_id: &str) -> Result<(), ApiError> {
    principal.require_admin()?;
    match principal.can_see(Some(tenant_id)) {
        true => Ok(()),
        false => Err(ApiError::not_found("tenant")),
    }
}

async fn find_user(
    state: &AppState,
    tenant_id: &str,
    user_id: String,
) -> Result<UserRow, ApiError> {
    let user = state
        .db
        .run(move |conn| users::find_by_id(conn, &user_id))
        .await?;
    user.filter(|u| u.tenant_id == tenant_id)
        .ok_or_else(|| ApiError::not_found("user"))
}

#[utoipa::path(post, operation_id = "create_user", path = "/v1/tenants/{id}/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = User), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    tenant_id: web::Path<String>,
    body: web::Json<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let tenant_id = tenant_id.into_inner();
    visible_tenant(&principal, &tenant_id)?;
    let body = body.into_inner();
    check_username(&body.username)?;
    check_password(&body.password)?;
    let hash = state
        .passwords
        .hash(body.password)
        .await
        .map_err(ApiError::internal)?;
    let now = unix_now();
    let row = UserRow {
        id: IdKind::User.generate(),
        tenant_id: tenant_id.clone(),
        username: body.username.trim().to_string(),
        username_key: users::username_key(&body.username),
        password_hash: hash,
        display_name: body.display_name,
        disabled: false,
        created_at: now,
        password_changed_at: now,
    };
    let inserted = row.clone();
    state
        .db
        .run(move |conn| users::insert(conn, &inserted))
        .await
        .map_err(|e| match ApiError::from(e) {
            conflict if conflict.code == "conflict" => {
                ApiError::conflict("username_taken", "this username is taken in the tenant")
            }
            missing if missing.code == "unknown_reference" => ApiError::not_found("tenant"),
            other => other,
        })?;
    state.audit.record(AuditEvent {
        tenant_id: Some(tenant_id),
        actor: Some(principal.subject),
        target: Some(row.id.clone()),
        ..AuditEvent::new("user.created")
    });
    Ok(HttpResponse::Created().json(User::from(row)))
}

#[utoipa::path(get, operation_id = "list_users", path = "/v1/tenants/{id}/users", tag = "users", params(PageQuery),
    responses((status = 200, body = Page<User>), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    tenant_id: web::Path<String>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let tenant_id = tenant_id.into_inner();
    visible_tenant(&principal, &tenant_id)?;
    let (limit, cursor) = (page.limit(), page.cursor.clone());
    let rows = state
        .db
        .run(move |conn| users::list(conn, &tenant_id, cursor.as_deref(), limit + 1))
        .await?;
    let all = rows.into_iter().map(User::from).collect();
    Ok(HttpResponse::Ok().json(Page::from_rows(all, limit, |u: &User| u.id.clone())))
}

#[utoipa::path(get, operation_id = "get_user", path = "/v1/tenants/{id}/users/{user_id}", tag = "users",
    responses((status = 200, body = User), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn show(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (tenant_id, user_id) = path.into_inner();
    visible_tenant(&principal, &tenant_id)?;
    Ok(HttpResponse::Ok().json(User::from(find_user(&state, &tenant_id, user_id).await?)))
}

#[utoipa::path(patch, operation_id = "update_user", path = "/v1/tenants/{id}/users/{user_id}", tag = "users", request_body = UpdateUser,
    responses((status = 200, body = User), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(String, String)>,
    body: web::Json<UpdateUser>,
) -> Result<HttpResponse, ApiError> {
    let (tenant_id, user_id) = path.into_inner();
    visible_tenant(&principal, &tenant_id)?;
    let mut row = find_user(&state, &tenant_id, user_id).await?;
    let body = body.into_inner();
    let now = unix_now();
    let ends_sign_ins = body.password.is_some() || body.disabled == Some(true);
    if let Some(new_password) = body.password {
        check_password(&new_password)?;
        row.password_hash = state
            .passwords
            .hash(new_password)
            .await
            .map_err(ApiError::internal)?;
        row.password_changed_at = now;
    }
    row.display_name = body.display_name.or(row.display_name);
    row.disabled = body.disabled.unwrap_or(row.disabled);
    let (stored, user_id) = (row.clone(), row.id.clone());
    state
        .db
        .run(move |conn| {
            users::update(conn, &stored)?;
            if ends_sign_ins {
                refresh_tokens::revoke_for_user(conn, &user_id, now)?;
            }
            Ok(())
        })
        .await?;
    state.audit.record(AuditEvent {
        tenant_id: Some(tenant_id),
        actor: Some(principal.subject),
        target: Some(row.id.clone()),
        ..AuditEvent::new("user.updated")
    });
    Ok(HttpResponse::Ok().json(User::from(row)))
}

#[utoipa::path(delete, operation_id = "delete_user", path = "/v1/tenants/{id}/users/{user_id}", tag = "users",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (tenant_id, user_id) = path.into_inner();
    visible_tenant(&principal, &tenant_id)?;
    let user = find_user(&state, &tenant_id, user_id).await?;
    let id = user.id.clone();
    state
        .db
        .run(move |conn| users::delete_by_id(conn, &id))
        .await?;
    state.audit.record(AuditEvent {
        tenant_id: Some(tenant_id),
        actor: Some(principal.subject),
        target: Some(user.id),
        ..AuditEvent::new("user.deleted")
    });
    Ok(HttpResponse::NoContent().finish())
}
