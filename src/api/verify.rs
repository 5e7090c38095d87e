//! `POST /v1/verify`: a tenant backend hands over what its caller sent (a keygate JWT, a secret key, or Basic
//! credentials) and learns who it is. This runs on every API request of the product, so it costs no password
//! hashing and, warm, no database round trip.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::credentials::access_token::{self, Presented, Scheme};
use crate::credentials::client::{self, decode_basic, Attempt, AuthFailure};
use crate::credentials::dpop::Confirmation;
use crate::credentials::trusted_identity::{self, ExternalIdentity, TrustError};
use crate::crypto::jwt::Jws;
use crate::domain::secret_key;
use crate::domain::time::UnixTime;
use crate::error::ApiError;
use crate::state::{AppState, CachedKey};

/// How the caller proved who it is.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerifiedBy {
    AccessToken,
    SecretKey,
    Basic,
    /// A trusted issuer's JWT, mapped to the client by the issuer's trust rules (no exchange).
    TrustedIdentity,
}

/// The identity behind a credential.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Identity {
    /// The user for user tokens, else the client.
    pub sub: String,
    pub client_id: String,
    pub tid: Option<String>,
    /// Space-separated scopes: the token's, or all the client's for a key.
    pub scope: String,
    /// The access key used, for secret keys and Basic.
    pub key_id: Option<String>,
    /// Expiry of an access token or external JWT.
    pub exp: Option<UnixTime>,
    /// The external identity behind a trusted-identity credential: the JWT's own, or the one an access token was
    /// exchanged for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ext: Option<ExternalIdentity>,
    /// The DPoP key a bound access token is confirmed by (RFC 9449 §6.1); its proof was checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    pub verified_by: VerifiedBy,
}

/// `?audience=`: refuse access tokens not meant for this audience (an external JWT's audiences are its trust's).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    pub audience: Option<String>,
    /// With a DPoP-bound token (`Authorization: DPoP …` and the caller's `DPoP` proof header): the method of the
    /// request the proof was made for.
    pub htm: Option<String>,
    /// With a DPoP-bound token: the URL of the request the proof was made for.
    pub htu: Option<String>,
}

#[utoipa::path(operation_id = "verify", post, path = "/v1/verify", tag = "verify", params(VerifyQuery),
    description = "Send the credential to check in the Authorization header: `Bearer <access token>`, `Bearer kg_sk_…`, `Basic`, or `DPoP <access token>` with the caller's `DPoP` proof header and `?htm=&htu=`.",
    responses((status = 200, body = Identity), (status = 401, body = crate::error::ErrorBody)))]
pub async fn verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<VerifyQuery>,
) -> Result<HttpResponse, ApiError> {
    state
        .rate_limits
        .check_address(state.client_address(&req))
        .map_err(ApiError::rate_limited)?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let presented = Presented::from_headers(req.headers())?;
    let identity = if let Some(presented) = presented {
        let credential = presented.token;
        let bearer = presented.scheme == Scheme::Bearer;
        if bearer && credential.starts_with(secret_key::PREFIX) {
            let entry = check(&state, &req, None, credential).await?;
            key_identity(&entry, VerifiedBy::SecretKey)
        } else if bearer && is_foreign(&state, credential) {
            external_identity(&state, credential).await?
        } else {
            token_identity(&state, &presented, &query).await?
        }
    } else if let Some((client_id, secret)) = decode_basic(value.as_bytes()) {
        let entry = check(&state, &req, Some(&client_id), secret.expose_secret())
            .await
            .map_err(|mut e| {
                e.challenges = &[crate::error::BASIC_CHALLENGE];
                e
            })?;
        key_identity(&entry, VerifiedBy::Basic)
    } else {
        return Err(ApiError::credentials_required(
            "send the credential to verify in the Authorization header",
        ));
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(identity))
}

