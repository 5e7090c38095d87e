//! `/console`: the management console for tenant administrators (users with `tenant_admin`, in their tenant) and
//! operators (accounts of no tenant, everywhere). Server-rendered like the other pages (the same CSP, CSRF and
//! escaping), and every change is one call of the service layer, so it is validated and audited as through `/v1`.
//! The signed-in account is read again on every request: disabling, deleting or demoting it ends its console at once.

mod activity_chart;
pub mod audit_pages;
pub mod client_pages;
mod record_pages;
mod role_pages;
pub mod signing_key_pages;
pub mod tenant_pages;
mod trust_pages;
mod user_pages;

use crate::domain::grant_type::GrantType;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;

use super::extract::{read_checked, state_of, Extracting, PageError};
use super::session::{self, Session, SessionKind};
use super::{csrf, html, security_headers};
use crate::credentials::user_login::{self, LoginAttempt};
use crate::db::access_keys::{self, AccessKeyRow, Attention};
use crate::db::tenants::{self, TenantRow};
use crate::db::{operators, service_clients, users};
use crate::form::OAuthForm;
use crate::service::Actor;
use crate::state::AppState;

const PATH: &str = "/console";
const LOGIN: &str = "/console/login";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(PATH)
            .wrap(security_headers())
            .route("", web::get().to(overview))
            .route("/login", web::get().to(show_login))
            .route("/login", web::post().to(submit_login))
            .route("/logout", web::post().to(logout))
            .route("/clients", web::get().to(client_pages::list))
            .route("/clients/new", web::get().to(client_pages::new))
            .route("/clients/new", web::post().to(client_pages::create))
            .route("/clients/{id}", web::get().to(client_pages::show))
            .route("/clients/{id}", web::post().to(client_pages::update))
            .route("/clients/{id}/delete", web::post().to(client_pages::delete))
            .route("/clients/{id}/keys", web::post().to(client_pages::add_key))
            .route(
                "/clients/{id}/keys/{key_id}/revoke",
                web::post().to(client_pages::revoke_key),
            )
            .route("/keys/download", web::post().to(client_pages::download))
            .route("/audit", web::get().to(audit_pages::list))
            .route("/records", web::get().to(record_pages::list))
            .route("/records/new", web::get().to(record_pages::new))
            .route("/records/new", web::post().to(record_pages::create))
            .route("/records/{id}", web::get().to(record_pages::show))
            .route("/records/{id}", web::post().to(record_pages::replace))
            .route("/records/{id}/delete", web::post().to(record_pages::delete))
            .route(
                "/records/{id}/test",
                web::post().to(record_pages::test_access),
            )
            .route("/roles", web::get().to(role_pages::list))
            .route("/roles", web::post().to(role_pages::create))
            .route("/roles/{id}", web::post().to(role_pages::update))
            .route("/roles/{id}/delete", web::post().to(role_pages::delete))
            .route("/signing-keys", web::get().to(signing_key_pages::list))
            .route(
                "/signing-keys/rotate",
                web::post().to(signing_key_pages::rotate),
            )
            .route("/trusted-issuers", web::get().to(trust_pages::list))
            .route("/trusted-issuers/new", web::get().to(trust_pages::new))
            .route("/trusted-issuers/new", web::post().to(trust_pages::create))
            .route("/trusted-issuers/{id}", web::get().to(trust_pages::show))
            .route(
                "/trusted-issuers/{id}",
                web::post().to(trust_pages::replace),
            )
            .route(
                "/trusted-issuers/{id}/delete",
                web::post().to(trust_pages::delete),
            )
            .route("/tenants", web::get().to(tenant_pages::list))
            .route("/tenants", web::post().to(tenant_pages::create))
            .route("/tenants/{id}", web::post().to(tenant_pages::update))
            .route("/tenants/{id}/delete", web::post().to(tenant_pages::delete))
            .route("/tenants/{id}/users", web::get().to(user_pages::list))
            .route("/tenants/{id}/users", web::post().to(user_pages::create))
            .route(
                "/tenants/{id}/users/{user_id}",
                web::post().to(user_pages::change),
            ),
    );
}

