//! `GET/POST /oauth/authorize` (RFC 6749 §4.1, RFC 7636, OpenID Connect Core 1.0 §3.1.2): the login page of the
//! authorization code flow for public (SPA) and confidential clients. An unknown client or redirect URI is shown on
//! the page and never redirected to; every other error goes back to the client's redirect URI (RFC 6749 §4.1.2.1).
//! A sign-in starts a sign-in session (`pages::session`): while it lasts, the next request of any client of the
//! user's tenant is answered without the page, unless `prompt=login` or `max_age` asks for a fresh sign-in;
//! `prompt=none` never shows the page (`login_required` instead).

use actix_web::cookie::Cookie;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::extract::{PageError, PostedForm};
use super::session::{self, Session, SessionKind};
use super::{csrf, html, ErrorPage};
use crate::credentials::id_token;
use crate::credentials::user_login::{self, LoginAttempt};
use crate::db::authorization_codes::{self, AuthorizationCodeRow};
use crate::db::{service_clients, tenants};
use crate::domain::grant_type::GrantType;
use crate::domain::ids::random_base62;
use crate::domain::oauth_text::description_charset;
use crate::domain::scope::{self, Scopes};
use crate::domain::service_client::ServiceClient;
use crate::domain::time::UnixTime;
use crate::domain::{authorization_code, pkce};
use crate::state::AppState;

/// The request parameters of RFC 6749 §4.1.1 and RFC 7636 §4.3, plus `tenant` (a slug).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AuthorizeParams {
    #[serde(default)]
    pub response_type: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub redirect_uri: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub code_challenge: String,
    #[serde(default)]
    pub code_challenge_method: String,
    #[serde(default)]
    pub response_mode: String,
    #[serde(default)]
    pub tenant: String,
    /// OpenID Connect: echoed in the ID token.
    #[serde(default)]
    pub nonce: String,
    /// OpenID Connect: `none`, `login` (space-separated; `consent` and `select_account` are satisfied as they are).
    #[serde(default)]
    pub prompt: String,
    /// OpenID Connect: the oldest sign-in, in seconds, that may be reused.
    #[serde(default)]
    pub max_age: String,
    /// OpenID Connect: a username to fill in.
    #[serde(default)]
    pub login_hint: String,
    /// OpenID Connect: an ID token of the user the client expects; a session of someone else does not answer.
    #[serde(default)]
    pub id_token_hint: String,
}

/// The longest `nonce` kept.
const MAX_NONCE_LENGTH: usize = 512;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    client_name: &'a str,
    params: &'a AuthorizeParams,
    csrf_token: &'a str,
    tenant: &'a str,
    tenant_fixed: bool,
    username: &'a str,
    error: Option<&'a str>,
}

/// A request that passed every check, with what it asked for.
struct Checked {
    client: ServiceClient,
    redirect_uri: String,
    scopes: Scopes,
    /// Which sign-in may answer it: `prompt=none` (no page), `prompt=login` (no reuse), `max_age`.
    silent_only: bool,
    fresh_only: bool,
    max_age: Option<i64>,
    /// The user `id_token_hint` names.
    hinted_user: Option<String>,
}

/// Why a request is refused: shown here, or sent back to a redirect URI that was proved to be the client's.
enum Refusal {
    Page(String),
    Redirect(String),
}

fn refuse(refusal: Refusal) -> HttpResponse {
    match refusal {
        Refusal::Page(message) => html(StatusCode::BAD_REQUEST, ErrorPage { message: &message }),
        Refusal::Redirect(location) => HttpResponse::Found()
            .insert_header(("Location", location))
            .finish(),
    }
}

/// The origin of a redirect URI as a CSP source (`https://app.example:8443`); a custom scheme (`com.app:/cb`) as its
/// scheme source.
fn origin_of(redirect_uri: &str) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(url) if url.has_host() => url.origin().ascii_serialization(),
        Ok(url) => format!("{}:", url.scheme()),
        Err(_) => String::new(),
    }
}

