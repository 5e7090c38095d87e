//! `/v1/clients/{id}/keys`: access keys of a client. The key itself is in the creation answer and nowhere else.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::auth::Principal;
use super::clients::find_visible;
use crate::audit::AuditEvent;
use crate::crypto::signing_key::SigningAlg;
use crate::db::access_keys::{self, AccessKeyRow, MAX_ACTIVE_PER_CLIENT};
use crate::domain::access_key::{self, KeyKind, KeyRequest};
use crate::domain::unix_now;
use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/clients/{id}/keys", web::post().to(create))
        .route("/clients/{id}/keys", web::get().to(list))
        .route("/clients/{id}/keys/{key_id}", web::delete().to(revoke));
}

/// A new access key (DESIGN.md §7).
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

/// An access key's metadata; `key` is present only in the answer that created it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyView {
    pub id: String,
    pub client_id: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// The public JWK of `private_key` and `public_key` keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub public_jwk: Option<Value>,
    /// The `kg_sk_…` or `kg_pk_…` string: shown exactly once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl From<AccessKeyRow> for KeyView {
    fn from(row: AccessKeyRow) -> KeyView {
        KeyView {
            public_jwk: row
                .public_jwk
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
            id: row.id,
            client_id: row.client_id,
            kind: row.kind,
            alg: row.alg,
            key: None,
            created_at: row.created_at,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        }
    }
}

fn key_request(body: &CreateKey) -> Result<KeyRequest, ApiError> {
    let alg = match body.alg.as_deref() {
        None => None,
        Some(name) => Some(SigningAlg::parse(name).ok_or_else(|| {
            ApiError::unprocessable(
                "unsupported_alg",
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
    let client = find_visible(&state, &principal, id.into_inner()).await?;
    if client.public {
        return Err(ApiError::unprocessable(
            "public_client",
            "public clients have no access keys; they use PKCE",
        ));
    }
    let now = unix_now();
    if body.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiError::unprocessable(
            "invalid_expiry",
            "expires_at must be in the future",
        ));
    }
    let request = key_request(&body)?;
    let (client_id, issuer) = (client.id.clone(), state.config.issuer());
    // RSA generation takes a while: off the async workers.
    let made = web::block(move || access_key::make(request, &client_id, &issuer))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::unprocessable("invalid_public_key", e.to_string()))?;
    let row = AccessKeyRow::new(&made, &client.id, now, body.expires_at);
    let stored = row.clone();
    if !state
        .db
        .run(move |conn| access_keys::insert_within_limit(conn, &stored))
        .await?
    {
        return Err(ApiError::conflict(
            "too_many_keys",
            format!("a client has at most {MAX_ACTIVE_PER_CLIENT} active keys: revoke one first"),
        ));
    }
    state.audit.record(AuditEvent {
        tenant_id: client.tenant_id.clone(),
        client_id: Some(client.id.clone()),
        actor: Some(principal.subject),
        target: Some(row.id.clone()),
        detail: Some(serde_json::json!({"kind": row.kind})),
        ..AuditEvent::new("key.created")
    });
    let mut view = KeyView::from(row);
    view.key = made.shown_once;
    Ok(HttpResponse::Created()
        .insert_header(("cache-control", "no-store"))
        .json(view))
}

#[utoipa::path(operation_id = "list_keys", get, path = "/v1/clients/{id}/keys", tag = "keys",
    responses((status = 200, body = Vec<KeyView>), (status = 404, body = crate::error::ErrorBody)), security(("bearer" = []), ("basic" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let client = find_visible(&state, &principal, id.into_inner()).await?;
    let rows = state
        .db
        .run(move |conn| access_keys::find_by_client(conn, &client.id))
        .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(KeyView::from).collect::<Vec<_>>()))
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
    let client = find_visible(&state, &principal, client_id).await?;
    let (target_client, target_key) = (client.id.clone(), key_id.clone());
    let revoked = state
        .db
        .run(move |conn| access_keys::revoke(conn, &target_client, &target_key, unix_now()))
        .await?;
    if !revoked {
        return Err(ApiError::not_found("active key"));
    }
    state.credentials.invalidate(&key_id);
    state.audit.record(AuditEvent {
        tenant_id: client.tenant_id.clone(),
        client_id: Some(client.id.clone()),
        actor: Some(principal.subject),
        target: Some(key_id),
        ..AuditEvent::new("key.revoked")
    });
    Ok(HttpResponse::NoContent().finish())
}