/// The signed-in administrator of a console request.
pub struct Admin {
    pub session: Session,
    pub actor: Actor,
    /// The username, as shown.
    pub name: String,
    /// A tenant administrator's tenant; none for an operator.
    pub tenant: Option<TenantRow>,
}

impl Admin {
    /// What every console page shows around its content.
    fn nav(&self, csrf_token: String) -> Nav {
        Nav {
            name: self.name.clone(),
            tenant: self.tenant.clone(),
            csrf_token,
        }
    }
}

/// The console's header: who is signed in, where they may go, and the sign-out form.
pub struct Nav {
    pub name: String,
    pub tenant: Option<TenantRow>,
    pub csrf_token: String,
}

impl Nav {
    pub fn is_operator(&self) -> bool {
        self.tenant.is_none()
    }
}

/// The administrator behind `session`, if the account still is one: an enabled operator, or an enabled user of the
/// session's tenant with `tenant_admin`.
async fn admin_of(state: &AppState, session: Session) -> Result<Option<Admin>, PageError> {
    let (id, tenant_id) = (session.sub.clone(), session.tid.clone());
    let found = state
        .db
        .run(move |conn| match tenant_id {
            None => Ok(operators::find_by_id(conn, &id)?
                .filter(|o| !o.disabled)
                .map(|o| (o.username, None))),
            Some(tenant_id) => {
                let user = users::find_by_id(conn, &id)?
                    .filter(|u| u.tenant_admin && !u.disabled && u.tenant_id == tenant_id);
                match user {
                    Some(user) => Ok(tenants::find_by_id(conn, &tenant_id)?
                        .map(|tenant| (user.username, Some(tenant)))),
                    None => Ok(None),
                }
            }
        })
        .await?;
    Ok(found.map(|(name, tenant)| Admin {
        actor: match &tenant {
            None => Actor::operator(&session.sub),
            Some(tenant) => Actor::tenant_admin(&session.sub, &tenant.id),
        },
        session,
        name,
        tenant,
    }))
}

async fn signed_in(req: &HttpRequest, state: &AppState) -> Result<Admin, PageError> {
    let session =
        session::current(req, state, SessionKind::Console).ok_or(PageError::SignIn(LOGIN))?;
    admin_of(state, session)
        .await?
        .ok_or(PageError::SignIn(LOGIN))
}

impl FromRequest for Admin {
    type Error = PageError;
    type Future = Extracting<Admin>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state_of(&req)?;
            signed_in(&req, &state).await
        })
    }
}

/// A form posted from a console page by a signed-in administrator (the session checked before the form is read).
pub struct AdminForm {
    pub admin: Admin,
    pub form: OAuthForm,
}

impl FromRequest for AdminForm {
    type Error = PageError;
    type Future = Extracting<AdminForm>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, payload) = (req.clone(), payload.take());
        Box::pin(async move {
            let state = state_of(&req)?;
            let admin = signed_in(&req, &state).await?;
            let form = read_checked(&req, &state, payload).await?;
            Ok(AdminForm { admin, form })
        })
    }
}

/// A console page rendered around `admin`'s header, with the CSRF cookie its forms need.
fn page(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    status: StatusCode,
    render: impl FnOnce(Nav) -> String,
) -> HttpResponse {
    let (csrf_token, cookie) = csrf::token_for(req, state, PATH);
    let mut response = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(render(admin.nav(csrf_token)));
    if let Err(error) = response.add_cookie(&cookie) {
        tracing::error!(error = %error, "cannot set the CSRF cookie");
    }
    response
}

/// A page's HTML; a template failure is logged and shows as an empty page (the templates are compiled in, so only a
/// formatting error can fail).
fn render(page: impl Template) -> String {
    page.render().unwrap_or_else(|error| {
        tracing::error!(error = %error, "template failed");
        String::new()
    })
}