async fn check(
    state: &AppState,
    req: &HttpRequest,
    client_id: Option<&str>,
    secret: &str,
) -> Result<std::sync::Arc<CachedKey>, ApiError> {
    if let Some(seconds) =
        client_id.and_then(|id| client::throttled_for(state, state.client_address(req), id))
    {
        return Err(ApiError::throttled(seconds));
    }
    match client::check_secret(state, client_id, secret).await {
        Ok(entry) => {
            state
                .rate_limits
                .check_client(&entry.client)
                .map_err(ApiError::rate_limited)?;
            Ok(entry)
        }
        Err(AuthFailure::Database(error)) => Err(error.into()),
        Err(failure) => {
            client::record_failure(
                state,
                Attempt::of(state.client_address(req), req.path()),
                client_id,
                &failure,
            );
            let message = match failure {
                AuthFailure::Malformed(_) | AuthFailure::Inactive | AuthFailure::OwnerDisabled => {
                    failure.to_string()
                }
                _ => "invalid credentials".into(),
            };
            Err(ApiError::unauthorized(message))
        }
    }
}

fn key_identity(entry: &CachedKey, verified_by: VerifiedBy) -> Identity {
    Identity {
        sub: entry.client.id.clone(),
        client_id: entry.client.id.clone(),
        tid: entry.client.tenant_id.clone(),
        scope: entry.client.scopes.join(" "),
        key_id: Some(entry.key.id.clone()),
        exp: None,
        ext: None,
        cnf: None,
        verified_by,
    }
}

/// Whether a JWT names an issuer other than keygate: a trusted issuer's token, if any trust has it.
fn is_foreign(state: &AppState, token: &str) -> bool {
    #[derive(Deserialize)]
    struct Issuer {
        iss: Option<String>,
    }
    Jws::parse(token)
        .and_then(|jws| jws.unverified_claims::<Issuer>())
        .and_then(|claims| claims.iss)
        .is_some_and(|iss| iss != state.config.issuer())
}

/// The client a trusted external JWT maps to. Its `jti` is not consumed: a resource server sees a token many times.
async fn external_identity(state: &AppState, token: &str) -> Result<Identity, ApiError> {
    let federated = match trusted_identity::verify(state, token, None, None).await {
        Ok(federated) => federated,
        Err(TrustError::Database(error)) => return Err(error.into()),
        Err(error) => {
            state.metrics.authentication_failed("trusted_identity");
            state.activity.client_authentication_failed(None);
            return Err(ApiError::unauthorized(format!(
                "invalid trusted identity: {error}"
            )));
        }
    };
    let client = federated.client.client;
    state
        .rate_limits
        .check_client(&client)
        .map_err(ApiError::rate_limited)?;
    Ok(Identity {
        sub: client.id.clone(),
        scope: client.scopes.join(" "),
        client_id: client.id,
        tid: client.tenant_id,
        key_id: None,
        exp: Some(federated.exp),
        ext: Some(federated.external),
        cnf: None,
        verified_by: VerifiedBy::TrustedIdentity,
    })
}

async fn token_identity(
    state: &AppState,
    presented: &Presented<'_>,
    query: &VerifyQuery,
) -> Result<Identity, ApiError> {
    // A DPoP proof names the resource server's request, which only the resource server can tell.
    let (method, url) =
        match (presented.scheme, &query.htm, &query.htu) {
            (Scheme::Bearer, ..) => ("", ""),
            (Scheme::Dpop, Some(htm), Some(htu)) => (htm.as_str(), htu.as_str()),
            (Scheme::Dpop, ..) => return Err(ApiError::bad_request(
                "with a DPoP token, name the request its proof was made for: ?htm=METHOD&htu=URL",
            )),
        };
    let claims = access_token::verify_presented(state, presented, method, url).await?;
    if query
        .audience
        .as_deref()
        .is_some_and(|aud| !claims.aud.contains(aud))
    {
        return Err(ApiError::unauthorized(
            "the access token is not meant for this audience",
        ));
    }
    Ok(Identity {
        sub: claims.sub,
        client_id: claims.client_id,
        tid: claims.tid,
        scope: claims.scope,
        key_id: None,
        exp: Some(claims.exp),
        ext: claims.ext,
        cnf: claims.cnf,
        verified_by: VerifiedBy::AccessToken,
    })
}
