//! What the page handlers start from and how they refuse: a form posted from one of keygate's own pages (read, its
//! CSRF token checked), for the account pages with the signed-in user, and `PageError`, the one shape of a refusal
//! (shown on a page of its own, or on the page the user came from).

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};

use super::{csrf, html, session, ErrorPage};
use crate::credentials::user_login::LoginError;
use crate::db::DbError;
use crate::form::OAuthForm;
use crate::service::ServiceError;
use crate::state::AppState;

/// Why a page cannot do what was asked.
#[derive(Debug)]
pub enum PageError {
    /// Told to the user with this status: on the page they came from when the handler shows it again, else on a
    /// page of its own.
    Told(StatusCode, Cow<'static, str>),
    /// Told next to the input field named (as the service names it: `slug`, `redirect_uris`, …), with this status.
    AtField(StatusCode, Field, String),
    /// Not signed in: to this sign-in page (which sends the user back after).
    SignIn(&'static str),
}

/// The form field an error is about: of the page's main form, or of one row's own form (a user's password in the
/// list of users), which the page tells apart by the row's id.
#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub row: Option<String>,
}

impl PageError {
    pub fn expired() -> PageError {
        PageError::Told(
            StatusCode::FORBIDDEN,
            "This form has expired. Go back, reload the page and try again.".into(),
        )
    }

    /// The same answer for an unknown organisation, user or password.
    pub fn wrong_credentials() -> PageError {
        PageError::Told(
            StatusCode::UNAUTHORIZED,
            "Invalid organisation, username or password.".into(),
        )
    }

    /// Logs `error`; the user learns only that the service is unavailable.
    pub fn unavailable(error: impl std::fmt::Display) -> PageError {
        tracing::error!(error = %error, "a page could not be served");
        PageError::Told(
            StatusCode::SERVICE_UNAVAILABLE,
            "The service is unavailable, retry shortly.".into(),
        )
    }

    pub fn status(&self) -> StatusCode {
        match self {
            PageError::Told(status, _) | PageError::AtField(status, ..) => *status,
            PageError::SignIn(_) => StatusCode::SEE_OTHER,
        }
    }

    /// Where the message next to the field is: `#<field>-error`, or `#<field>-<row>-error` for a row's form.
    pub fn anchor(&self) -> Option<String> {
        match self {
            PageError::AtField(_, Field { name, row: None }, _) => Some(format!("{name}-error")),
            PageError::AtField(
                _,
                Field {
                    name,
                    row: Some(row),
                },
                _,
            ) => Some(format!("{name}-{row}-error")),
            _ => None,
        }
    }

    /// The same error about the form of the row `row` (its id) rather than the page's main form.
    pub fn in_row(self, row: &str) -> PageError {
        match self {
            PageError::AtField(status, Field { name, .. }, message) => PageError::AtField(
                status,
                Field {
                    name,
                    row: Some(row.to_string()),
                },
                message,
            ),
            other => other,
        }
    }

    /// The message when it is about `field` of the main form (`row` none) or of row `row`'s form: what the page
    /// shows next to that field.
    pub fn at(&self, field: &str, row: Option<&str>) -> Option<&str> {
        match self {
            PageError::AtField(_, at, message) if at.name == field && at.row.as_deref() == row => {
                Some(message)
            }
            _ => None,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            PageError::Told(_, message) => message,
            PageError::AtField(_, _, message) => message,
            PageError::SignIn(_) => "Sign in first.",
        }
    }
}

impl From<LoginError> for PageError {
    fn from(error: LoginError) -> PageError {
        match error {
            LoginError::Throttled(seconds) => PageError::Told(
                StatusCode::TOO_MANY_REQUESTS,
                format!("Too many failed attempts. Try again in {seconds} seconds.").into(),
            ),
            LoginError::Refused => PageError::wrong_credentials(),
            error => PageError::unavailable(error),
        }
    }
}

/// A refused change, told as the API tells it; a database or internal failure is logged and the user only learns
/// that the service is unavailable.
impl From<ServiceError> for PageError {
    fn from(error: ServiceError) -> PageError {
        if let Some(field) = error.field() {
            let status = match error {
                ServiceError::Conflict(..) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let field = Field {
                name: field,
                row: None,
            };
            return PageError::AtField(status, field, error.to_string());
        }
        match error {
            ServiceError::NotFound(what) => {
                PageError::Told(StatusCode::NOT_FOUND, format!("No such {what}.").into())
            }
            ServiceError::Forbidden(message) => {
                PageError::Told(StatusCode::FORBIDDEN, message.into())
            }
            ServiceError::Refused(_, message) | ServiceError::InvalidField(_, _, message) => {
                PageError::Told(StatusCode::UNPROCESSABLE_ENTITY, message.into())
            }
            ServiceError::Conflict(_, message) => {
                PageError::Told(StatusCode::CONFLICT, message.into())
            }
            ServiceError::Database(error) if error.is_unstorable_text() => PageError::Told(
                StatusCode::BAD_REQUEST,
                "Text may not contain NUL characters.".into(),
            ),
            other => PageError::unavailable(other),
        }
    }
}

impl From<DbError> for PageError {
    fn from(error: DbError) -> PageError {
        PageError::from(ServiceError::Database(error))
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status(), self.message())
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::SignIn(login) => HttpResponse::SeeOther()
                .insert_header(("Location", *login))
                .finish(),
            told => html(
                told.status(),
                ErrorPage {
                    message: told.message(),
                },
            ),
        }
    }
}

pub(super) type Extracting<T> = Pin<Box<dyn Future<Output = Result<T, PageError>>>>;

pub(super) fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, PageError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| PageError::unavailable("the application state is missing"))
}

pub(super) async fn read_checked(
    req: &HttpRequest,
    state: &AppState,
    payload: Payload,
) -> Result<OAuthForm, PageError> {
    let form = OAuthForm::read(req, payload)
        .await
        .map_err(|error| PageError::Told(error.status, error.description.into()))?;
    match csrf::is_valid(req, state, form.get("csrf_token")) {
        true => Ok(form),
        false => Err(PageError::expired()),
    }
}

/// A form posted from one of keygate's pages, with a CSRF token this server issued for it.
pub struct PostedForm(pub OAuthForm);

impl FromRequest for PostedForm {
    type Error = PageError;
    type Future = Extracting<PostedForm>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, payload) = (req.clone(), payload.take());
        Box::pin(async move {
            let state = state_of(&req)?;
            read_checked(&req, &state, payload).await.map(PostedForm)
        })
    }
}

/// A form posted by a signed-in user from an account page: the session is checked first, so a signed-out visitor
/// is sent to sign in whatever they posted.
pub struct SignedInForm {
    pub who: session::Session,
    pub form: OAuthForm,
}

impl FromRequest for SignedInForm {
    type Error = PageError;
    type Future = Extracting<SignedInForm>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, payload) = (req.clone(), payload.take());
        Box::pin(async move {
            let state = state_of(&req)?;
            let who = session::current(&req, &state, session::SessionKind::Account)
                .ok_or(PageError::SignIn("/account/login?next=/account/keys"))?;
            let form = read_checked(&req, &state, payload).await?;
            Ok(SignedInForm { who, form })
        })
    }
}
