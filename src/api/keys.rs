//! `/v1/clients/{id}/keys`: access keys of a client. The key itself is in the creation answer and nowhere else.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::Value;

use super::auth::Principal;
use crate::crypto::signing_key::SigningAlg;
use crate::domain::access_key::{self, KeyKind, KeyRequest};
use crate::domain::error_code::ErrorCode;
use crate::error::ApiError;
pub use crate::service::keys::KeyView;
use crate::service::{clients, keys as service};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/clients/{id}/keys", web::post().to(create))
        .route("/clients/{id}/keys", web::get().to(list))
        .route("/clients/{id}/keys/{key_id}", web::delete().to(revoke));
}

/// A new access key (docs/contract.md).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    pub kind: KeyKind,
    /// For `private_key`: `EdDSA` (default), `ES256` or `RS256`.
    pub alg: Option<String>,
    /// For `public_key`: a public JWK object or a PEM string (RSA ≥ 2048 bits, P-256, Ed25519).
    #[schema(value_type = Object)]
    pub public_key: Option<Value>,
    /// Unix seconds; no expiry when absent.
    pub expires_at: Option<i64>,
}

fn key_request(body: &CreateKey) -> Result<KeyRequest, ApiError> {
    let alg = match body.alg.as_deref() {
        None => None,
        Some(name) => Some(SigningAlg::parse(name).ok_or_else(|| {
            ApiError::unprocessable(
                ErrorCode::UnsupportedAlg,
                format!("alg {name:?} is not one of EdDSA, ES256, RS256"),
            )
        })?),
    };
    match (body.kind, &body.public_key) {
        (KeyKind::Secret, None) if alg.is_none() => Ok(KeyRequest::Secret),
        (KeyKind::PrivateKey, None) => Ok(KeyRequest::PrivateKey(alg.unwrap_or(SigningAlg::EdDSA))),
        (KeyKind::PublicKey, Some(public_key)) => Ok(KeyRequest::PublicKey(public_key.clone())),
        (KeyKind::PublicKey, None) => Err(ApiError::bad_request(
            "kind public_key needs public_key (a JWK or PEM)",
        )),
        _ => Err(ApiError::bad_request(
            "public_key goes only with kind public_key, alg only with private_key",
        )),
    }
}

#[utoipa::path(operation_id = "create_key", post, path = "/v1/clients/{id}/keys", tag = "keys", request_body = CreateKey,
    responses((status = 201, body = KeyView), (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "the client already has 5 active keys", body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    body: web::Json<CreateKey>,
) -> Result<HttpResponse, ApiError> {
    let request = key_request(&body)?;
    // Refuse early what the service would refuse anyway, before an RSA key is generated for nothing.
    let (actor, client_id, expires_at) = (principal.actor.clone(), id.clone(), body.expires_at);
    let client = state
        .db
        .run_as(move |conn| {
            let client = clients::find_writable(conn, &actor, &client_id)?;
            service::check_new_key(&client, expires_at).map(|()| client)
        })
        .await?;
    let (client_id, issuer) = (client.id.clone(), state.config.issuer());
    // RSA generation takes a while: off the async workers.
    let made = web::block(move || access_key::make(request, &client_id, &issuer))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::unprocessable(ErrorCode::InvalidPublicKey, e.to_string()))?;
    let view = state
        .change(move |conn| service::create(conn, &principal.actor, &client.id, &made, expires_at))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("cache-control", "no-store"))
        .json(view))
}

#[utoipa::path(operation_id = "list_keys", get, path = "/v1/clients/{id}/keys", tag = "keys",
    params(super::PageQuery),
    responses((status = 200, body = super::Page<KeyView>), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
    page: web::Query<super::PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let keys = state
        .db
        .run_as(move |conn| service::list(conn, &principal, &id))
        .await?;
    Ok(HttpResponse::Ok().json(super::Page::of_all(keys, &page, |k| &k.id)))
}

#[utoipa::path(operation_id = "revoke_key", delete, path = "/v1/clients/{id}/keys/{key_id}", tag = "keys",
    responses((status = 204, description = "revoked; the key stays listed with revoked_at"), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn revoke(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, key_id) = path.into_inner();
    state
        .change(move |conn| service::revoke(conn, &principal.actor, &client_id, &key_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
