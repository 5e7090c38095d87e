//! The resource owner password grant (RFC 6749 §4.3), for clients that allow it. Code + PKCE is preferred
//! (RFC 9700 §2.4): this grant hands the user's password to the client.

use actix_web::HttpRequest;
use secrecy::SecretString;

use super::error::{ErrorCode, OAuthError};
use super::grant::{audience, granted_scopes, Issued};
use super::refresh_grant::issue_refresh_token;
use crate::credentials::access_token::TokenGrant;
use crate::credentials::client::AuthenticatedClient;
use crate::credentials::dpop::Confirmation;
use crate::credentials::id_token::{self, SignInFacts};
use crate::credentials::user_login::{self, LoginAttempt, LoginError};
use crate::db::tenants;
use crate::domain::grant_type::GrantType;
use crate::domain::time::UnixTime;
use crate::form::OAuthForm;
use crate::state::AppState;

/// Unknown user, wrong password and disabled user answer the same, in the same time: no user enumeration.
const REFUSED: &str = "invalid username or password";

pub async fn password(
    state: &AppState,
    req: &HttpRequest,
    client: &AuthenticatedClient,
    form: &OAuthForm,
    cnf: Option<&Confirmation>,
) -> Result<Issued, OAuthError> {
    let username = form.require("username")?.to_string();
    let password = SecretString::from(form.require("password")?);
    let scopes = granted_scopes(client, form)?;
    let audience = audience(state, form)?;
    let tenant_id = tenant_of(state, client, form).await?;
    let attempt = LoginAttempt {
        tenant_id: &tenant_id,
        username: &username,
        password,
        address: state.client_address(req),
        client_id: &client.client.id,
    };
    let user = match user_login::sign_in(state, attempt).await {
        Ok(user) => user,
        Err(LoginError::Throttled(seconds)) => return Err(OAuthError::throttled(seconds)),
        Err(LoginError::Refused) => return Err(OAuthError::new(ErrorCode::InvalidGrant, REFUSED)),
        Err(LoginError::Database(error)) => return Err(OAuthError::database(error)),
        Err(LoginError::Internal(error)) => return Err(OAuthError::internal(error)),
    };
    let auth_time = UnixTime::now();
    let refresh = issue_refresh_token(state, client, &user.id, &scopes, auth_time, cnf).await?;
    let id_token = id_token::is_requested(&scopes).then(|| SignInFacts {
        user: user.clone(),
        auth_time,
        nonce: None,
        session_id: None,
    });
    let grant = TokenGrant {
        grant: GrantType::Password,
        lifetime_of: GrantType::Password,
        subject: user.id.clone(),
        tenant_id: Some(user.tenant_id.clone()),
        scopes,
        audience,
        jti: None,
        external: None,
    };
    Ok(Issued {
        grant,
        refresh_token: Some(refresh),
        id_token,
    })
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
