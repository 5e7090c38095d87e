//! `POST /oauth/revoke` (RFC 7009): a client revokes one of its own access tokens.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::client_auth;
use super::error::OAuthError;
use super::refresh_grant;
use crate::audit::AuditEvent;
use crate::credentials::access_token;
use crate::credentials::client::AuthenticatedClient;
use crate::db::refresh_tokens;
use crate::db::revoked_tokens::RevokedTokenRow;
use crate::domain::secret_key::REFRESH_TOKEN;
use crate::domain::time::UnixTime;
use crate::form::OAuthForm;
use crate::state::AppState;

/// RFC 7009 §2.2: 200 whether or not the token was valid; revoking another client's token has no effect and is
/// audited (docs/contract.md, "Audit"), so the answer reveals nothing about the token.
#[utoipa::path(post, path = "/oauth/revoke", tag = "oauth",
    request_body(content = super::schema::TokenParameter, content_type = "application/x-www-form-urlencoded"),
    security(("basic" = [])),
    responses(
        (status = 200, description = "revoked, or nothing to revoke"),
        (status = 400, body = super::error::OAuthErrorAnswer), (status = 401, body = super::error::OAuthErrorAnswer),
        (status = 413, body = super::error::OAuthErrorAnswer),
        (status = 429, body = super::error::OAuthErrorAnswer), (status = 503, body = super::error::OAuthErrorAnswer),
    ))]
pub async fn revoke(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let form = OAuthForm::read(&req, payload).await?;
    let caller = client_auth::authenticate(&state, &req, &form, "/oauth/revoke").await?;
    let token = form.require("token")?;
    let client = &caller.client;
    if token.starts_with(REFRESH_TOKEN.prefix) {
        revoke_refresh_family(&state, &caller, token).await?;
    } else if let Ok(claims) = access_token::verify(&state, token) {
        let own = claims.client_id == client.id;
        if own {
            let row = RevokedTokenRow {
                jti: claims.jti.clone(),
                client_id: claims.client_id.clone(),
                expires_at: claims.exp,
                revoked_at: UnixTime::now(),
            };
            state
                .revocations
                .revoke_token(&state.db, row)
                .await
                .map_err(OAuthError::database)?;
        }
        state.audit.record(AuditEvent {
            tenant_id: client.tenant_id.clone(),
            client_id: Some(client.id.clone()),
            actor: Some(client.id.clone()),
            target: Some(claims.jti),
            detail: (!own).then(|| json!({"refused": "the token belongs to another client"})),
            ..AuditEvent::new(if own {
                "token.revoked"
            } else {
                "token.revoke_refused"
            })
        });
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// RFC 7009 §2.1: revoking a refresh token revokes the whole sign-in it belongs to, if it is the caller's.
async fn revoke_refresh_family(
    state: &AppState,
    caller: &AuthenticatedClient,
    token: &str,
) -> Result<(), OAuthError> {
    let Some((row, _)) = refresh_grant::find_presented(state, token).await? else {
        return Ok(());
    };
    let own = row.client_id == caller.client.id;
    if own {
        let family = row.family_id.clone();
        state
            .db
            .write(move |conn| refresh_tokens::revoke_family(conn, &family, UnixTime::now()))
            .await
            .map_err(OAuthError::database)?;
    }
    state.audit.record(AuditEvent {
        tenant_id: caller.client.tenant_id.clone(),
        client_id: Some(caller.client.id.clone()),
        target: Some(row.user_id),
        detail: (!own).then(|| json!({"refused": "the refresh token belongs to another client"})),
        ..AuditEvent::new(if own {
            "refresh_token.revoked"
        } else {
            "token.revoke_refused"
        })
    });
    Ok(())
}
