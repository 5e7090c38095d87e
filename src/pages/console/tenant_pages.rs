//! `/console/tenants` (operators): the tenants, and a new one.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{page, render, see_other, Admin, AdminForm, Nav};
use crate::db::tenants::{self, TenantRow};
use crate::domain::tenant::TenantSpec;
use crate::pages::extract::PageError;
use crate::service::tenants as service;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "console/tenants.html")]
struct TenantsPage<'a> {
    nav: Nav,
    tenants: &'a [TenantRow],
    name: &'a str,
    slug: &'a str,
    error: Option<&'a str>,
}

async fn tenants_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    status: StatusCode,
    form: (&str, &str),
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    admin.actor.require_global()?;
    let all = state
        .db
        .run(|conn| tenants::list(conn, None, i64::MAX))
        .await?;
    let (name, slug) = form;
    Ok(page(req, state, admin, status, |nav| {
        render(TenantsPage {
            nav,
            tenants: &all,
            name,
            slug,
            error,
        })
    }))
}

/// `GET /console/tenants`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
) -> Result<HttpResponse, PageError> {
    tenants_page(&req, &state, &admin, StatusCode::OK, ("", ""), None).await
}

/// `POST /console/tenants`: a new tenant, then its users' page (where its first administrator is made).
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    AdminForm { admin, form }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let field = |name: &str| form.get(name).unwrap_or_default().trim().to_string();
    let spec = TenantSpec {
        name: field("name"),
        slug: field("slug"),
        ttl: Default::default(),
    };
    let (config, actor) = (state.config.clone(), admin.actor.clone());
    match state
        .change(move |conn| service::create(conn, &config, &actor, spec))
        .await
    {
        Ok(tenant) => Ok(see_other(&format!("/console/tenants/{}/users", tenant.id))),
        Err(error) => {
            let error = PageError::from(error);
            let form = (field("name"), field("slug"));
            tenants_page(
                &req,
                &state,
                &admin,
                error.status(),
                (&form.0, &form.1),
                Some(error.message()),
            )
            .await
        }
    }
}
