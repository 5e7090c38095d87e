//! `/v1/tenants/{id}/users`: the people of a tenant, who sign in with a username and password.

use actix_web::{web, HttpResponse};
use secrecy::SecretString;
use serde::Deserialize;

use super::auth::Principal;
use super::{Page, PageQuery};
use crate::db::users::{self, User};
use crate::domain::ids::{TenantId, UserId};
use crate::error::ApiError;
use crate::service::users::{self as service, NewUser, UserChanges};
use crate::state::AppState;

/// A new user.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Unique in the tenant, case-insensitively.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub username: String,
    /// 8 to 256 characters; stored only as an argon2id hash.
    #[schema(value_type = String, format = Password, min_length = 8, max_length = 256)]
    pub password: SecretString,
    /// Shown as the OpenID Connect `name` claim.
    pub display_name: Option<String>,
    /// Unique in the tenant, case-insensitively; the `email` claim.
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    /// Whether the product checked that the address is the user's (the `email_verified` claim); needs `email`.
    #[serde(default)]
    pub email_verified: bool,
    /// Administers the tenant in the management console (`/console`).
    #[serde(default)]
    pub tenant_admin: bool,
}

/// Changes to a user; absent fields stay as they are. A new password or disabling ends the user's sign-ins.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[schema(value_type = Option<String>, format = Password, min_length = 8, max_length = 256)]
    pub password: Option<SecretString>,
    pub display_name: Option<String>,
    /// A new address (unverified unless `email_verified` says so), or `null` to remove it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = Email, max_length = 254, nullable)]
    pub email: Option<Option<String>>,
    pub email_verified: Option<bool>,
    pub disabled: Option<bool>,
    pub tenant_admin: Option<bool>,
}

/// A field that may be sent as `null`: `Some(None)`, told apart from an absent one (`None`, the default).
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// The argon2id hash of a password that meets the policy, made on the blocking pool.
async fn hashed(state: &AppState, password: SecretString) -> Result<String, ApiError> {
    service::check_password(&password)?;
    state
        .passwords
        .hash(password)
        .await
        .map_err(ApiError::internal)
}

#[utoipa::path(post, operation_id = "create_user", path = "/v1/tenants/{id}/users", params(("id" = inline(TenantId), Path)), tag = "users", request_body = CreateUser,
    responses((status = 201, body = User), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    tenant_id: web::Path<TenantId>,
    body: web::Json<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    service::ensure_administers(&principal, tenant_id.as_str())?;
    let body = body.into_inner();
    let new = NewUser {
        password_hash: hashed(&state, body.password).await?,
        username: body.username,
        display_name: body.display_name,
        email: body.email,
        email_verified: body.email_verified,
        tenant_admin: body.tenant_admin,
    };
    let user = state
        .change(move |conn| service::create(conn, &principal.actor, &tenant_id, new))
        .await?;
    Ok(HttpResponse::Created().json(user))
}

#[utoipa::path(get, operation_id = "list_users", path = "/v1/tenants/{id}/users", tag = "users", params(("id" = inline(TenantId), Path), PageQuery),
    responses((status = 200, body = Page<User>), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    tenant_id: web::Path<TenantId>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let tenant_id = tenant_id.into_inner();
    service::ensure_administers(&principal, tenant_id.as_str())?;
    let (limit, cursor) = (page.limit(), page.cursor.clone());
    let rows = state
        .db
        .run(move |conn| users::list(conn, tenant_id.as_str(), cursor.as_deref(), limit + 1))
        .await?;
    let all = rows.into_iter().map(User::from).collect();
    Ok(HttpResponse::Ok().json(Page::from_rows(all, limit, |u: &User| u.id.clone())))
}

#[utoipa::path(get, operation_id = "get_user", path = "/v1/tenants/{id}/users/{user_id}", params(("id" = inline(TenantId), Path), ("user_id" = inline(UserId), Path)), tag = "users",
    responses((status = 200, body = User), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn show(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(TenantId, UserId)>,
) -> Result<HttpResponse, ApiError> {
    let (tenant_id, user_id) = path.into_inner();
    let user = state
        .db
        .run_as(move |conn| service::find_visible(conn, &principal, &tenant_id, &user_id))
        .await?;
    Ok(HttpResponse::Ok().json(User::from(user)))
}

#[utoipa::path(patch, operation_id = "update_user", path = "/v1/tenants/{id}/users/{user_id}", params(("id" = inline(TenantId), Path), ("user_id" = inline(UserId), Path)), tag = "users", request_body = UpdateUser,
    responses((status = 200, body = User), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(TenantId, UserId)>,
    body: web::Json<UpdateUser>,
) -> Result<HttpResponse, ApiError> {
    let (tenant_id, user_id) = path.into_inner();
    service::ensure_administers(&principal, tenant_id.as_str())?;
    let body = body.into_inner();
    let password_hash = match body.password {
        Some(password) => Some(hashed(&state, password).await?),
        None => None,
    };
    let changes = UserChanges {
        password_hash,
        display_name: body.display_name,
        email: body.email,
        email_verified: body.email_verified,
        disabled: body.disabled,
        tenant_admin: body.tenant_admin,
    };
    let config = state.config.clone();
    let user = state
        .change(move |conn| {
            service::update(
                conn,
                &config,
                &principal.actor,
                &tenant_id,
                &user_id,
                changes,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(user))
}

#[utoipa::path(delete, operation_id = "delete_user", path = "/v1/tenants/{id}/users/{user_id}", params(("id" = inline(TenantId), Path), ("user_id" = inline(UserId), Path)), tag = "users",
    description = "Deletes the user, the service clients they own (with their keys and records), their refresh tokens, sessions and access tokens.",
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(TenantId, UserId)>,
) -> Result<HttpResponse, ApiError> {
    let (tenant_id, user_id) = path.into_inner();
    let config = state.config.clone();
    state
        .change(move |conn| service::delete(conn, &config, &principal.actor, &tenant_id, &user_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
