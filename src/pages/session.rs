//! Browser sessions: a short-lived JWT (`typ: session+jwt`) signed by the keyring, in an `HttpOnly`, `SameSite=Lax`
//! cookie (`Secure` when the issuer is https). Two kinds, each scoped to its pages: the account pages' and the
//! sign-in session of `/oauth/authorize` (the OpenID Connect session that silent sign-in, `prompt`, `max_age` and
//! logout act on; its `jti` is the ID tokens' `sid` and its `iat` their `auth_time`). Nothing is stored per live
//! session; signing out revokes its `jti` (as a revoked access token is, on every node), and the subject
//! revocations of the user or tenant end it.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::HttpRequest;
use serde::{Deserialize, Serialize};

use crate::crypto::jwt;
use crate::domain::ids::random_base62;
use crate::domain::time::UnixTime;
use crate::state::AppState;

const TYPE: &str = "session+jwt";
/// How long a session lasts (no longer than a subject revocation is kept, so that one always ends it).
pub const LIFETIME_SECONDS: i64 = crate::domain::ttl::ACCOUNT_SESSION_SECONDS;

/// Which pages a session is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// `/account`: the user's own pages.
    Account,
    /// `/oauth`: the authorization endpoint's sign-in, and logout.
    SignIn,
    /// `/console`: a tenant administrator's or an operator's management console.
    Console,
}

impl SessionKind {
    fn cookie_name(self) -> &'static str {
        match self {
            SessionKind::Account => "keygate_session",
            SessionKind::SignIn => "keygate_sign_in",
            SessionKind::Console => "keygate_console",
        }
    }

    fn path(self) -> &'static str {
        match self {
            SessionKind::Account => "/account",
            SessionKind::SignIn => "/oauth",
            SessionKind::Console => "/console",
        }
    }
}

/// Who is signed in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub iss: String,
    pub sub: String,
    /// The user's tenant; none for an operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
    pub exp: UnixTime,
    pub iat: UnixTime,
    pub jti: String,
    /// The pages it is for (its cookie's name): a session of one kind copied into another's cookie is refused.
    pub aud: String,
}

impl Session {
    /// The signed-in user as the actor of what they do for themselves on the pages.
    pub fn actor(&self) -> crate::service::Actor {
        crate::service::Actor::user(&self.sub, self.tenant())
    }

    /// The user's tenant (empty for an operator, who signs in to the console only).
    pub fn tenant(&self) -> &str {
        self.tid.as_deref().unwrap_or_default()
    }
}

/// The signed-in user of this request, if any: a session ends when its user is deleted, disabled or given a new
/// password, or its tenant deleted.
pub fn current(req: &HttpRequest, state: &AppState, kind: SessionKind) -> Option<Session> {
    let cookie = req.cookie(kind.cookie_name())?;
    let keys = state.keyring.current();
    let session = jwt::verify::<Session>(
        &keys.verifying,
        cookie.value(),
        TYPE,
        &state.config.issuer(),
        5,
    )
    .ok()?;
    if session.aud != kind.cookie_name() {
        return None;
    }
    let subjects = [session.sub.as_str(), session.tenant()];
    let ended = state.revocations.contains(&session.jti)
        || state.revocations.refuses(subjects, session.iat);
    (!ended).then_some(session)
}

/// A new session for `user_id` of `tenant_id` (none: an operator), and its cookie.
pub async fn start(
    state: &AppState,
    kind: SessionKind,
    user_id: &str,
    tenant_id: Option<&str>,
) -> anyhow::Result<(Session, Cookie<'static>)> {
    state
        .revocations
        .wait_until_clear_of([user_id, tenant_id.unwrap_or_default()])
        .await;
    let now = UnixTime::now();
    let session = Session {
        iss: state.config.issuer(),
        sub: user_id.into(),
        tid: tenant_id.map(String::from),
        exp: now + LIFETIME_SECONDS,
        iat: now,
        jti: random_base62(22),
        aud: kind.cookie_name().into(),
    };
    let token = jwt::encode(&state.keyring.current().signer, TYPE, &session)?;
    let cookie = cookie(
        state,
        kind,
        token,
        CookieDuration::seconds(LIFETIME_SECONDS),
    );
    Ok((session, cookie))
}

/// Ends `session` on the server: its cookie, however copied, is refused from now on.
pub async fn revoke(state: &AppState, session: &Session) -> Result<(), crate::db::DbError> {
    revoke_id(state, &session.jti, &session.sub, session.exp).await
}

/// Ends the session `jti` of `user_id`, which lasts until `expires_at`.
pub async fn revoke_id(
    state: &AppState,
    jti: &str,
    user_id: &str,
    expires_at: UnixTime,
) -> Result<(), crate::db::DbError> {
    let row = crate::db::revoked_tokens::RevokedTokenRow {
        jti: jti.to_string(),
        // The column names whose token it was; a session is its user's.
        client_id: user_id.to_string(),
        expires_at,
        revoked_at: UnixTime::now(),
    };
    state.revocations.revoke_token(&state.db, row).await
}

/// A cookie that removes the session.
pub fn end(state: &AppState, kind: SessionKind) -> Cookie<'static> {
    cookie(state, kind, String::new(), CookieDuration::ZERO)
}

fn cookie(
    state: &AppState,
    kind: SessionKind,
    value: String,
    max_age: CookieDuration,
) -> Cookie<'static> {
    Cookie::build(kind.cookie_name(), value)
        .path(kind.path())
        .http_only(true)
        .secure(state.config.issuer().starts_with("https://"))
        .same_site(SameSite::Lax)
        .max_age(max_age)
        .finish()
}
