//! `OAuthError`: the RFC 6749 §5.2 error response, with the status each code prescribes.

use std::borrow::Cow;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::oauth_text::description_charset;
use crate::form::FormError;

/// The error codes of RFC 6749 §5.2, RFC 8707 §2 and RFC 9449 §5, plus `server_error` for failures of our own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    InvalidTarget,
    InvalidDpopProof,
    TemporarilyUnavailable,
    ServerError,
}

/// An error answered in the RFC 6749 §5.2 JSON shape, always with `Cache-Control: no-store`.
#[derive(Debug)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: Cow<'static, str>,
    /// Send `WWW-Authenticate: Basic realm="keygate"` (RFC 6749 §5.2).
    pub basic_challenge: bool,
    /// 413 for an oversized body and 429 for throttling, which RFC 6749 does not name.
    pub status: Option<StatusCode>,
    /// `Retry-After` seconds, with a 429.
    pub retry_after: Option<u64>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> OAuthError {
        OAuthError {
            code,
            description: description.into(),
            basic_challenge: false,
            status: None,
            retry_after: None,
        }
    }

    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> OAuthError {
        OAuthError::new(ErrorCode::InvalidRequest, description)
    }

    /// `invalid_client`, with the Basic challenge when `challenge` is true.
    pub fn invalid_client(
        description: impl Into<Cow<'static, str>>,
        challenge: bool,
    ) -> OAuthError {
        OAuthError {
            basic_challenge: challenge,
            ..OAuthError::new(ErrorCode::InvalidClient, description)
        }
    }

    /// 429: over a rate limit; retry after the time it says.
    pub fn rate_limited(over: crate::rate_limit::OverLimit) -> OAuthError {
        OAuthError {
            status: Some(StatusCode::TOO_MANY_REQUESTS),
            retry_after: Some(over.retry_after),
            ..OAuthError::new(
                ErrorCode::TemporarilyUnavailable,
                format!("rate limit exceeded; retry in {} s", over.retry_after),
            )
        }
    }

    /// 429: too many failed attempts; retry after `seconds`.
    pub fn throttled(seconds: u64) -> OAuthError {
        OAuthError {
            status: Some(StatusCode::TOO_MANY_REQUESTS),
            retry_after: Some(seconds),
            ..OAuthError::new(
                ErrorCode::TemporarilyUnavailable,
                format!("too many failed attempts; retry in {seconds} s"),
            )
        }
    }

    /// Logs an unexpected failure with its whole cause chain and answers a bare `server_error`.
    pub fn internal(error: impl Into<anyhow::Error>) -> OAuthError {
        tracing::error!(
            error = format!("{:#}", error.into()),
            "token endpoint failure"
        );
        OAuthError::new(ErrorCode::ServerError, "internal error")
    }

    /// A database failure: 503 when no connection could be had, else 500.
    pub fn database(error: crate::db::DbError) -> OAuthError {
        match error {
            error if error.is_unavailable() => {
                tracing::warn!(error = %error, "database unavailable");
                OAuthError {
                    retry_after: Some(1),
                    ..OAuthError::new(
                        ErrorCode::TemporarilyUnavailable,
                        "the database is unavailable, retry shortly",
                    )
                }
            }
            error if error.is_unstorable_text() => {
                OAuthError::invalid_request("parameters may not contain NUL characters")
            }
            other => OAuthError::internal(other),
        }
    }
}

impl From<crate::credentials::dpop::ProofError> for OAuthError {
    fn from(error: crate::credentials::dpop::ProofError) -> OAuthError {
        match error {
            crate::credentials::dpop::ProofError::Database(error) => OAuthError::database(error),
            refused => OAuthError::new(ErrorCode::InvalidDpopProof, refused.to_string()),
        }
    }
}

impl From<FormError> for OAuthError {
    fn from(error: FormError) -> OAuthError {
        OAuthError {
            status: (error.status != StatusCode::BAD_REQUEST).then_some(error.status),
            ..OAuthError::invalid_request(error.description)
        }
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.description)
    }
}

/// An OAuth error (RFC 6749 §5.2), as every OAuth endpoint sends it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OAuthErrorAnswer<'a> {
    #[schema(value_type = String, example = "invalid_client")]
    error: ErrorCode,
    error_description: &'a str,
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        if let Some(status) = self.status {
            return status;
        }
        match self.code {
            ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
            ErrorCode::InvalidRequest
            | ErrorCode::InvalidGrant
            | ErrorCode::UnauthorizedClient
            | ErrorCode::UnsupportedGrantType
            | ErrorCode::InvalidScope
            | ErrorCode::InvalidTarget
            | ErrorCode::InvalidDpopProof => StatusCode::BAD_REQUEST,
            ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        response.insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
        if self.basic_challenge {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"keygate\""),
            ));
        }
        if self.code == ErrorCode::TemporarilyUnavailable {
            response.insert_header((
                header::RETRY_AFTER,
                self.retry_after.unwrap_or(1).to_string(),
            ));
        }
        response.json(OAuthErrorAnswer {
            error: self.code,
            error_description: &description_charset(&self.description),
        })
    }
}