/// `redirect_uri` with `pairs` added to its query (RFC 6749 §4.1.2: keep the existing query).
fn with_query(redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(url) => url,
        Err(_) => return redirect_uri.to_string(),
    };
    url.query_pairs_mut()
        .extend_pairs(pairs.iter().filter(|(_, v)| !v.is_empty()));
    url.to_string()
}

async fn check(state: &AppState, params: &AuthorizeParams) -> Result<Checked, Refusal> {
    let id = params.client_id.clone();
    let client = state
        .db
        .run(move |conn| service_clients::find_by_id(conn, &id))
        .await;
    let client: ServiceClient = match client {
        Ok(Some(row)) => row.into(),
        Ok(None) => return Err(Refusal::Page("unknown client_id".into())),
        Err(error) => {
            tracing::warn!(error = %error, "authorize: database unavailable");
            return Err(Refusal::Page(
                "the service is unavailable, retry shortly".into(),
            ));
        }
    };
    // RFC 6749 §3.1.2.3: exact match with a registered URI; omitted only when exactly one is registered.
    let redirect_uri = match (
        params.redirect_uri.as_str(),
        client.redirect_uris.as_slice(),
    ) {
        ("", [only]) => only.clone(),
        (asked, registered) if registered.iter().any(|r| r == asked) => asked.to_string(),
        _ => {
            return Err(Refusal::Page(
                "redirect_uri is not registered for this client".into(),
            ))
        }
    };
    let back = |error: &str, description: &str| {
        let description = description_charset(description);
        let pairs = [
            ("error", error),
            ("error_description", description.as_ref()),
            ("state", params.state.as_str()),
        ];
        Refusal::Redirect(with_query(&redirect_uri, &pairs))
    };
    // RFC 6749 §4.1.2.1: what keygate cannot answer in is an error, not silently the query.
    if !matches!(params.response_mode.as_str(), "" | "query") {
        return Err(back(
            "invalid_request",
            "response_mode must be query (the only one supported)",
        ));
    }
    if params.response_type != "code" {
        return Err(back(
            "unsupported_response_type",
            "only response_type=code is supported",
        ));
    }
    if !client.grant_types.contains(&GrantType::AuthorizationCode) {
        return Err(back(
            "unauthorized_client",
            "this client may not use the authorization code flow",
        ));
    }
    if params.code_challenge_method != "S256" || !pkce::is_valid_challenge(&params.code_challenge) {
        return Err(back(
            "invalid_request",
            "PKCE is required: code_challenge with code_challenge_method=S256",
        ));
    }
    let requested = (!params.scope.is_empty()).then_some(params.scope.as_str());
    let scopes = match scope::grant(requested, &client.scopes, &client.default_scopes) {
        Ok(scopes) => scopes,
        Err(error) => return Err(back("invalid_scope", &error.to_string())),
    };
    let prompts: Vec<&str> = params.prompt.split(' ').filter(|p| !p.is_empty()).collect();
    let silent_only = prompts.contains(&"none");
    // Core 1.0 §3.1.2.1: none with any other value is an error.
    if silent_only && prompts.len() > 1 {
        return Err(back("invalid_request", "prompt=none cannot be combined"));
    }
    if let Some(unknown) = prompts
        .iter()
        .find(|p| !matches!(**p, "none" | "login" | "consent" | "select_account"))
    {
        return Err(back(
            "invalid_request",
            &format!("prompt {unknown} is not supported"),
        ));
    }
    let max_age = match params.max_age.as_str() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(seconds) if seconds >= 0 => Some(seconds),
            _ => {
                return Err(back(
                    "invalid_request",
                    "max_age must be a number of seconds",
                ))
            }
        },
    };
    if params.nonce.len() > MAX_NONCE_LENGTH {
        return Err(back("invalid_request", "nonce is longer than 512 bytes"));
    }
    // Core 1.0 §3.1.2.1: an expired hint still names its user; one keygate did not sign names nobody.
    let hinted_user = match params.id_token_hint.as_str() {
        "" => None,
        token => match id_token::verify_hint(state, token) {
            Some(claims) => Some(claims.sub),
            None => {
                return Err(back(
                    "invalid_request",
                    "id_token_hint is not an ID token this server issued",
                ))
            }
        },
    };
    Ok(Checked {
        client,
        redirect_uri,
        scopes,
        silent_only,
        // max_age=0 is a sign-in now, whatever the clock's resolution.
        fresh_only: prompts.contains(&"login") || max_age == Some(0),
        max_age,
        hinted_user,
    })
}

