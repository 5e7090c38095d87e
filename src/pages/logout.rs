//! `GET/POST /oauth/logout` (OpenID Connect RP-Initiated Logout 1.0): ends the browser's sign-in session and the
//! refresh tokens issued in it, then returns to a `post_logout_redirect_uri` that the client registered, or shows
//! that the user is signed out. A return address that is not registered is shown as an error, never followed.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::{self, SessionKind};
use super::{html, ErrorPage};
use crate::audit::AuditEvent;
use crate::credentials::id_token;
use crate::db::service_clients;
use crate::domain::service_client::ServiceClient;
use crate::form::OAuthForm;
use crate::service::sign_ins;
use crate::state::AppState;

/// The request parameters of RP-Initiated Logout 1.0 §2.
#[derive(Debug, Default, Deserialize)]
pub struct LogoutParams {
    #[serde(default)]
    id_token_hint: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    post_logout_redirect_uri: String,
    #[serde(default)]
    state: String,
}

#[derive(Template)]
#[template(path = "signed_out.html")]
struct SignedOutPage;

fn refused(message: &str) -> HttpResponse {
    html(StatusCode::BAD_REQUEST, ErrorPage { message })
}

/// `GET /oauth/logout`.
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match web::Query::<LogoutParams>::from_query(req.query_string()) {
        Ok(params) => logout(&req, &state, params.into_inner()).await,
        Err(error) => refused(&format!("malformed request: {error}")),
    }
}

/// `POST /oauth/logout` (the same parameters, form-encoded).
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let form = match OAuthForm::read(&req, payload).await {
        Ok(form) => form,
        Err(error) => return refused(&format!("malformed request: {}", error.description)),
    };
    let field = |name: &str| form.get(name).unwrap_or_default().to_string();
    let params = LogoutParams {
        id_token_hint: field("id_token_hint"),
        client_id: field("client_id"),
        post_logout_redirect_uri: field("post_logout_redirect_uri"),
        state: field("state"),
    };
    logout(&req, &state, params).await
}

async fn logout(req: &HttpRequest, state: &AppState, params: LogoutParams) -> HttpResponse {
    let hint = match params.id_token_hint.as_str() {
        "" => None,
        token => match id_token::verify_hint(state, token) {
            Some(claims) => Some(claims),
            None => return refused("id_token_hint is not an ID token this server issued"),
        },
    };
    let client_id = match (&hint, params.client_id.as_str()) {
        (Some(hint), "") => hint.aud.clone(),
        (Some(hint), named) if hint.aud != named => {
            return refused("client_id is not the audience of id_token_hint")
        }
        (_, named) => named.to_string(),
    };
    let back = match params.post_logout_redirect_uri.as_str() {
        "" => None,
        uri => match registered_return(state, &client_id, uri).await {
            Ok(()) => Some(uri.to_string()),
            Err(message) => return refused(message),
        },
    };
    // A client id goes into the audit log only once proved: by a signed hint, or by its registered return address.
    let known_client = (hint.is_some() || back.is_some()).then(|| client_id.clone());
    // The browser's session, and the one the hint names (the RP's sign-in, perhaps from another browser).
    let mut ended = Vec::new();
    if let Some(current) = session::current(req, state, SessionKind::SignIn) {
        ended.push((
            current.jti.clone(),
            current.sub.clone(),
            current.tid.clone(),
        ));
        if let Err(error) = session::revoke(state, &current).await {
            tracing::warn!(error = %error, "logout: cannot end the session");
            return unavailable();
        }
    }
    if let Some(hint) = &hint {
        if let Some(sid) = hint
            .sid
            .as_ref()
            .filter(|sid| !ended.iter().any(|e| e.0 == **sid))
        {
            let expires_at = hint.auth_time + session::LIFETIME_SECONDS;
            if let Err(error) = session::revoke_id(state, sid, &hint.sub, expires_at).await {
                tracing::warn!(error = %error, "logout: cannot end the session");
                return unavailable();
            }
            ended.push((sid.clone(), hint.sub.clone(), Some(hint.tid.clone())));
        }
    }
    for (sid, user_id, tenant_id) in ended {
        let session_id = sid.clone();
        if let Err(error) = state
            .db
            .write(move |conn| sign_ins::end_session(conn, &session_id))
            .await
        {
            tracing::warn!(error = %error, "logout: cannot revoke the session's refresh tokens");
            return unavailable();
        }
        state.audit.record(AuditEvent {
            tenant_id,
            client_id: known_client.clone(),
            target: Some(user_id),
            detail: Some(serde_json::json!({"sid": sid})),
            ..AuditEvent::new("session.ended")
        });
    }
    let mut response = match back {
        Some(uri) => {
            let mut url = match url::Url::parse(&uri) {
                Ok(url) => url,
                Err(_) => return refused("post_logout_redirect_uri is not a URI"),
            };
            if !params.state.is_empty() {
                url.query_pairs_mut().append_pair("state", &params.state);
            }
            HttpResponse::Found()
                .insert_header((header::LOCATION, url.to_string()))
                .finish()
        }
        None => html(StatusCode::OK, SignedOutPage),
    };
    if let Err(error) = response.add_cookie(&session::end(state, SessionKind::SignIn)) {
        tracing::error!(error = %error, "cannot remove the sign-in session cookie");
    }
    response
}

fn unavailable() -> HttpResponse {
    html(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorPage {
            message: "the service is unavailable, retry shortly",
        },
    )
}

/// Whether `uri` is one of the client's `post_logout_redirect_uris` (exact match, like redirect URIs).
async fn registered_return(
    state: &AppState,
    client_id: &str,
    uri: &str,
) -> Result<(), &'static str> {
    if client_id.is_empty() {
        return Err("post_logout_redirect_uri needs id_token_hint or client_id");
    }
    let id = client_id.to_string();
    let client = state
        .db
        .run(move |conn| service_clients::find_by_id(conn, &id))
        .await
        .map_err(|_| "the service is unavailable, retry shortly")?
        .map(ServiceClient::from)
        .ok_or("unknown client_id")?;
    match client.post_logout_redirect_uris.iter().any(|r| r == uri) {
        true => Ok(()),
        false => Err("post_logout_redirect_uri is not registered for this client"),
    }
}
