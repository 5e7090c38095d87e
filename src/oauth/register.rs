//! `POST /oauth/register` (RFC 7591) and `GET/PUT/DELETE /oauth/register/{client_id}` (RFC 7592): a client registers
//! itself with an initial access token a tenant administrator made, then manages its registration with the
//! registration access token it got. Errors are RFC 7591 §3.2.2's (`invalid_client_metadata`,
//! `invalid_redirect_uri`, 400) and RFC 6750 §3.1's for the tokens (`invalid_token`, 401, with a Bearer challenge).

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::Value;

use crate::domain::error_code::ErrorCode;
use crate::domain::ids::ClientId;
use crate::domain::oauth_text::description_charset;
use crate::domain::registration::{ClientMetadata, MetadataError};
use crate::domain::time::UnixTime;
use crate::service::registrations::{self as service, Registration};
use crate::service::ServiceError;
use crate::state::AppState;

/// A registration answer (RFC 7591 §3.2.1, RFC 7592 §3): the client's id, its secrets when just made, where it
/// manages its registration, and its metadata as registered.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RegistrationAnswer {
    client_id: String,
    /// The `kg_sk_…` secret of a `client_secret_basic` or `client_secret_post` client: in the registration answer
    /// only.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    /// 0: the secret does not expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret_expires_at: Option<i64>,
    client_id_issued_at: UnixTime,
    /// The `kg_rat_…` token for `registration_client_uri`: in the registration answer only.
    #[serde(skip_serializing_if = "Option::is_none")]
    registration_access_token: Option<String>,
    registration_client_uri: String,
    #[serde(flatten)]
    metadata: ClientMetadata,
}

fn answer_of(state: &AppState, registration: Registration) -> RegistrationAnswer {
    let secret = registration
        .metadata
        .token_endpoint_auth_method
        .uses_secret();
    RegistrationAnswer {
        registration_client_uri: format!(
            "{}/oauth/register/{}",
            state.config.issuer(),
            registration.client.id
        ),
        client_id: registration.client.id,
        client_secret: registration.client_secret,
        client_secret_expires_at: secret.then_some(0),
        client_id_issued_at: registration.client.created_at,
        registration_access_token: registration.registration_access_token,
        metadata: registration.metadata,
    }
}

/// A refused registration request, in the shape its RFC prescribes.
#[derive(Debug)]
pub enum RegistrationError {
    Service(ServiceError),
    /// 429 with `Retry-After`: the caller's address is over its rate limit.
    RateLimited(u64),
}

impl From<ServiceError> for RegistrationError {
    fn from(error: ServiceError) -> RegistrationError {
        RegistrationError::Service(error)
    }
}

impl From<MetadataError> for RegistrationError {
    fn from(error: MetadataError) -> RegistrationError {
        let (code, message) = match error {
            MetadataError::InvalidRedirectUri(m) => (ErrorCode::InvalidRedirectUri, m),
            MetadataError::InvalidClientMetadata(m) => (ErrorCode::InvalidClientMetadata, m),
        };
        RegistrationError::Service(ServiceError::refused(code, message))
    }
}

impl std::fmt::Display for RegistrationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegistrationError::Service(error) => error.fmt(f),
            RegistrationError::RateLimited(seconds) => write!(f, "rate limited for {seconds} s"),
        }
    }
}

impl RegistrationError {
    /// The status, the error code and its description.
    fn parts(&self) -> (StatusCode, &'static str, String) {
        let error = match self {
            RegistrationError::Service(error) => error,
            RegistrationError::RateLimited(seconds) => {
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    "temporarily_unavailable",
                    format!("rate limit exceeded; retry in {seconds} s"),
                )
            }
        };
        match error {
            ServiceError::Refused(ErrorCode::InvalidToken, message) => {
                (StatusCode::UNAUTHORIZED, "invalid_token", message.clone())
            }
            ServiceError::Refused(ErrorCode::InvalidRedirectUri, message) => (
                StatusCode::BAD_REQUEST,
                "invalid_redirect_uri",
                message.clone(),
            ),
            ServiceError::Refused(_, message)
            | ServiceError::InvalidField(_, _, message)
            | ServiceError::Conflict(_, message) => (
                StatusCode::BAD_REQUEST,
                "invalid_client_metadata",
                message.clone(),
            ),
            // A tenant deleted under its token: the token registers nothing.
            ServiceError::NotFound(_) | ServiceError::Forbidden(_) => (
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the token is not valid".into(),
            ),
            ServiceError::Database(error) if error.is_unstorable_text() => (
                StatusCode::BAD_REQUEST,
                "invalid_client_metadata",
                "the metadata may not contain NUL characters".into(),
            ),
            ServiceError::Database(error) if error.is_unavailable() => (
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the database is unavailable, retry shortly".into(),
            ),
            other => {
                tracing::error!(error = %other, "registration failure");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "internal error".into(),
                )
            }
        }
    }
}

impl ResponseError for RegistrationError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, error, description) = self.parts();
        let description = description_charset(&description);
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if status == StatusCode::UNAUTHORIZED {
            // RFC 6750 §3: the challenge names the error; the description has no quote or backslash in its charset.
            let challenge = format!(
                r#"Bearer realm="keygate", error="invalid_token", error_description="{}""#,
                description.replace(['"', '\\'], "'")
            );
            response.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        match self {
            RegistrationError::RateLimited(seconds) => {
                response.insert_header((header::RETRY_AFTER, seconds.to_string()));
            }
            _ if status == StatusCode::SERVICE_UNAVAILABLE => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        response.json(serde_json::json!({"error": error, "error_description": description}))
    }
}

