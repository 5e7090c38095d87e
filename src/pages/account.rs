//! `/account/keys`: a signed-in user lists the service clients they own, creates one (name, a role from the
//! configured list, the resources it may touch), sees its key once with copy and download, revokes keys and
//! deletes clients. `/account/login` signs them in; a signed-out visitor is sent there and back.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::csrf;
use super::extract::{PageError, PostedForm, SignedInForm};
use super::session::{self, SessionKind};
use super::{html, ErrorPage};
use crate::credentials::user_login::{self, LoginAttempt};
use crate::db::{roles, tenants, users};
use crate::domain::ids::{AccessKeyId, ClientId};
use crate::service::own_clients::{self, NewOwnClient, OwnClient};
use crate::service::ServiceError;
use crate::state::AppState;

const PATH: &str = "/account";

#[derive(Template)]
#[template(path = "account_login.html")]
struct LoginPage<'a> {
    csrf_token: &'a str,
    next: &'a str,
    tenant: &'a str,
    username: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "account_keys.html")]
struct KeysPage<'a> {
    csrf_token: &'a str,
    username: &'a str,
    clients: &'a [OwnClient],
    roles: &'a [String],
    default_resources: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "key_created.html")]
struct KeyCreatedPage<'a> {
    csrf_token: &'a str,
    client_name: &'a str,
    client_id: &'a str,
    key: &'a str,
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location.to_string()))
        .finish()
}

fn with_cookie(mut response: HttpResponse, cookie: &actix_web::cookie::Cookie<'_>) -> HttpResponse {
    if let Err(error) = response.add_cookie(cookie) {
        tracing::error!(error = %error, "cannot set a cookie");
    }
    response
}

/// Only pages of this section are acceptable places to return to: no open redirect.
fn safe_next(next: &str) -> &str {
    if next.starts_with("/account/") && !next.starts_with("//") {
        next
    } else {
        "/account/keys"
    }
}

fn login_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    form: (&str, &str, &str),
    error: Option<&str>,
) -> HttpResponse {
    let (csrf_token, cookie) = csrf::token_for(req, state, PATH);
    let (next, tenant, username) = form;
    let page = LoginPage {
        csrf_token: &csrf_token,
        next: safe_next(next),
        tenant,
        username,
        error,
    };
    with_cookie(html(status, page), &cookie)
}

/// `GET /account/login?next=&tenant=`.
pub async fn show_login(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let query =
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .map(|q| q.into_inner())
            .unwrap_or_default();
    let get = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    login_page(
        &req,
        &state,
        StatusCode::OK,
        (get("next"), get("tenant"), ""),
        None,
    )
}

/// `POST /account/login` (its CSRF token checked by `PostedForm`).
pub async fn submit_login(
    req: HttpRequest,
    state: web::Data<AppState>,
    PostedForm(form): PostedForm,
) -> HttpResponse {
    let field = |name: &str| form.get(name).unwrap_or_default().to_string();
    let (next, slug, username) = (
        field("next"),
        field("tenant").trim().to_lowercase(),
        field("username"),
    );
    match sign_in(&req, &state, &slug, &username, field("password")).await {
        Ok(cookie) => with_cookie(see_other(safe_next(&next)), &cookie),
        Err(error) => login_page(
            &req,
            &state,
            error.status(),
            (&next, &slug, &username),
            Some(error.message()),
        ),
    }
}

/// Signs the user in to the tenant with this slug and starts their session: its cookie.
async fn sign_in(
    req: &HttpRequest,
    state: &AppState,
    slug: &str,
    username: &str,
    password: String,
) -> Result<actix_web::cookie::Cookie<'static>, PageError> {
    let lookup = slug.to_string();
    let tenant = state
        .db
        .run(move |conn| tenants::find_by_slug(conn, &lookup))
        .await
        .map_err(PageError::unavailable)?
        .ok_or_else(PageError::wrong_credentials)?;
    let attempt = LoginAttempt {
        tenant_id: &tenant.id,
        username,
        password: password.into(),
        address: state.client_address(req),
        client_id: "account-pages",
    };
    let user = user_login::sign_in_at_page(state, attempt).await?;
    let (_, cookie) = session::start(state, SessionKind::Account, &user.id, Some(&tenant.id))
        .await
        .map_err(PageError::unavailable)?;
    Ok(cookie)
}

/// `POST /account/logout` (with the form's CSRF token): the session ends on the server, so a copy of its cookie
/// stops working too.
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    SignedInForm { who, .. }: SignedInForm,
) -> HttpResponse {
    if let Err(error) = session::revoke(&state, &who).await {
        tracing::warn!(error = %error, "cannot end a session");
        return keys_page(
            &req,
            &state,
            &who,
            StatusCode::SERVICE_UNAVAILABLE,
            Some("The service is unavailable, retry shortly."),
        )
        .await;
    }
    with_cookie(
        see_other("/account/login"),
        &session::end(&state, SessionKind::Account),
    )
}

