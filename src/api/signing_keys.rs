//! `/v1/signing-keys`: the keys that sign access tokens, and their rotation. Global admins only.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::auth::Principal;
use crate::domain::signing_alg::SigningAlg;
use crate::error::ApiError;
use crate::keyring::{PublishedKey, RotationTiming};
use crate::state::AppState;

/// Rotation options.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateRequest {
    /// `RS256`, `ES256` or `EdDSA`; default: the configured signing_alg.
    #[schema(value_type = Option<SigningAlg>)]
    pub alg: Option<String>,
    /// Sign with the new key at once (the old one is compromised). Default: the new key is published first and
    /// signs from `activates_at`, one JWKS max-age plus one keyring reload later.
    #[serde(default)]
    pub immediate: bool,
}

#[utoipa::path(operation_id = "list_signing_keys", get, path = "/v1/signing-keys", tag = "signing-keys",
    params(super::PageQuery),
    responses((status = 200, body = super::Page<PublishedKey>)), security(("bearer" = []), ("basic" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    page: web::Query<super::PageQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require_global()?;
    let published = state.keyring.current().published.clone();
    Ok(HttpResponse::Ok().json(super::Page::of_all(published, &page, |k| &k.kid)))
}

#[utoipa::path(operation_id = "rotate_signing_key", post, path = "/v1/signing-keys/rotate", tag = "signing-keys", request_body(content = RotateRequest, description = "optional"),
    responses((status = 200, description = "the new key's kid and alg")), security(("bearer" = []), ("basic" = [])))]
pub async fn rotate(
    state: web::Data<AppState>,
    principal: Principal,
    body: Option<web::Json<RotateRequest>>,
) -> Result<HttpResponse, ApiError> {
    principal.require_global()?;
    let body = body.map(web::Json::into_inner).unwrap_or_default();
    let timing = match body.immediate {
        true => RotationTiming::immediate(&state.config),
        false => RotationTiming::scheduled(&state.config),
    };
    let alg = match body.alg {
        Some(name) => SigningAlg::parse(&name).ok_or_else(|| {
            ApiError::unprocessable(
                crate::domain::error_code::ErrorCode::UnsupportedAlg,
                format!("alg {name:?} is not one of RS256, ES256, EdDSA"),
            )
        })?,
        None => state.config.signing_alg,
    };
    let kid = state
        .rotate_signing_key(&principal.actor, alg, timing)
        .await
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .json(json!({"kid": kid, "alg": alg.as_str(), "activates_in": timing.activates_in})))
}