/// The bearer token of the request (RFC 6750 §2.1), or the refusal of its absence.
fn bearer(req: &HttpRequest, what: &str) -> Result<String, RegistrationError> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            ServiceError::refused(
                ErrorCode::InvalidToken,
                format!("send the {what} as Authorization: Bearer"),
            )
            .into()
        })
}

/// The request's client metadata: a JSON object.
fn metadata_of(req: &HttpRequest, body: &[u8]) -> Result<ClientMetadata, RegistrationError> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(MetadataError::InvalidClientMetadata(
            "send the client metadata as application/json".into(),
        )
        .into());
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| MetadataError::InvalidClientMetadata(format!("the body is not JSON: {e}")))?;
    Ok(ClientMetadata::parse(value)?)
}

fn created(state: &AppState, status: StatusCode, registration: Registration) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(answer_of(state, registration))
}

/// `?tenant=`: the tenant whose open registration a registration without an initial access token uses.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TenantQuery {
    /// The tenant's slug; default: the server's `registration_tenant`.
    tenant: Option<String>,
}

/// Registers a client (RFC 7591 §3.1) with an initial access token, or without one in a tenant whose open
/// registration is on.
#[utoipa::path(post, path = "/oauth/register", tag = "oauth", request_body = ClientMetadata,
    params(TenantQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 201, body = RegistrationAnswer),
        (status = 400, description = "invalid_client_metadata or invalid_redirect_uri (RFC 7591 §3.2.2)"),
        (status = 401, description = "invalid_token: the initial access token is missing, wrong, expired or used up, or the tenant has no open registration"),
        (status = 429, description = "over the rate limit of the source address"),
    ))]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, RegistrationError> {
    state
        .rate_limits
        .check_address(state.client_address(&req))
        .map_err(|over| RegistrationError::RateLimited(over.retry_after))?;
    if req.headers().contains_key(header::AUTHORIZATION) {
        let token = bearer(&req, "initial access token")?;
        let metadata = metadata_of(&req, &body)?;
        let config = state.config.clone();
        let registration = state
            .change(move |conn| service::register(conn, &config, &token, metadata))
            .await?;
        return Ok(created(&state, StatusCode::CREATED, registration));
    }
    // Without an initial access token: the tenant's open registration, if the tenant has it on.
    let tenant = web::Query::<TenantQuery>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.into_inner().tenant)
        .or_else(|| state.config.registration_tenant.clone())
        .ok_or_else(|| {
            RegistrationError::from(ServiceError::refused(
                ErrorCode::InvalidToken,
                "send an initial access token as Authorization: Bearer, or name a tenant with open registration (?tenant=)",
            ))
        })?;
    state
        .rate_limits
        .check_open_registration(state.client_address(&req))
        .map_err(|over| RegistrationError::RateLimited(over.retry_after))?;
    let metadata = metadata_of(&req, &body)?;
    let config = state.config.clone();
    let registration = state
        .change(move |conn| service::register_open(conn, &config, &tenant, metadata))
        .await?;
    Ok(created(&state, StatusCode::CREATED, registration))
}

fn client_id_of(path: &str) -> Result<ClientId, RegistrationError> {
    ClientId::parse(path).map_err(|_| {
        ServiceError::refused(
            ErrorCode::InvalidToken,
            "the registration access token is not valid for this client",
        )
        .into()
    })
}

/// Reads a registration (RFC 7592 §2.1).
#[utoipa::path(get, path = "/oauth/register/{client_id}", tag = "oauth",
    params(("client_id" = String, Path, description = "The registered client")),
    security(("bearer" = [])),
    responses((status = 200, body = RegistrationAnswer),
        (status = 401, description = "invalid_token: not this client's registration access token")))]
pub async fn read(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, RegistrationError> {
    let (id, token) = (
        client_id_of(&path)?,
        bearer(&req, "registration access token")?,
    );
    let registration = state
        .db
        .run_as(move |conn| service::read(conn, &id, &token))
        .await?;
    Ok(created(&state, StatusCode::OK, registration))
}

/// Replaces a registration's metadata (RFC 7592 §2.2); the body's `client_id`, when sent, must be this client.
#[utoipa::path(put, path = "/oauth/register/{client_id}", tag = "oauth", request_body = ClientMetadata,
    params(("client_id" = String, Path, description = "The registered client")),
    security(("bearer" = [])),
    responses((status = 200, body = RegistrationAnswer),
        (status = 400, description = "invalid_client_metadata or invalid_redirect_uri"),
        (status = 401, description = "invalid_token: not this client's registration access token")))]
pub async fn replace(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, RegistrationError> {
    let (id, token) = (
        client_id_of(&path)?,
        bearer(&req, "registration access token")?,
    );
    let named = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("client_id").cloned());
    if named.is_some_and(|named| named != id.as_str()) {
        return Err(MetadataError::InvalidClientMetadata(
            "client_id must be the registered client's".into(),
        )
        .into());
    }
    let metadata = metadata_of(&req, &body)?;
    let config = state.config.clone();
    let registration = state
        .change(move |conn| service::replace(conn, &config, &id, &token, metadata))
        .await?;
    Ok(created(&state, StatusCode::OK, registration))
}

/// Deletes a registered client (RFC 7592 §2.3).
#[utoipa::path(delete, path = "/oauth/register/{client_id}", tag = "oauth",
    params(("client_id" = String, Path, description = "The registered client")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted: its keys and tokens no longer work"),
        (status = 401, description = "invalid_token: not this client's registration access token")))]
pub async fn unregister(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, RegistrationError> {
    let (id, token) = (
        client_id_of(&path)?,
        bearer(&req, "registration access token")?,
    );
    let config = state.config.clone();
    state
        .change(move |conn| service::unregister(conn, &config, &id, &token))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
