//! Who is calling `/v1`: a keygate access token (`Bearer`, or `DPoP` with a proof) or client credentials (`Basic`),
//! and what they may see.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use secrecy::ExposeSecret;

use actix_web::http::StatusCode;

use crate::credentials::access_token::{self, Presented, PresentedError};
use crate::credentials::client::{self, decode_basic, Attempt, AuthFailure};
use crate::credentials::dpop::ProofError;
use crate::domain::error_code::ErrorCode;
use crate::domain::scope::{ADMIN, AUTHORIZE, TENANT_ADMIN};
use crate::error::ApiError;
use crate::service::{Access, Actor};
use crate::state::AppState;

/// The authenticated caller of a `/v1` endpoint: an [`Actor`] of the service layer, and whether it may ask
/// `/v1/authorize`.
#[derive(Debug, Clone)]
pub struct Principal {
    pub actor: Actor,
    /// Holds `keygate:authorize`: may ask `/v1/authorize` without administering anything.
    pub may_authorize: bool,
}

impl std::ops::Deref for Principal {
    type Target = Actor;
    fn deref(&self) -> &Actor {
        &self.actor
    }
}

impl Principal {
    fn new(subject: String, tenant_id: Option<String>, scopes: &[&str]) -> Principal {
        let access = match &tenant_id {
            None if scopes.contains(&ADMIN) => Access::Global,
            Some(tenant) if scopes.contains(&TENANT_ADMIN) => Access::Tenant(tenant.clone()),
            _ => Access::None,
        };
        Principal {
            actor: Actor {
                subject,
                tenant_id,
                access,
            },
            may_authorize: scopes.contains(&AUTHORIZE),
        }
    }
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Principal, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

async fn authenticate(req: &HttpRequest) -> Result<Principal, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no state")))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Some(presented) = Presented::from_headers(req.headers())? {
        let url = format!("{}{}", state.config.issuer(), req.path());
        let claims =
            access_token::verify_presented(state, &presented, req.method().as_str(), &url).await?;
        // A token minted for another API must not administer keygate.
        if !claims.aud.contains(&state.config.issuer()) {
            return Err(ApiError::unauthorized(
                "this access token is not meant for keygate (aud)",
            ));
        }
        let scopes: Vec<&str> = claims.scopes().collect();
        return Ok(Principal::new(
            claims.sub.clone(),
            claims.tid.clone(),
            &scopes,
        ));
    }
    let (client_id, secret) = decode_basic(value.as_bytes()).ok_or_else(|| {
        ApiError::credentials_required("send a Bearer access token or Basic client credentials")
    })?;
    if let Some(seconds) = client::throttled_for(state, state.client_address(req), &client_id) {
        return Err(ApiError::throttled(seconds));
    }
    match client::check_secret(state, Some(&client_id), secret.expose_secret()).await {
        Ok(entry) => {
            let client = &entry.client;
            let scopes: Vec<&str> = client.scopes.iter().map(String::as_str).collect();
            Ok(Principal::new(
                client.id.clone(),
                client.tenant_id.clone(),
                &scopes,
            ))
        }
        Err(AuthFailure::Database(error)) => Err(error.into()),
        Err(failure) => {
            client::record_failure(
                state,
                Attempt::of(state.client_address(req), req.path()),
                Some(&client_id),
                &failure,
            );
            Err(ApiError {
                challenges: &[crate::error::BASIC_CHALLENGE],
                ..ApiError::unauthorized("client authentication failed")
            })
        }
    }
}

/// RFC 9449 §7.1: the DPoP challenges, with the algorithms a proof may use (`dpop::ALGORITHMS`).
const DPOP_INVALID_TOKEN: &str =
    "DPoP realm=\"keygate\", error=\"invalid_token\", algs=\"ES256 ES384 RS256 PS256 EdDSA Ed25519\"";
const DPOP_INVALID_PROOF: &str = "DPoP realm=\"keygate\", error=\"invalid_dpop_proof\", algs=\"ES256 ES384 RS256 PS256 EdDSA Ed25519\"";

impl From<PresentedError> for ApiError {
    fn from(error: PresentedError) -> ApiError {
        let message = error.to_string();
        match error {
            PresentedError::Token(_) => ApiError::unauthorized(message),
            PresentedError::Scheme(_) => ApiError {
                challenges: &[
                    "Bearer realm=\"keygate\", error=\"invalid_token\"",
                    DPOP_INVALID_TOKEN,
                ],
                ..ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::InvalidToken, message)
            },
            PresentedError::Proof(ProofError::Database(error)) => error.into(),
            PresentedError::Proof(_) => ApiError {
                challenges: &[DPOP_INVALID_PROOF],
                ..ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    ErrorCode::InvalidDpopProof,
                    message,
                )
            },
        }
    }
}

impl From<ProofError> for ApiError {
    fn from(error: ProofError) -> ApiError {
        PresentedError::Proof(error).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dpop_challenges_name_the_algorithms_a_proof_may_use() {
        let algs = format!(
            "algs=\"{}\"",
            crate::credentials::dpop::ALGORITHMS.join(" ")
        );
        assert!(DPOP_INVALID_TOKEN.ends_with(&algs));
        assert!(DPOP_INVALID_PROOF.ends_with(&algs));
    }
}
