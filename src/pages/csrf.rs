//! CSRF protection for page forms: a random nonce in a `SameSite=Lax`, `HttpOnly` cookie, and in each form the
//! HMAC of that nonce under a key derived from the master key. A POST passes only with a field this server made for
//! the cookie it carries: a cookie planted by someone else (a sibling subdomain, say) is useless without the key.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;
use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::domain::ids::random_base62;
use crate::state::AppState;

const COOKIE: &str = "keygate_csrf";
const NONCE_LEN: usize = 32;

/// The form field for the request's nonce (a new nonce when it has none), and the cookie to (re)set for the pages
/// under `path`.
pub fn token_for(
    req: &HttpRequest,
    state: &AppState,
    path: &'static str,
) -> (String, Cookie<'static>) {
    let nonce = req
        .cookie(COOKIE)
        .map(|c| c.value().to_string())
        .filter(|t| t.len() == NONCE_LEN)
        .unwrap_or_else(|| random_base62(NONCE_LEN));
    let tag = hmac::sign(state.keyring.forms_key(), nonce.as_bytes());
    let cookie = Cookie::build(COOKIE, nonce)
        .path(path)
        .http_only(true)
        .secure(state.config.issuer().starts_with("https://"))
        .same_site(SameSite::Lax)
        .finish();
    (URL_SAFE_NO_PAD.encode(tag.as_ref()), cookie)
}

/// Whether a submitted form's token is this server's HMAC of the request's cookie (compared in constant time).
pub fn is_valid(req: &HttpRequest, state: &AppState, submitted: Option<&str>) -> bool {
    let (Some(cookie), Some(submitted)) = (req.cookie(COOKIE), submitted) else {
        return false;
    };
    let Ok(tag) = URL_SAFE_NO_PAD.decode(submitted) else {
        return false;
    };
    hmac::verify(state.keyring.forms_key(), cookie.value().as_bytes(), &tag).is_ok()
}