/// The roles offered on the page: the configured list, as far as the tenant has them.
async fn offered_roles(state: &AppState, tenant_id: &str) -> Result<Vec<String>, PageError> {
    let (tenant, wanted) = (
        tenant_id.to_string(),
        state.config.self_service_roles.clone(),
    );
    let found = state
        .db
        .run(move |conn| roles::find_visible(conn, Some(&tenant), Some(&wanted)))
        .await?;
    Ok(state
        .config
        .self_service_roles
        .iter()
        .filter(|name| found.iter().any(|r| &r.name == *name))
        .cloned()
        .collect())
}

async fn keys_page(
    req: &HttpRequest,
    state: &AppState,
    who: &session::Session,
    status: StatusCode,
    error: Option<&str>,
) -> HttpResponse {
    let loaded = async {
        let actor = who.actor();
        let clients = state
            .db
            .run_as(move |conn| own_clients::list(conn, &actor))
            .await?;
        let roles = offered_roles(state, who.tenant()).await?;
        let user_id = who.sub.clone();
        let user = state
            .db
            .run(move |conn| users::find_by_id(conn, &user_id))
            .await?;
        Ok::<_, PageError>((clients, roles, user.map(|u| u.username).unwrap_or_default()))
    };
    let (clients, roles, username) = match loaded.await {
        Ok(loaded) => loaded,
        Err(error) => {
            return html(
                error.status(),
                ErrorPage {
                    message: error.message(),
                },
            )
        }
    };
    let (csrf_token, cookie) = csrf::token_for(req, state, PATH);
    let default_resources = format!("/users/{}/*", who.sub);
    let page = KeysPage {
        csrf_token: &csrf_token,
        username: &username,
        clients: &clients,
        roles: &roles,
        default_resources: &default_resources,
        error,
    };
    with_cookie(html(status, page), &cookie)
}

/// `GET /account/keys`.
pub async fn show_keys(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match session::current(&req, &state, SessionKind::Account) {
        Some(who) => keys_page(&req, &state, &who, StatusCode::OK, None).await,
        None => see_other("/account/login?next=/account/keys"),
    }
}

/// `POST /account/keys`: create a client and show its key once.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    SignedInForm { who, form }: SignedInForm,
) -> HttpResponse {
    let role = form.get("role").unwrap_or_default().to_string();
    if !state.config.self_service_roles.contains(&role) {
        return keys_page(
            &req,
            &state,
            &who,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("Choose one of the offered roles."),
        )
        .await;
    }
    let resources: Vec<String> = form
        .get("resources")
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let input = NewOwnClient {
        name: form.get("name").unwrap_or_default().to_string(),
        role,
        resources: (!resources.is_empty()).then_some(resources),
    };
    let (config, actor) = (state.config.clone(), who.actor());
    let created = state
        .change(move |conn| own_clients::create(conn, &config, &actor, input))
        .await;
    match created {
        Ok(created) => {
            let key = created
                .keys
                .first()
                .and_then(|k| k.key.clone())
                .unwrap_or_default();
            let (csrf_token, _) = csrf::token_for(&req, &state, PATH);
            let page = KeyCreatedPage {
                csrf_token: &csrf_token,
                client_name: &created.client.name,
                client_id: &created.client.id,
                key: &key,
            };
            html(StatusCode::OK, page)
        }
        Err(error) => {
            let error = PageError::from(error);
            keys_page(&req, &state, &who, error.status(), Some(error.message())).await
        }
    }
}

/// `POST /account/keys/download`: the key just shown, as a file. It passes through, it is not kept.
pub async fn download(SignedInForm { form, .. }: SignedInForm) -> HttpResponse {
    super::key_file(
        form.get("client_id").unwrap_or_default(),
        form.get("key").unwrap_or_default(),
    )
}

/// After a change: back to the list, or the list with what went wrong.
async fn back_to_list(
    req: &HttpRequest,
    state: &AppState,
    who: &session::Session,
    outcome: Result<(), ServiceError>,
) -> HttpResponse {
    match outcome.map_err(PageError::from) {
        Ok(()) => see_other("/account/keys"),
        Err(error) => keys_page(req, state, who, error.status(), Some(error.message())).await,
    }
}

/// `POST /account/keys/revoke`.
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    SignedInForm { who, form }: SignedInForm,
) -> HttpResponse {
    let field = |name| form.get(name).unwrap_or_default();
    let (Ok(client_id), Ok(key_id)) = (
        ClientId::parse(field("client_id")),
        AccessKeyId::parse(field("key_id")),
    ) else {
        return back_to_list(&req, &state, &who, Err(ServiceError::NotFound("key"))).await;
    };
    let actor = who.actor();
    let outcome = state
        .change(move |conn| own_clients::revoke_key(conn, &actor, &client_id, &key_id))
        .await;
    back_to_list(&req, &state, &who, outcome).await
}

/// `POST /account/keys/delete`.
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    SignedInForm { who, form }: SignedInForm,
) -> HttpResponse {
    let Ok(client_id) = ClientId::parse(form.get("client_id").unwrap_or_default()) else {
        return back_to_list(&req, &state, &who, Err(ServiceError::NotFound("client"))).await;
    };
    let (config, actor) = (state.config.clone(), who.actor());
    let outcome = state
        .change(move |conn| own_clients::delete(conn, &config, &actor, &client_id))
        .await;
    back_to_list(&req, &state, &who, outcome).await
}
