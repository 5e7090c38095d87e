//! Browser sessions for the account pages: a short-lived JWT (`typ: session+jwt`) signed by the keyring, in an
//! `HttpOnly`, `SameSite=Lax` cookie scoped to `/account`. Nothing is stored per live session; signing out revokes
//! its `jti` (as a revoked access token is, on every node), and the subject revocations of the user or tenant end it.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::HttpRequest;
use serde::{Deserialize, Serialize};

use crate::crypto::jwt;
use crate::domain::ids::random_base62;
use crate::domain::time::UnixTime;
use crate::state::AppState;

const COOKIE: &str = "keygate_session";
const TYPE: &str = "session+jwt";
/// How long a sign-in to the account pages lasts.
pub const LIFETIME_SECONDS: i64 = crate::domain::ttl::ACCOUNT_SESSION_SECONDS;

/// Who is signed in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub iss: String,
    pub sub: String,
    pub tid: String,
    pub exp: UnixTime,
    pub iat: UnixTime,
    pub jti: String,
}

impl Session {
    /// The signed-in user as the actor of what they do on the pages.
    pub fn actor(&self) -> crate::service::Actor {
        crate::service::Actor::user(&self.sub, &self.tid)
    }
}

/// The signed-in user of this request, if any: a session ends when its user is deleted, disabled or given a new
/// password, or its tenant deleted.
pub fn current(req: &HttpRequest, state: &AppState) -> Option<Session> {
    let cookie = req.cookie(COOKIE)?;
    let keys = state.keyring.current();
    let session = jwt::verify::<Session>(
        &keys.verifying,
        cookie.value(),
        TYPE,
        &state.config.issuer(),
        5,
    )
    .ok()?;
    let subjects = [session.sub.as_str(), session.tid.as_str()];
    let ended = state.revocations.contains(&session.jti)
        || state.revocations.refuses(subjects, session.iat);
    (!ended).then_some(session)
}

/// A session cookie for `user_id` of `tenant_id`.
pub async fn start(
    state: &AppState,
    user_id: &str,
    tenant_id: &str,
) -> anyhow::Result<Cookie<'static>> {
    state
        .revocations
        .wait_until_clear_of([user_id, tenant_id])
        .await;
    let now = UnixTime::now();
    let session = Session {
        iss: state.config.issuer(),
        sub: user_id.into(),
        tid: tenant_id.into(),
        exp: now + LIFETIME_SECONDS,
        iat: now,
        jti: random_base62(22),
    };
    let token = jwt::encode(&state.keyring.current().signer, TYPE, &session)?;
    Ok(cookie(
        state,
        token,
        CookieDuration::seconds(LIFETIME_SECONDS),
    ))
}

/// Ends `session` on the server: its cookie, however copied, is refused from now on.
pub async fn revoke(state: &AppState, session: &Session) -> Result<(), crate::db::DbError> {
    let row = crate::db::revoked_tokens::RevokedTokenRow {
        jti: session.jti.clone(),
        // The column names whose token it was; a session is its user's.
        client_id: session.sub.clone(),
        expires_at: session.exp,
        revoked_at: UnixTime::now(),
    };
    state.revocations.revoke_token(&state.db, row).await
}

/// A cookie that removes the session.
pub fn end(state: &AppState) -> Cookie<'static> {
    cookie(state, String::new(), CookieDuration::ZERO)
}

fn cookie(state: &AppState, value: String, max_age: CookieDuration) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path("/account")
        .http_only(true)
        .secure(state.config.issuer().starts_with("https://"))
        .same_site(SameSite::Lax)
        .max_age(max_age)
        .finish()
}
