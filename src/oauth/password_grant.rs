//! The resource owner password grant (RFC 6749 §4.3), for clients that allow it. Code + PKCE is preferred
//! (RFC 9700 §2.4): this grant hands the user's password to the client.

use std::net::IpAddr;

use actix_web::{HttpRequest, HttpResponse};
use secrecy::SecretString;

use super::access_token::{self, TokenGrant};
use super::client_auth::AuthenticatedClient;
use super::error::{ErrorCode, OAuthError};
use super::form::OAuthForm;
use super::refresh_grant::issue_refresh_token;
use super::token::{audience, granted_scopes};
use crate::audit::AuditEvent;
use crate::db::{tenants, users};
use crate::domain::grant_type::GrantType;
use crate::state::AppState;

/// Unknown user, wrong password and disabled user answer the same, in the same time: no user enumeration.
const REFUSED: &str = "invalid username or password";

pub async fn password(
    state: &AppState,
    req: &HttpRequest,
    client: &AuthenticatedClient,
    form: &OAuthForm,
) -> Result<HttpResponse, OAuthError> {
    let username = form.require("username")?.to_string();
    let password = SecretString::from(form.require("password")?);
    let scopes = granted_scopes(client, form)?;
    let audience = audience(state, form)?;
    let tenant_id = tenant_of(state, client, form).await?;
    let throttle_key = (tenant_id.clone(), users::username_key(&username));
    let address: Option<IpAddr> = req.peer_addr().map(|a| a.ip());
    if let Some(wait) = state.login_throttle.blocked_for(&throttle_key, address) {
        return Err(OAuthError::throttled(wait.as_secs().max(1)));
    }
    actix_web::rt::time::sleep(state.login_throttle.soft_delay(&throttle_key)).await;

    let (tenant, name) = (tenant_id.clone(), username.clone());
    let user = state
        .db
        .run(move |conn| users::find_by_username(conn, &tenant, &name))
        .await
        .map_err(OAuthError::database)?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let matches = state
        .passwords
        .verify(password, hash)
        .await
        .map_err(OAuthError::internal)?;
    let user = match user {
        Some(user) if matches && !user.disabled => user,
        _ => {
            state.login_throttle.record_failure(&throttle_key, address);
            state.audit.record(AuditEvent {
                tenant_id: Some(tenant_id),
                client_id: Some(client.client.id.clone()),
                source_ip: address.map(|a| a.to_string()),
                detail: Some(
                    serde_json::json!({"reason": "password grant refused", "username": username}),
                ),
                ..AuditEvent::new("auth.failed")
            });
            return Err(OAuthError::new(ErrorCode::InvalidGrant, REFUSED));
        }
    };
    state.login_throttle.record_success(&throttle_key, address);
    let refresh = issue_refresh_token(state, client, &user.id, &scopes.join(" ")).await?;
    let grant = TokenGrant {
        grant: GrantType::Password,
        subject: &user.id,
        scopes,
        audience,
    };
    access_token::respond(state, client, grant, Some(refresh))
}

/// The tenant users sign in to: the client's, or for a global client the one named by `tenant` (its slug).
async fn tenant_of(
    state: &AppState,
    client: &AuthenticatedClient,
    form: &OAuthForm,
) -> Result<String, OAuthError> {
    if let Some(tenant_id) = &client.client.tenant_id {
        return Ok(tenant_id.clone());
    }
    let slug = form.get("tenant").ok_or_else(|| {
        OAuthError::invalid_request("this client serves every tenant: name one with tenant=<slug>")
    })?;
    let slug = slug.to_string();
    let tenant = state
        .db
        .run(move |conn| tenants::find_by_slug(conn, &slug))
        .await
        .map_err(OAuthError::database)?;
    tenant
        .map(|t| t.id)
        .ok_or_else(|| OAuthError::new(ErrorCode::InvalidGrant, REFUSED))
}
