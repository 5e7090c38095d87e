//! What the grants share: the scopes and audience a request may have, and what a grant issued.

use super::error::{ErrorCode, OAuthError};
use crate::credentials::access_token::{Audience, TokenGrant};
use crate::credentials::client::AuthenticatedClient;
use crate::credentials::id_token::SignInFacts;
use crate::domain::scope::{self, Scopes};
use crate::form::OAuthForm;
use crate::state::AppState;

/// What a grant decided: the access token to sign, the refresh token it already stored, if any, and the sign-in
/// an ID token is to describe when `openid` was granted.
pub struct Issued {
    pub grant: TokenGrant,
    pub refresh_token: Option<String>,
    pub id_token: Option<SignInFacts>,
}

/// The requested scopes if the client may have them all, else its defaults when none were requested.
pub fn granted_scopes(
    client: &AuthenticatedClient,
    form: &OAuthForm,
) -> Result<Scopes, OAuthError> {
    scope::grant(
        form.get("scope"),
        &client.client.scopes,
        &client.client.default_scopes,
    )
    .map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.to_string()))
}

/// `aud` from RFC 8707 `resource` parameters, else the `audience` parameter, else the configured default.
pub fn audience(state: &AppState, form: &OAuthForm) -> Result<Audience, OAuthError> {
    let resources = form.resources();
    for resource in resources {
        // RFC 8707 §2: an absolute URI without a fragment. RFC 3986 URIs are printable ASCII: the URL parser
        // would drop a newline or tab silently, and the token would name what was sent, not what was checked.
        let printable = resource.bytes().all(|b| b.is_ascii_graphic());
        let valid = printable
            && url::Url::parse(resource)
                .is_ok_and(|u| u.fragment().is_none() && !u.cannot_be_a_base());
        if !valid {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                match printable {
                    true => {
                        format!("resource {resource} must be an absolute URI without a fragment")
                    }
                    false => "a resource holds characters no URI has".to_string(),
                },
            ));
        }
    }
    if form
        .get("audience")
        .is_some_and(|a| !a.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            "audience holds characters no URI has",
        ));
    }
    Ok(match (resources, form.get("audience")) {
        ([one], _) => Audience::One(one.clone()),
        ([], Some(audience)) => Audience::One(audience.to_string()),
        ([], None) => Audience::One(state.config.default_audience()),
        (many, _) => Audience::Many(many.to_vec()),
    })
}
