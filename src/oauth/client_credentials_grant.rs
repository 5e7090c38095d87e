//! The client credentials grant (RFC 6749 §4.4).

use super::error::{ErrorCode, OAuthError};
use super::grant::{audience, granted_scopes, Issued};
use crate::credentials::access_token::TokenGrant;
use crate::credentials::client::{AuthMethod, AuthenticatedClient};
use crate::domain::grant_type::GrantType;
use crate::form::OAuthForm;
use crate::state::AppState;

/// RFC 6749 §4.4: the client acts on its own behalf, so `sub` is the client id. Public clients may not.
pub fn client_credentials(
    state: &AppState,
    client: &AuthenticatedClient,
    form: &OAuthForm,
) -> Result<Issued, OAuthError> {
    if client.method == AuthMethod::None {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "public clients cannot use client_credentials",
        ));
    }
    let scopes = granted_scopes(client, form)?;
    let audience = audience(state, form)?;
    let grant = TokenGrant {
        grant: GrantType::ClientCredentials,
        lifetime_of: GrantType::ClientCredentials,
        subject: client.client.id.clone(),
        tenant_id: client.client.tenant_id.clone(),
        scopes,
        audience,
        jti: None,
        external: None,
    };
    Ok(Issued {
        grant,
        refresh_token: None,
        id_token: None,
    })
}
