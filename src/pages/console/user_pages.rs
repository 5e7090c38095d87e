//! `/console/tenants/{id}/users`: a tenant's users, and a new one (a tenant administrator among them, if ticked).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use secrecy::SecretString;

use super::{page, render, see_other, Admin, AdminForm, Nav};
use crate::db::tenants::{self, TenantRow};
use crate::db::users::{self, User};
use crate::domain::ids::{TenantId, UserId};
use crate::pages::extract::PageError;
use crate::service::users::{self as service, NewUser, UserChanges};
use crate::service::ServiceError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "console/users.html")]
struct UsersPage<'a> {
    nav: Nav,
    tenant: &'a TenantRow,
    users: &'a [User],
    form: &'a NewUserForm,
    error: Option<&'a PageError>,
}

/// What the new-user form held, to show again with its error.
#[derive(Default)]
struct NewUserForm {
    username: String,
    display_name: String,
    email: String,
    tenant_admin: bool,
}

async fn users_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    tenant_id: TenantId,
    status: StatusCode,
    form: &NewUserForm,
    error: Option<&PageError>,
) -> Result<HttpResponse, PageError> {
    service::ensure_administers(&admin.actor, tenant_id.as_str())?;
    let (tenant, all) = state
        .db
        .run_as(move |conn| {
            let tenant = tenants::find_by_id(conn, tenant_id.as_str())?
                .ok_or(ServiceError::NotFound("tenant"))?;
            let all = users::list(conn, tenant_id.as_str(), None, i64::MAX)?;
            Ok::<_, ServiceError>((tenant, all.into_iter().map(User::from).collect::<Vec<_>>()))
        })
        .await?;
    Ok(page(req, state, admin, status, |nav| {
        render(UsersPage {
            nav,
            tenant: &tenant,
            users: &all,
            form,
            error,
        })
    }))
}

/// A tenant id from the path; one of no tenant id's shape is no tenant.
fn tenant_id(path: &str) -> Result<TenantId, PageError> {
    TenantId::parse(path).map_err(|_| ServiceError::NotFound("tenant").into())
}

/// `GET /console/tenants/{id}/users`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let tenant_id = tenant_id(&path)?;
    users_page(
        &req,
        &state,
        &admin,
        tenant_id,
        StatusCode::OK,
        &NewUserForm::default(),
        None,
    )
    .await
}

/// `POST /console/tenants/{id}/users`: a new user, then the list.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    AdminForm { admin, form }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let tenant_id = tenant_id(&path)?;
    let field = |name: &str| form.get(name).unwrap_or_default().trim().to_string();
    let typed = NewUserForm {
        username: field("username"),
        display_name: field("display_name"),
        email: field("email"),
        tenant_admin: form.get("tenant_admin") == Some("on"),
    };
    let password = SecretString::from(form.get("password").unwrap_or_default().to_string());
    let created = async {
        service::ensure_administers(&admin.actor, tenant_id.as_str())?;
        service::check_password(&password)?;
        let password_hash = state
            .passwords
            .hash(password)
            .await
            .map_err(ServiceError::Internal)?;
        let new = NewUser {
            username: typed.username.clone(),
            password_hash,
            display_name: Some(typed.display_name.clone()).filter(|n| !n.is_empty()),
            email: Some(typed.email.clone()).filter(|e| !e.is_empty()),
            email_verified: false,
            tenant_admin: typed.tenant_admin,
        };
        let (actor, tenant) = (admin.actor.clone(), tenant_id.clone());
        state
            .change(move |conn| service::create(conn, &actor, &tenant, new))
            .await
    };
    match created.await {
        Ok(_) => Ok(see_other(&format!("/console/tenants/{tenant_id}/users"))),
        Err(error) => {
            let error = PageError::from(error);
            users_page(
                &req,
                &state,
                &admin,
                tenant_id,
                error.status(),
                &typed,
                Some(&error),
            )
            .await
        }
    }
}

fn user_id(path: &str) -> Result<UserId, PageError> {
    UserId::parse(path).map_err(|_| ServiceError::NotFound("user").into())
}

/// `POST /console/tenants/{id}/users/{user_id}`: one change of a user, as `change` says: `password` (a new one,
/// in `password`), `disable`, `enable`, `make_admin`, `unmake_admin`, or `delete`.
pub async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    AdminForm { admin, form }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let (tenant_id, user) = (tenant_id(&path.0)?, user_id(&path.1)?);
    let changed = async {
        service::ensure_administers(&admin.actor, tenant_id.as_str())?;
        let mut changes = UserChanges::default();
        match form.get("change").unwrap_or_default() {
            "password" => {
                let password =
                    SecretString::from(form.get("password").unwrap_or_default().to_string());
                service::check_password(&password)?;
                let hash = state
                    .passwords
                    .hash(password)
                    .await
                    .map_err(ServiceError::Internal)?;
                changes.password_hash = Some(hash);
            }
            "disable" => changes.disabled = Some(true),
            "enable" => changes.disabled = Some(false),
            "make_admin" => changes.tenant_admin = Some(true),
            "unmake_admin" => changes.tenant_admin = Some(false),
            "delete" => {
                let (config, actor, tenant) =
                    (state.config.clone(), admin.actor.clone(), tenant_id.clone());
                return state
                    .change(move |conn| service::delete(conn, &config, &actor, &tenant, &user))
                    .await;
            }
            _ => return Err(ServiceError::NotFound("change")),
        }
        let (config, actor, tenant) =
            (state.config.clone(), admin.actor.clone(), tenant_id.clone());
        state
            .change(move |conn| service::update(conn, &config, &actor, &tenant, &user, changes))
            .await
            .map(|_| ())
    };
    match changed.await {
        Ok(()) => Ok(see_other(&format!("/console/tenants/{tenant_id}/users"))),
        Err(error) => {
            // A row's form: told at its own fields, not at the new-user form's.
            let error = PageError::from(error).in_row(&path.1);
            users_page(
                &req,
                &state,
                &admin,
                tenant_id,
                error.status(),
                &NewUserForm::default(),
                Some(&error),
            )
            .await
        }
    }
}
