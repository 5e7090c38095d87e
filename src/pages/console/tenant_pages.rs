//! `/console/tenants` (operators): the tenants, and a new one.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{page, render, see_other, ttl_of, Admin, AdminForm, Nav};
use crate::db::tenants::{self, TenantRow};
use crate::domain::ids::TenantId;
use crate::domain::tenant::TenantSpec;
use crate::pages::extract::PageError;
use crate::service::tenants::{self as service, TenantChanges};
use crate::service::ServiceError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "console/tenants.html")]
struct TenantsPage<'a> {
    nav: Nav,
    tenants: &'a [TenantRow],
    name: &'a str,
    slug: &'a str,
    error: Option<&'a PageError>,
}

async fn tenants_page(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    status: StatusCode,
    form: (&str, &str),
    error: Option<&PageError>,
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
    let created = async {
        let spec = TenantSpec {
            name: field("name"),
            slug: field("slug"),
            ttl: ttl_of(&form)?,
        };
        let (config, actor) = (state.config.clone(), admin.actor.clone());
        Ok::<_, PageError>(
            state
                .change(move |conn| service::create(conn, &config, &actor, spec))
                .await?,
        )
    };
    match created.await {
        Ok(tenant) => Ok(see_other(&format!("/console/tenants/{}/users", tenant.id))),
        Err(error) => {
            let form = (field("name"), field("slug"));
            tenants_page(
                &req,
                &state,
                &admin,
                error.status(),
                (&form.0, &form.1),
                Some(&error),
            )
            .await
        }
    }
}

fn tenant_id(path: &str) -> Result<TenantId, PageError> {
    TenantId::parse(path).map_err(|_| ServiceError::NotFound("tenant").into())
}

/// `POST /console/tenants/{id}`: a new name and TTL overrides.
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    AdminForm { admin, form }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let id = tenant_id(&path)?;
    let changed = async {
        let changes = TenantChanges {
            name: Some(form.get("name").unwrap_or_default().trim().to_string()),
            ttl: Some(ttl_of(&form)?),
        };
        let (config, actor) = (state.config.clone(), admin.actor.clone());
        Ok::<_, PageError>(
            state
                .change(move |conn| service::update(conn, &config, &actor, &id, changes))
                .await?,
        )
    };
    match changed.await {
        Ok(_) => Ok(see_other("/console/tenants")),
        Err(error) => {
            // A row's form: told at its own fields, not at the new-tenant form's.
            let error = error.in_row(path.as_str());
            tenants_page(&req, &state, &admin, error.status(), ("", ""), Some(&error)).await
        }
    }
}

/// `POST /console/tenants/{id}/delete`: the tenant and everything in it.
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    AdminForm { admin, .. }: AdminForm,
) -> Result<HttpResponse, PageError> {
    let (id, config, actor) = (tenant_id(&path)?, state.config.clone(), admin.actor.clone());
    match state
        .change(move |conn| service::delete(conn, &config, &actor, &id))
        .await
    {
        Ok(()) => Ok(see_other("/console/tenants")),
        Err(error) => {
            let error = PageError::from(error);
            tenants_page(&req, &state, &admin, error.status(), ("", ""), Some(&error)).await
        }
    }
}