/// The TTL overrides of a form (`ttl_<grant>`, whole seconds; empty: no override).
fn ttl_of(form: &OAuthForm) -> Result<crate::domain::ttl::TtlOverrides, PageError> {
    let mut ttl = crate::domain::ttl::TtlOverrides::default();
    for grant in GrantType::ALL {
        let name = grant.short_name();
        *ttl.get_mut(grant) = match form.get(&format!("ttl_{name}")).unwrap_or_default().trim() {
            "" => None,
            text => Some(text.parse().map_err(|_| {
                PageError::Told(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("The {name} lifetime must be whole seconds.").into(),
                )
            })?),
        };
    }
    Ok(ttl)
}

/// The grants whose token lifetime a tenant or client may override, by their overrides' names.
pub const TTL_GRANTS: [&str; GrantType::ALL.len()] = {
    let mut names = [""; GrantType::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = GrantType::ALL[i].short_name();
        i += 1;
    }
    names
};

/// An override for `grant` (its short name), as an edit form shows it.
pub fn ttl_value(ttl: &crate::domain::ttl::TtlOverrides, grant: &str) -> String {
    GrantType::ALL
        .into_iter()
        .find(|g| g.short_name() == grant)
        .and_then(|g| ttl.get(g))
        .map(|s| s.to_string())
        .unwrap_or_default()
}

/// A moment as people read it: `2026-12-03 14:05 UTC`.
pub fn when(at: &crate::domain::time::UnixTime) -> String {
    match actix_web::cookie::time::OffsetDateTime::from_unix_timestamp(at.seconds()) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        ),
        Err(_) => at.to_string(),
    }
}

/// The first second of a day given as `YYYY-MM-DD` (UTC), if it is one.
pub fn day_start(text: &str) -> Option<crate::domain::time::UnixTime> {
    use actix_web::cookie::time::{Date, Month};
    let mut parts = text.trim().splitn(3, '-').map(|p| p.parse::<i32>().ok());
    let (Some(Some(year)), Some(Some(month)), Some(Some(day))) =
        (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()?;
    let start = date.with_hms(0, 0, 0).ok()?.assume_utc();
    Some(crate::domain::time::UnixTime::from_seconds(
        start.unix_timestamp(),
    ))
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location.to_string()))
        .finish()
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage<'a> {
    csrf_token: &'a str,
    tenant: &'a str,
    username: &'a str,
    error: Option<&'a str>,
}

fn login_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    tenant: &str,
    username: &str,
    error: Option<&str>,
) -> HttpResponse {
    let (csrf_token, cookie) = csrf::token_for(req, state, PATH);
    let page = LoginPage {
        csrf_token: &csrf_token,
        tenant,
        username,
        error,
    };
    let mut response = html(status, page);
    if let Err(error) = response.add_cookie(&cookie) {
        tracing::error!(error = %error, "cannot set the CSRF cookie");
    }
    response
}

/// `GET /console/login`.
async fn show_login(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    login_page(&req, &state, StatusCode::OK, "", "", None)
}

/// `POST /console/login`: an operator when the organisation is left empty, else a tenant administrator of it.
async fn submit_login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: super::extract::PostedForm,
) -> HttpResponse {
    let form = form.0;
    let field = |name: &str| form.get(name).unwrap_or_default().to_string();
    let (slug, username) = (field("tenant").trim().to_lowercase(), field("username"));
    match sign_in(&req, &state, &slug, &username, field("password")).await {
        Ok(cookie) => {
            let mut response = see_other(PATH);
            if let Err(error) = response.add_cookie(&cookie) {
                tracing::error!(error = %error, "cannot set the console session cookie");
            }
            response
        }
        Err(error) => login_page(
            &req,
            &state,
            error.status(),
            &slug,
            &username,
            Some(error.message()),
        ),
    }
}

