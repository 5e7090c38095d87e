//! `/console/roles`: the roles in reach (a tenant's and the global ones), a new one, new permissions, delete.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{page, render, see_other, Admin, AdminForm, Nav};
use crate::domain::ids::RoleId;
use crate::pages::extract::PageError;
use crate::service::roles::{self as service, Role};
use crate::service::ServiceError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "console/roles.html")]
struct RolesPage<'a> {
    nav: Nav,
    roles: &'a [Role],
    name: &'a str,
    permissions: &'a str,
    error: Option<&'a PageError>,
}

/// Permissions as typed: one per line or separated by spaces.
fn permissions_of(text: &str) -> Vec<String> {
    text.split_whitespace().map(String::from).collect()
}

async fn roles_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    status: StatusCode,
    form: (&str, &str),
    error: Option<&PageError>,
) -> Result<HttpResponse, PageError> {
    let actor = admin.actor.clone();
    let roles = state
        .db
        .run_as(move |conn| service::list(conn, &actor, None, None, i64::MAX))
        .await?;
    let (name, permissions) = form;
    Ok(page(req, state, admin, status, |nav| {
        render(RolesPage {
            nav,
            roles: &roles,
            name,
            permissions,
            error,
        })
    }))
}

/// After a change of the new-role form (`row` none, `form` what was typed, shown again) or of the role `row`'s
/// form: the list again, or the list with what went wrong, told at the form's fields.
async fn after_change<T>(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    outcome: Result<T, ServiceError>,
    row: Option<&str>,
    form: (&str, &str),
) -> Result<HttpResponse, PageError> {
    match outcome.map_err(PageError::from) {
        Ok(_) => Ok(see_other("/console/roles")),
        Err(error) => {
            let error = match row {
                Some(row) => error.in_row(row),
                None => error,
            };
            roles_page(req, state, admin, error.status(), form, Some(&error)).await
        }
    }
}

/// `GET /console/roles`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
) -> Result<HttpResponse, PageError> {
    roles_page(&req, &state, &admin, StatusCode::OK, ("", ""), None).await
}

/// `POST /console/roles`: a new role in the administrator's tenant (global for an operator).
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    AdminForm { admin, form }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let (name, typed) = (
        form.get("name").unwrap_or_default(),
        form.get("permissions").unwrap_or_default(),
    );
    let (actor, role_name, permissions) =
        (admin.actor.clone(), name.to_string(), permissions_of(typed));
    let tenant_id = admin.tenant.as_ref().map(|t| t.id.clone());
    let created = state
        .change(move |conn| service::create(conn, &actor, &role_name, permissions, tenant_id))
        .await;
    after_change(&req, &state, &admin, created, None, (name, typed)).await
}

fn role_id(path: &str) -> Result<RoleId, PageError> {
    RoleId::parse(path).map_err(|_| ServiceError::NotFound("role").into())
}

/// `POST /console/roles/{id}`: new permissions.
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    AdminForm { admin, form }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let (id, actor) = (role_id(&path)?, admin.actor.clone());
    let permissions = permissions_of(form.get("permissions").unwrap_or_default());
    let changed = state
        .change(move |conn| service::update(conn, &actor, &id, permissions))
        .await;
    after_change(&req, &state, &admin, changed, Some(&path), ("", "")).await
}

/// `POST /console/roles/{id}/delete`.
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    AdminForm { admin, .. }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let (id, actor) = (role_id(&path)?, admin.actor.clone());
    let deleted = state
        .change(move |conn| service::delete(conn, &actor, &id))
        .await;
    after_change(&req, &state, &admin, deleted, Some(&path), ("", "")).await
}
