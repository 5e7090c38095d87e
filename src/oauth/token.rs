//! `POST /oauth/token` (RFC 6749 §3.2): reads the form, authenticates the client, and runs the grant.

use actix_web::{web, HttpRequest, HttpResponse};

use actix_web::http::header;
use serde::Serialize;

use super::client_auth;
use super::error::{ErrorCode, OAuthError};
use super::grant::Issued;
use super::{client_credentials_grant, code_grant, federated_grant, password_grant, refresh_grant};
use crate::credentials::client::{AuthMethod, AuthenticatedClient};
use crate::credentials::dpop::{self, Confirmation, ProvedRequest};
use crate::credentials::{access_token, id_token};
use crate::domain::grant_type::GrantType;
use crate::form::OAuthForm;
use crate::state::AppState;

/// The token endpoint.
#[utoipa::path(post, path = "/oauth/token", tag = "oauth",
    request_body(content = super::schema::TokenForm, content_type = "application/x-www-form-urlencoded"),
    security((), ("basic" = [])),
    responses(
        (status = 200, body = TokenAnswer),
        (status = 400, body = super::error::OAuthErrorAnswer, description = "invalid_request, invalid_grant, invalid_scope, invalid_target, unauthorized_client, unsupported_grant_type"),
        (status = 401, body = super::error::OAuthErrorAnswer, description = "invalid_client"),
        (status = 413, body = super::error::OAuthErrorAnswer, description = "body over 16 KiB"),
        (status = 429, body = super::error::OAuthErrorAnswer, description = "too many failed attempts; see Retry-After"),
        (status = 503, body = super::error::OAuthErrorAnswer, description = "temporarily_unavailable; see Retry-After"),
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
    // A federated grant's credential is the external token: the client is the one it maps to.
    let (client, issued, cnf) = match grant.is_federated() {
        true => {
            let (client, issued) = federated_grant::exchange(&state, &req, &form, grant).await?;
            let cnf = proof_of_possession(&state, &req, &client).await?;
            (client, issued, cnf)
        }
        false => client_grant(&state, &req, &form, grant).await?,
    };
    tracing::Span::current().record("client_id", client.client.id.as_str());
    let issued_token_type =
        (grant == GrantType::TokenExchange).then_some(federated_grant::ACCESS_TOKEN_TYPE);
    answer(&state, &client, issued, issued_token_type, cnf).await
}

/// The DPoP key the request proves it holds (RFC 9449 §5), checked once the client is known: a client that
/// requires DPoP must send a proof; without one the tokens are plain Bearer tokens.
async fn proof_of_possession(
    state: &AppState,
    req: &HttpRequest,
    client: &AuthenticatedClient,
) -> Result<Option<Confirmation>, OAuthError> {
    let Some(proof) = dpop::header(req.headers())? else {
        return match client.client.dpop_bound_access_tokens {
            true => Err(OAuthError::new(
                ErrorCode::InvalidDpopProof,
                "this client must send a DPoP proof with every token request",
            )),
            false => Ok(None),
        };
    };
    let endpoint = format!("{}/oauth/token", state.config.issuer());
    let request = ProvedRequest {
        method: "POST",
        url: &endpoint,
        access_token: None,
    };
    Ok(Some(dpop::check(state, proof, &request).await?))
}

/// A grant of an authenticated client (or a public one, named).
async fn client_grant(
    state: &AppState,
    req: &HttpRequest,
    form: &OAuthForm,
    grant: GrantType,
) -> Result<(AuthenticatedClient, Issued, Option<Confirmation>), OAuthError> {
    let client = client_auth::authenticate(state, req, form, "/oauth/token").await?;
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
    let cnf = proof_of_possession(state, req, &client).await?;
    let issued = match grant {
        GrantType::ClientCredentials => {
            client_credentials_grant::client_credentials(state, &client, form)?
        }
        GrantType::Password => {
            password_grant::password(state, req, &client, form, cnf.as_ref()).await?
        }
        GrantType::RefreshToken => {
            refresh_grant::refresh(state, &client, form, cnf.as_ref()).await?
        }
        GrantType::AuthorizationCode => {
            code_grant::authorization_code(state, &client, form, cnf.as_ref()).await?
        }
        GrantType::JwtBearer | GrantType::TokenExchange => {
            unreachable!(
                "the token endpoint runs the federated grants without client authentication"
            )
        }
    };
    Ok((client, issued, cnf))
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenAnswer {
    /// An RFC 9068 JWT.
    access_token: String,
    /// `DPoP` for a token bound to the request's DPoP key (RFC 9449 §5), else `Bearer`.
    #[schema(example = "Bearer")]
    token_type: &'static str,
    expires_in: i64,
    scope: String,
    /// With the password and authorization code grants, and rotated on every refresh.
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    /// RFC 8693 §2.2.1: what a token exchange issued (always an access token).
    #[serde(skip_serializing_if = "Option::is_none")]
    issued_token_type: Option<&'static str>,
    /// An OpenID Connect ID token, when `openid` was granted to a user grant.
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

/// Signs the access token a grant decided on and answers it with the refresh token, if any, and
/// `Cache-Control: no-store` (RFC 6749 §5.1).
async fn answer(
    state: &AppState,
    client: &AuthenticatedClient,
    issued: Issued,
    issued_token_type: Option<&'static str>,
    cnf: Option<Confirmation>,
) -> Result<HttpResponse, OAuthError> {
    let scopes = issued.grant.scopes.clone();
    let token_type = match cnf {
        Some(_) => dpop::HEADER,
        None => "Bearer",
    };
    let signed = access_token::sign(state, client, issued.grant, cnf)
        .await
        .map_err(OAuthError::internal)?;
    let id_token = match issued.id_token {
        Some(facts) => Some(
            id_token::sign(
                state,
                &client.client.id,
                facts,
                &scopes,
                &signed.access_token,
                signed.expires_in,
            )
            .map_err(OAuthError::internal)?,
        ),
        None => None,
    };
    let body = TokenAnswer {
        id_token,
        access_token: signed.access_token,
        token_type,
        expires_in: signed.expires_in,
        scope: signed.scope,
        refresh_token: issued.refresh_token,
        issued_token_type,
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body))
}