/// The tenant is fixed by the client's own tenant or by `?tenant=`; otherwise the page asks for it.
fn tenant_field(client: &ServiceClient, params: &AuthorizeParams) -> (String, bool) {
    match (&client.tenant_id, params.tenant.as_str()) {
        (Some(_), _) => (String::new(), true),
        (None, "") => (String::new(), false),
        (None, slug) => (slug.to_string(), true),
    }
}

fn login_page(
    req: &HttpRequest,
    state: &AppState,
    checked: &Checked,
    params: &AuthorizeParams,
    status: StatusCode,
    error: Option<&str>,
    username: &str,
) -> HttpResponse {
    let (csrf_token, cookie) = csrf::token_for(req, state, "/oauth/authorize");
    let (tenant, tenant_fixed) = tenant_field(&checked.client, params);
    let page = LoginPage {
        client_name: &checked.client.name,
        params,
        csrf_token: &csrf_token,
        tenant: &tenant,
        tenant_fixed,
        username: match username {
            "" => params.login_hint.as_str(),
            typed => typed,
        },
        error,
    };
    let mut response = html(status, page);
    // CSP form-action also governs where the form's answer redirects to (the 303 to the client).
    let policy = super::content_security_policy(&origin_of(&checked.redirect_uri));
    if let Ok(value) = header::HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    if let Err(error) = response.add_cookie(&cookie) {
        tracing::error!(error = %error, "cannot set the CSRF cookie");
    }
    response
}

/// `GET /oauth/authorize`: check the request, then answer it from the sign-in session when one may, else show the
/// login page (or, for `prompt=none`, tell the client that a sign-in is needed).
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let params = match web::Query::<AuthorizeParams>::from_query(req.query_string()) {
        Ok(params) => params.into_inner(),
        Err(error) => return refuse(Refusal::Page(format!("malformed request: {error}"))),
    };
    let checked = match check(&state, &params).await {
        Ok(checked) => checked,
        Err(refusal) => return refuse(refusal),
    };
    match reusable_session(&req, &state, &checked, &params).await {
        Some(session) => match issue_code(&state, &checked, &params, &session).await {
            Ok(location) => found(location),
            Err(error) => login_page(
                &req,
                &state,
                &checked,
                &params,
                error.status(),
                Some(error.message()),
                "",
            ),
        },
        None if checked.silent_only => found(with_query(
            &checked.redirect_uri,
            &[
                ("error", "login_required"),
                ("error_description", "the user is not signed in"),
                ("state", params.state.as_str()),
            ],
        )),
        None => login_page(&req, &state, &checked, &params, StatusCode::OK, None, ""),
    }
}

fn found(location: String) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// The browser's sign-in session, if it may answer this request: not asked to sign in afresh, recent enough for
/// `max_age`, of the user `id_token_hint` names, and in the tenant the client signs users in to.
async fn reusable_session(
    req: &HttpRequest,
    state: &AppState,
    checked: &Checked,
    params: &AuthorizeParams,
) -> Option<Session> {
    if checked.fresh_only {
        return None;
    }
    let session = session::current(req, state, SessionKind::SignIn)?;
    let age = UnixTime::now().seconds() - session.iat.seconds();
    if checked.max_age.is_some_and(|max_age| age > max_age) {
        return None;
    }
    if checked
        .hinted_user
        .as_ref()
        .is_some_and(|sub| *sub != session.sub)
    {
        return None;
    }
    let same_tenant = match (&checked.client.tenant_id, params.tenant.as_str()) {
        (Some(tenant_id), _) => session.tid.as_ref() == Some(tenant_id),
        (None, "") => true,
        (None, slug) => session.tid == Some(tenant_of(state, &checked.client, slug).await?),
    };
    same_tenant.then_some(session)
}

