//! `/v1/clients/{id}/keys`: access keys of a client. The key itself is in the creation answer and nowhere else.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::Value;

use super::auth::Principal;
use crate::domain::access_key::KeyRequest;
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::{AccessKeyId, ClientId};
use crate::domain::signing_alg::SigningAlg;
use crate::domain::time::UnixTime;
use crate::domain::ttl::whole_number;
use crate::error::ApiError;
use crate::service::keys as service;
pub use crate::service::keys::KeyView;
use crate::state::AppState;

/// A new access key (docs/contract.md), by `kind`: each kind takes only its own fields.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CreateKey {
    /// A `kg_sk_` secret, shown once.
    Secret {
        /// Unix seconds; no expiry when absent.
        #[serde(default, deserialize_with = "whole_number")]
        expires_at: Option<i64>,
    },
    /// A `kg_pk_` private key made here, shown once.
    PrivateKey {
        /// Default `EdDSA`.
        #[schema(value_type = Option<SigningAlg>)]
        alg: Option<String>,
        #[serde(default, deserialize_with = "whole_number")]
        expires_at: Option<i64>,
    },
    /// The public half of a key the client keeps.
    PublicKey {
        /// A public JWK object or a PEM string (RSA ≥ 2048 bits, P-256, Ed25519).
        #[schema(schema_with = public_key_schema)]
        public_key: Value,
        #[serde(default, deserialize_with = "whole_number")]
        expires_at: Option<i64>,
    },
}

fn public_key_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    Schema::OneOf(
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .description(Some("a public JWK")),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("a PEM public key")),
            )
            .build(),
    )
}

impl CreateKey {
    fn expires_at(&self) -> Option<UnixTime> {
        match self {
            CreateKey::Secret { expires_at }
            | CreateKey::PrivateKey { expires_at, .. }
            | CreateKey::PublicKey { expires_at, .. } => expires_at.map(UnixTime::from_seconds),
        }
    }
}

fn key_request(body: &CreateKey) -> Result<KeyRequest, ApiError> {
    Ok(match body {
        CreateKey::Secret { .. } => KeyRequest::Secret,
        CreateKey::PrivateKey { alg: None, .. } => KeyRequest::PrivateKey(SigningAlg::EdDSA),
        CreateKey::PrivateKey {
            alg: Some(name), ..
        } => KeyRequest::PrivateKey(SigningAlg::parse(name).ok_or_else(|| {
            ApiError::unprocessable(
                ErrorCode::UnsupportedAlg,
                format!("alg {name:?} is not one of EdDSA, ES256, RS256"),
            )
        })?),
        CreateKey::PublicKey { public_key, .. } => KeyRequest::PublicKey(public_key.clone()),
    })
}

#[utoipa::path(operation_id = "create_key", post, path = "/v1/clients/{id}/keys", params(("id" = inline(ClientId), Path)), tag = "keys", request_body = CreateKey,
    responses((status = 201, body = KeyView), (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "the client already has 5 active keys", body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<ClientId>,
    body: web::Json<CreateKey>,
) -> Result<HttpResponse, ApiError> {
    let request = key_request(&body)?;
    let view = state
        .add_key(&principal.actor, &id, request, body.expires_at())
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("cache-control", "no-store"))
        .json(view))
}

#[utoipa::path(operation_id = "list_keys", get, path = "/v1/clients/{id}/keys", tag = "keys",
    params(("id" = inline(ClientId), Path), super::PageQuery),
    responses((status = 200, body = super::Page<KeyView>), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<ClientId>,
    page: web::Query<super::PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let keys = state
        .db
        .run_as(move |conn| service::list(conn, &principal, &id))
        .await?;
    Ok(HttpResponse::Ok().json(super::Page::of_all(keys, &page, |k| &k.id)))
}

#[utoipa::path(operation_id = "revoke_key", delete, path = "/v1/clients/{id}/keys/{key_id}", params(("id" = inline(ClientId), Path), ("key_id" = inline(AccessKeyId), Path)), tag = "keys",
    responses((status = 204, description = "revoked; the key stays listed with revoked_at"), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []), ("basic" = [])))]
pub async fn revoke(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(ClientId, AccessKeyId)>,
) -> Result<HttpResponse, ApiError> {
    let (client_id, key_id) = path.into_inner();
    state
        .change(move |conn| service::revoke(conn, &principal.actor, &client_id, &key_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
