//! `POST /oauth/token` (RFC 6749 §3.2): reads the form, authenticates the client, and runs the grant.

use actix_web::{web, HttpRequest, HttpResponse};

use super::access_token::{self, Audience, TokenGrant};
use super::client_auth::{self, AuthMethod, AuthenticatedClient};
use super::error::{ErrorCode, OAuthError};
use super::form::OAuthForm;
use super::{code_grant, password_grant, refresh_grant};
use crate::domain::grant_type::GrantType;
use crate::domain::scope::{self, Scopes};
use crate::state::AppState;

/// The token endpoint.
#[utoipa::path(post, path = "/oauth/token", tag = "oauth",
    request_body(content = super::schema::TokenForm, content_type = "application/x-www-form-urlencoded"),
    security((), ("basic" = [])),
    responses(
        (status = 200, body = super::schema::TokenAnswer),
        (status = 400, body = super::schema::OAuthErrorAnswer, description = "invalid_request, invalid_grant, invalid_scope, invalid_target, unauthorized_client, unsupported_grant_type"),
        (status = 401, body = super::schema::OAuthErrorAnswer, description = "invalid_client"),
        (status = 413, body = super::schema::OAuthErrorAnswer, description = "body over 16 KiB"),
        (status = 429, body = super::schema::OAuthErrorAnswer, description = "too many failed attempts; see Retry-After"),
        (status = 503, body = super::schema::OAuthErrorAnswer, description = "temporarily_unavailable; see Retry-After"),
    ))]
#[tracing::instrument(skip_all, fields(grant_type, client_id))]
pub async fn token(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, OAuthError> {
    let form = OAuthForm::read(&req, payload).await?;
    let grant_name = form.require("grant_type")?;
    tracing::Span::current().record("grant_type", grant_name);
    let grant = GrantType::parse(grant_name).ok_or_else(|| {
        OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            format!("{grant_name} is not supported"),
        )
    })?;
    let client = client_auth::authenticate(&state, &req, &form, "/oauth/token").await?;
    tracing::Span::current().record("client_id", client.client.id.as_str());
    // A public client has no secret: a browser may call for it only from the origins it registered.
    let origin = req
        .headers()
        .get(actix_web::http::header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    if client.method == AuthMethod::None
        && origin.is_some_and(|o| !client.client.allowed_origins.iter().any(|a| a == o))
    {
        return Err(OAuthError::invalid_client(
            "this origin is not registered for the client",
            false,
        ));
    }
    if !client.client.grant_types.contains(&grant) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("this client may not use the {grant} grant"),
        ));
    }
    match grant {
        GrantType::ClientCredentials => client_credentials(&state, &client, &form).await,
        GrantType::Password => password_grant::password(&state, &req, &client, &form).await,
        GrantType::RefreshToken => refresh_grant::refresh(&state, &client, &form).await,
        GrantType::AuthorizationCode => {
            code_grant::authorization_code(&state, &client, &form).await
        }
    }
}

/// RFC 6749 §4.4: the client acts on its own behalf, so `sub` is the client id. Public clients may not.
async fn client_credentials(
    state: &AppState,
    client: &AuthenticatedClient,
    form: &OAuthForm,
) -> Result<HttpResponse, OAuthError> {
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
        subject: &client.client.id,
        tenant_id: client.client.tenant_id.as_deref(),
        scopes,
        audience,
        jti: None,
    };
    access_token::respond(state, client, grant, None).await
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
