//! The grants whose credential is a trusted issuer's JWT: RFC 7523 §2.1 (`assertion`) and RFC 8693 token exchange
//! (`subject_token`). The token maps to a client by its issuer's trust rules; the access token is the client's own,
//! like client_credentials, with its own lifetime and the external identity in `ext`.

use actix_web::HttpRequest;

use super::client_auth::{self, Presented};
use super::error::{ErrorCode, OAuthError};
use super::grant::{audience, granted_scopes, Issued};
use crate::credentials::access_token::TokenGrant;
use crate::credentials::client::AuthenticatedClient;
use crate::credentials::trusted_identity::{self, TrustError};
use crate::domain::grant_type::GrantType;
use crate::form::OAuthForm;
use crate::state::AppState;

/// RFC 8693 §3: the token types keygate exchanges, and the one it issues.
pub const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";
pub const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// Runs a trusted-identity grant: the client is the one the external token maps to. Client credentials are not
/// needed; when sent (or a `client_id`), they name the client the token must map to.
pub async fn exchange(
    state: &AppState,
    req: &HttpRequest,
    form: &OAuthForm,
    grant: GrantType,
) -> Result<(AuthenticatedClient, Issued), OAuthError> {
    let token = external_token(form, grant)?;
    let wanted = match client_auth::extract(req, form)? {
        Presented::Nothing => None,
        Presented::ClientIdOnly(id) => Some(id),
        _ => {
            let client = client_auth::authenticate(state, req, form, "/oauth/token").await?;
            Some(client.client.id)
        }
    };
    state
        .rate_limits
        .check_address(state.client_address(req))
        .map_err(OAuthError::rate_limited)?;
    let federated = trusted_identity::verify(state, token, wanted.as_deref(), Some(grant))
        .await
        .map_err(|e| refusal(state, e))?;
    state
        .rate_limits
        .check_client(&federated.client.client)
        .map_err(OAuthError::rate_limited)?;
    trusted_identity::consume(state, &federated)
        .await
        .map_err(|e| refusal(state, e))?;
    let client = federated.client;
    let grant = TokenGrant {
        grant,
        lifetime_of: grant,
        subject: client.client.id.clone(),
        tenant_id: client.client.tenant_id.clone(),
        scopes: granted_scopes(&client, form)?,
        audience: audience(state, form)?,
        jti: None,
        external: Some(federated.external),
    };
    let issued = Issued {
        grant,
        refresh_token: None,
        id_token: None,
    };
    Ok((client, issued))
}

/// The external token of the request: `assertion`, or an RFC 8693 `subject_token` of a JWT type.
fn external_token(form: &OAuthForm, grant: GrantType) -> Result<&str, OAuthError> {
    if grant == GrantType::JwtBearer {
        return Ok(form.require("assertion")?);
    }
    let token_type = form.require("subject_token_type")?;
    if token_type != JWT_TOKEN_TYPE && token_type != ID_TOKEN_TYPE {
        return Err(OAuthError::invalid_request(format!(
            "subject_token_type must be {JWT_TOKEN_TYPE} or {ID_TOKEN_TYPE}"
        )));
    }
    if form.get("actor_token").is_some() {
        return Err(OAuthError::invalid_request(
            "delegation (actor_token) is not supported: the subject token alone names the client",
        ));
    }
    if form
        .get("requested_token_type")
        .is_some_and(|t| t != ACCESS_TOKEN_TYPE)
    {
        return Err(OAuthError::invalid_request(format!(
            "requested_token_type can only be {ACCESS_TOKEN_TYPE}"
        )));
    }
    Ok(form.require("subject_token")?)
}

/// `invalid_grant` naming the failed rule (RFC 7523 §3.1); a client not allowed the grant is `unauthorized_client`.
fn refusal(state: &AppState, error: TrustError) -> OAuthError {
    match error {
        TrustError::Database(error) => OAuthError::database(error),
        TrustError::GrantNotAllowed(_) => {
            OAuthError::new(ErrorCode::UnauthorizedClient, error.to_string())
        }
        error => {
            tracing::info!(reason = %error, "a trusted-identity grant was refused");
            state.metrics.authentication_failed("trusted_identity");
            state.activity.client_authentication_failed(None);
            OAuthError::new(ErrorCode::InvalidGrant, error.to_string())
        }
    }
}