/// `POST /oauth/authorize` (its CSRF token checked by `PostedForm`): check the request again, sign the user in, and
/// send the code back.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    PostedForm(form): PostedForm,
) -> HttpResponse {
    let field = |name: &str| form.get(name).unwrap_or_default().to_string();
    let params = AuthorizeParams {
        response_type: field("response_type"),
        client_id: field("client_id"),
        redirect_uri: field("redirect_uri"),
        scope: field("scope"),
        state: field("state"),
        code_challenge: field("code_challenge"),
        code_challenge_method: field("code_challenge_method"),
        response_mode: field("response_mode"),
        tenant: field("tenant"),
        nonce: field("nonce"),
        ..AuthorizeParams::default()
    };
    let checked = match check(&state, &params).await {
        Ok(checked) => checked,
        Err(refusal) => return refuse(refusal),
    };
    let username = field("username");
    let password = field("password");
    match sign_in_and_issue(&req, &state, &checked, &params, &username, password).await {
        // The login page's CSP lets its form lead to the redirect URI's origin, so browsers follow this.
        Ok((location, cookie)) => {
            let mut response = HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .finish();
            if let Err(error) = response.add_cookie(&cookie) {
                tracing::error!(error = %error, "cannot set the sign-in session cookie");
            }
            response
        }
        Err(error) => login_page(
            &req,
            &state,
            &checked,
            &params,
            error.status(),
            Some(error.message()),
            &username,
        ),
    }
}

/// Signs the user in to the client's tenant, starting a sign-in session, and stores a code for the checked
/// request: where to send the browser, and the session's cookie.
async fn sign_in_and_issue(
    req: &HttpRequest,
    state: &AppState,
    checked: &Checked,
    params: &AuthorizeParams,
    username: &str,
    password: String,
) -> Result<(String, Cookie<'static>), PageError> {
    let tenant_id = tenant_of(state, &checked.client, &params.tenant)
        .await
        .ok_or_else(PageError::wrong_credentials)?;
    let attempt = LoginAttempt {
        tenant_id: &tenant_id,
        username,
        password: password.into(),
        address: state.client_address(req),
        client_id: &checked.client.id,
    };
    let user = user_login::sign_in_at_page(state, attempt).await?;
    let (session, cookie) = session::start(state, SessionKind::SignIn, &user.id, Some(&tenant_id))
        .await
        .map_err(PageError::unavailable)?;
    let location = issue_code(state, checked, params, &session).await?;
    Ok((location, cookie))
}

/// Stores a code of `session`'s user for the checked request: where to send the browser.
async fn issue_code(
    state: &AppState,
    checked: &Checked,
    params: &AuthorizeParams,
    session: &Session,
) -> Result<String, PageError> {
    let code = random_base62(43);
    let now = UnixTime::now();
    let row = AuthorizationCodeRow {
        code_hash: authorization_code::hash(&code),
        client_id: checked.client.id.clone(),
        user_id: session.sub.clone(),
        redirect_uri: checked.redirect_uri.clone(),
        scope: checked.scopes.clone(),
        code_challenge: params.code_challenge.clone(),
        created_at: now,
        expires_at: now + authorization_code::LIFETIME_SECONDS,
        used_at: None,
        family_id: None,
        access_token_jti: None,
        nonce: (!params.nonce.is_empty()).then(|| params.nonce.clone()),
        auth_time: Some(session.iat),
        session_id: Some(session.jti.clone()),
    };
    state
        .db
        .write(move |conn| authorization_codes::insert(conn, &row))
        .await
        .map_err(PageError::unavailable)?;
    Ok(with_query(
        &checked.redirect_uri,
        &[("code", code.as_str()), ("state", params.state.as_str())],
    ))
}

/// The tenant the user signs in to: the client's own, else the one whose slug was given.
async fn tenant_of(state: &AppState, client: &ServiceClient, slug: &str) -> Option<String> {
    if let Some(tenant_id) = &client.tenant_id {
        return Some(tenant_id.clone());
    }
    let slug = slug.trim().to_lowercase();
    let tenant = state
        .db
        .run(move |conn| tenants::find_by_slug(conn, &slug))
        .await
        .ok()??;
    Some(tenant.id)
}