/// Checks the password (throttled like every sign-in) and starts a console session: its cookie.
async fn sign_in(
    req: &HttpRequest,
    state: &AppState,
    slug: &str,
    username: &str,
    password: String,
) -> Result<actix_web::cookie::Cookie<'static>, PageError> {
    let address = state.client_address(req);
    let (id, tenant_id) = match slug {
        "" => {
            let attempt = LoginAttempt {
                tenant_id: "",
                username,
                password: password.into(),
                address,
                client_id: "console",
            };
            (user_login::sign_in_operator(state, attempt).await?.id, None)
        }
        slug => {
            let lookup = slug.to_string();
            let tenant = state
                .db
                .run(move |conn| tenants::find_by_slug(conn, &lookup))
                .await?
                .ok_or_else(PageError::wrong_credentials)?;
            let attempt = LoginAttempt {
                tenant_id: &tenant.id,
                username,
                password: password.into(),
                address,
                client_id: "console",
            };
            let user = user_login::sign_in_at_page(state, attempt).await?;
            if !user.tenant_admin {
                return Err(PageError::Told(
                    StatusCode::FORBIDDEN,
                    "This account does not administer its organisation.".into(),
                ));
            }
            (user.id, Some(tenant.id))
        }
    };
    let (_, cookie) = session::start(state, SessionKind::Console, &id, tenant_id.as_deref())
        .await
        .map_err(PageError::unavailable)?;
    Ok(cookie)
}

/// `POST /console/logout`: the session ends on the server, so a copy of its cookie stops working too.
async fn logout(
    state: web::Data<AppState>,
    AdminForm { admin, .. }: AdminForm,
) -> Result<HttpResponse, PageError> {
    session::revoke(&state, &admin.session).await?;
    let mut response = see_other(LOGIN);
    if let Err(error) = response.add_cookie(&session::end(&state, SessionKind::Console)) {
        tracing::error!(error = %error, "cannot remove the console session cookie");
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "console/overview.html")]
struct OverviewPage {
    nav: Nav,
    tenants: Option<i64>,
    clients: i64,
    users: i64,
    /// Active keys expiring in the next 30 days, and keys unused for 90 days, with their client's name.
    expiring: Vec<(AccessKeyRow, String)>,
    unused: Vec<(AccessKeyRow, String)>,
    activity: activity_chart::ActivityChart,
}

/// The most keys each overview list shows.
const ATTENTION_LIMIT: i64 = 20;
const DAY: i64 = 24 * 3600;

/// `GET /console`: how much there is, in the administrator's reach.
async fn overview(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: Admin,
) -> Result<HttpResponse, PageError> {
    let tenant_id = admin.tenant.as_ref().map(|t| t.id.clone());
    let now = crate::domain::time::UnixTime::now();
    let (tenants, clients, users, expiring, unused, activity) = state
        .db
        .run(move |conn| {
            let tenant = tenant_id.as_deref();
            let tenants = match tenant {
                None => Some(tenants::count(conn)?),
                Some(_) => None,
            };
            let clients = service_clients::count(conn, tenant)?;
            let users = users::count(conn, tenant)?;
            let soon = Attention::ExpiringBefore(now + 30 * DAY);
            let expiring =
                access_keys::needing_attention(conn, tenant, soon, now, ATTENTION_LIMIT)?;
            let idle = Attention::UnusedSince(now - 90 * DAY);
            let unused = access_keys::needing_attention(conn, tenant, idle, now, ATTENTION_LIMIT)?;
            let activity = crate::activity::last_hours(conn, tenant, activity_chart::HOURS)?;
            Ok((tenants, clients, users, expiring, unused, activity))
        })
        .await?;
    Ok(page(&req, &state, &admin, StatusCode::OK, |nav| {
        render(OverviewPage {
            nav,
            tenants,
            clients,
            users,
            expiring,
            unused,
            activity: activity_chart::draw(&activity),
        })
    }))
}
