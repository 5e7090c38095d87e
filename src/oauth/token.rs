//! `POST /oauth/token` (RFC 6749 §3.2) and its grants.

use actix_web::{web, HttpRequest, HttpResponse};

use super::access_token::{self, Audience, TokenGrant};
use super::client_auth::{self, AuthenticatedClient};
use super::error::{ErrorCode, OAuthError};
use super::form::OAuthForm;
use crate::domain::grant_type::GrantType;
use crate::domain::scope;
use crate::state::AppState;

/// The token endpoint: reads the form, authenticates the client, and runs the grant.
#[tracing::instrument(skip_all, fields(grant_type, client_id))]
pub async fn token(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let form = OAuthForm::read(&req, payload).await?;
    let grant_name = form.require("grant_type")?;
    tracing::Span::current().record("grant_type", grant_name);
    let grant = GrantType::parse(grant_name)
        .filter(|g| *g == GrantType::ClientCredentials)
        .ok_or_else(|| {
            OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                format!("{grant_name} is not supported"),
            )
        })?;
    let client = client_auth::authenticate(&state, &req, &form, "/oauth/token").await?;
    tracing::Span::current().record("client_id", client.entry.client.id.as_str());
    if !client.entry.client.grant_types.contains(&grant) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("this client may not use the {grant} grant"),
        ));
    }
    client_credentials(&state, &client, &form)
}

/// RFC 6749 §4.4: the client acts on its own behalf, so `sub` is the client id.
fn client_credentials(
    state: &AppState,
    client: &AuthenticatedClient,
    form: &OAuthForm,
) -> Result<HttpResponse, OAuthError> {
    let entry = &client.entry;
    let scopes = scope::grant(
        form.get("scope"),
        &entry.client.scopes,
        &entry.client.default_scopes,
    )
    .map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.to_string()))?;
    let audience = audience(state, form)?;
    let grant = TokenGrant {
        grant: GrantType::ClientCredentials,
        subject: &entry.client.id,
        scopes,
        audience,
    };
    access_token::respond(state, entry, grant)
}

/// `aud` from RFC 8707 `resource` parameters, else the `audience` parameter, else the configured default.
fn audience(state: &AppState, form: &OAuthForm) -> Result<Audience, OAuthError> {
    let resources = form.resources();
    for resource in resources {
        // RFC 8707 §2: an absolute URI without a fragment.
        let valid = url::Url::parse(resource)
            .is_ok_and(|u| u.fragment().is_none() && !u.cannot_be_a_base());
        if !valid {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                format!("resource {resource:?} must be an absolute URI without a fragment"),
            ));
        }
    }
    Ok(match (resources, form.get("audience")) {
        ([one], _) => Audience::One(one.clone()),
        ([], Some(audience)) => Audience::One(audience.to_string()),
        ([], None) => Audience::One(state.config.default_audience()),
        (many, _) => Audience::Many(many.to_vec()),
    })
}
