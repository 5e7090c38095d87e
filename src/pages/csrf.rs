//! CSRF protection for page forms: a random token in a `SameSite=Lax`, `HttpOnly` cookie and in a hidden form field
//! (double submit); a POST whose field does not match its cookie is refused.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;
use subtle::ConstantTimeEq;

use crate::domain::ids::random_base62;

const COOKIE: &str = "keygate_csrf";

/// The request's token if it has one, else a new one; and the cookie to (re)set for the pages under `path`.
pub fn token_for(req: &HttpRequest, secure: bool, path: &'static str) -> (String, Cookie<'static>) {
    let token = req
        .cookie(COOKIE)
        .map(|c| c.value().to_string())
        .filter(|t| t.len() == 32)
        .unwrap_or_else(|| random_base62(32));
    let cookie = Cookie::build(COOKIE, token.clone())
        .path(path)
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish();
    (token, cookie)
}

/// Whether a submitted form's token matches the request's cookie.
pub fn is_valid(req: &HttpRequest, submitted: Option<&str>) -> bool {
    match (req.cookie(COOKIE), submitted) {
        (Some(cookie), Some(submitted)) if !submitted.is_empty() => {
            cookie.value().as_bytes().ct_eq(submitted.as_bytes()).into()
        }
        _ => false,
    }
}
