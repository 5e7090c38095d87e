//! `ApiError`: the `/v1` error answer, `{"error": stable_snake_case_code, "message": human text}`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::db::DbError;
use crate::domain::error_code::ErrorCode;
use crate::service::ServiceError;

/// An error of the management API.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    /// `WWW-Authenticate` values for 401 answers, one header each.
    pub challenges: &'static [&'static str],
    /// `Retry-After` seconds for 429 and 503 answers.
    pub retry_after: Option<u64>,
    /// The request body's field a 409 or 422 is about, when it is about one.
    pub field: Option<&'static str>,
}

/// The error body of every `/v1` endpoint.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable, snake_case: `invalid_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`, …
    pub error: ErrorCode,
    pub message: String,
    /// The request body's field the error is about (`slug`, `scopes`, `redirect_uris`, …), when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            challenges: &[],
            retry_after: None,
            field: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, message)
    }

    /// 422: well-formed but refused by a rule (a scope a tenant client may not have, a key too weak, …).
    pub fn unprocessable(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 401 for credentials that were sent and refused (RFC 6750 §3.1: `invalid_token`).
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError {
            challenges: &["Bearer realm=\"keygate\", error=\"invalid_token\""],
            ..ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
        }
    }

    /// 401 for a request that sent no credentials: both schemes `/v1` accepts, with no error code (RFC 6750 §3.1).
    pub fn credentials_required(message: impl Into<String>) -> ApiError {
        ApiError {
            challenges: &[BEARER_CHALLENGE, BASIC_CHALLENGE],
            ..ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
        }
    }

    /// 429 over a rate limit.
    pub fn rate_limited(over: crate::rate_limit::OverLimit) -> ApiError {
        ApiError {
            retry_after: Some(over.retry_after),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                format!("rate limit exceeded; retry in {} s", over.retry_after),
            )
        }
    }

    /// 429 after too many failed authentications.
    pub fn throttled(seconds: u64) -> ApiError {
        let message = format!("too many failed attempts; retry in {seconds} s");
        ApiError {
            retry_after: Some(seconds),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyFailures,
                message,
            )
        }
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    /// 404 for what does not exist, and for what exists in another tenant (never 403: no existence oracle).
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("{what} not found"),
        )
    }

    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }

    /// Logs an unexpected failure with its cause chain; the caller learns nothing of it.
    pub fn internal(error: impl Into<anyhow::Error>) -> ApiError {
        tracing::error!(error = format!("{:#}", error.into()), "unexpected failure");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "internal error",
        )
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> ApiError {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            error if error.is_unavailable() => {
                tracing::warn!(error = %error, "database unavailable");
                ApiError {
                    retry_after: Some(1),
                    ..ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        ErrorCode::Unavailable,
                        "the database is unavailable, retry shortly",
                    )
                }
            }
            error if error.is_unstorable_text() => {
                ApiError::bad_request("text may not contain NUL characters")
            }
            DbError::Query(Error::NotFound) => ApiError::not_found("object"),
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                ApiError::conflict(
                    ErrorCode::Conflict,
                    "an object with these unique values already exists",
                )
            }
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)) => {
                ApiError::unprocessable(
                    ErrorCode::UnknownReference,
                    "a referenced object does not exist",
                )
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> ApiError {
        let field = error.field();
        let answer = match error {
            ServiceError::NotFound(what) => ApiError::not_found(what),
            ServiceError::Forbidden(message) => ApiError::forbidden(message),
            ServiceError::Refused(code, message) | ServiceError::InvalidField(code, _, message) => {
                ApiError::unprocessable(code, message)
            }
            ServiceError::Conflict(code, message) => ApiError::conflict(code, message),
            ServiceError::Database(error) => error.into(),
            ServiceError::Internal(error) => ApiError::internal(error),
        };
        ApiError { field, ..answer }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

pub const BEARER_CHALLENGE: &str = "Bearer realm=\"keygate\"";
pub const BASIC_CHALLENGE: &str = "Basic realm=\"keygate\"";

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        for challenge in self.challenges {
            response.append_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            ));
        }
        if let Some(seconds) = self
            .retry_after
            .or((self.status == StatusCode::SERVICE_UNAVAILABLE).then_some(1))
        {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(ErrorBody {
            error: self.code,
            message: self.message.clone(),
            field: self.field,
        })
    }
}

/// The largest JSON body the management API reads.
pub const MAX_JSON_BYTES: usize = 64 * 1024;

/// Extractor configurations whose failures answer in our JSON shape instead of actix's plain text.
pub fn extractor_configs(cfg: &mut actix_web::web::ServiceConfig) {
    use actix_web::web;
    let json = web::JsonConfig::default()
        .limit(MAX_JSON_BYTES)
        .error_handler(|error, _| match error {
            actix_web::error::JsonPayloadError::OverflowKnownLength { .. }
            | actix_web::error::JsonPayloadError::Overflow { .. } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                format!("the body is larger than {MAX_JSON_BYTES} bytes"),
            )
            .into(),
            error => ApiError::bad_request(format!("invalid JSON body: {error}")).into(),
        });
    let query = web::QueryConfig::default().error_handler(|error, _| {
        ApiError::bad_request(format!("invalid query string: {error}")).into()
    });
    // Every `/v1` path parameter is a typed id: one that is malformed names nothing, as an unknown one does.
    let path = web::PathConfig::default().error_handler(|error, _| {
        let why = match error {
            actix_web::error::PathError::Deserialize(error) => error.to_string(),
            other => other.to_string(),
        };
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, why).into()
    });
    cfg.app_data(json).app_data(query).app_data(path);
}
