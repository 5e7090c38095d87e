//! Access keys of a client: create (at most five active) and revoke. The key itself is made before the
//! transaction (RSA generation is slow) and shown once by the caller; only its hash or public key is stored.

use serde::Serialize;
use serde_json::{json, Value};

use super::{audit, clients, transaction, Actor, Changed, ServiceError};
use crate::db::access_keys::{self, AccessKeyRow, MAX_ACTIVE_PER_CLIENT};
use crate::db::DbConn;
use crate::domain::access_key::{KeyKind, NewAccessKey};
use crate::domain::error_code::ErrorCode;
use crate::domain::ids::{AccessKeyId, ClientId};
use crate::domain::service_client::ServiceClient;
use crate::domain::signing_alg::SigningAlg;
use crate::domain::time::UnixTime;

/// An access key's metadata; `key` is present only in the answer that created it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyView {
    pub id: String,
    pub client_id: String,
    pub kind: KeyKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<SigningAlg>,
    /// The public JWK of `private_key` and `public_key` keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub public_jwk: Option<Value>,
    /// The `kg_sk_…` or `kg_pk_…` string: shown exactly once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub created_at: UnixTime,
    pub expires_at: Option<UnixTime>,
    pub last_used_at: Option<UnixTime>,
    pub revoked_at: Option<UnixTime>,
}

impl From<AccessKeyRow> for KeyView {
    fn from(row: AccessKeyRow) -> KeyView {
        KeyView {
            public_jwk: row.public_jwk.map(|jwk| jwk.0),
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

/// Refuses a new key for a public client or with an expiry in the past: checked before the key is made.
pub fn check_new_key(
    client: &ServiceClient,
    expires_at: Option<UnixTime>,
) -> Result<(), ServiceError> {
    if client.public {
        return Err(ServiceError::refused(
            ErrorCode::PublicClient,
            "public clients have no access keys; they use PKCE",
        ));
    }
    if expires_at.is_some_and(|at| at <= UnixTime::now()) {
        return Err(ServiceError::refused(
            ErrorCode::InvalidExpiry,
            "expires_at must be in the future",
        ));
    }
    Ok(())
}

/// Stores a key made for the client `client_id` (which the actor administers or owns), within the limit of
/// active keys.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    client_id: &ClientId,
    made: &NewAccessKey,
    expires_at: Option<UnixTime>,
) -> Result<Changed<KeyView>, ServiceError> {
    transaction(conn, |conn, _| {
        let client = clients::find_writable(conn, actor, client_id)?;
        check_new_key(&client, expires_at)?;
        insert(conn, actor, &client, made, expires_at)
    })
}

/// Stores and audits a key of `client` inside the caller's transaction.
pub(super) fn insert(
    conn: &mut DbConn,
    actor: &Actor,
    client: &ServiceClient,
    made: &NewAccessKey,
    expires_at: Option<UnixTime>,
) -> Result<KeyView, ServiceError> {
    let row = AccessKeyRow::new(made, &client.id, UnixTime::now(), expires_at);
    // Two creations at once must not both see four keys: PostgreSQL locks the client row; SQLite's write
    // transaction already serialises writers.
    access_keys::lock_client(conn, &client.id)?;
    if access_keys::count_active(conn, &client.id, row.created_at)? >= MAX_ACTIVE_PER_CLIENT {
        return Err(ServiceError::Conflict(
            ErrorCode::TooManyKeys,
            format!("a client has at most {MAX_ACTIVE_PER_CLIENT} active keys: revoke one first"),
        ));
    }
    access_keys::insert(conn, &row)?;
    let event = actor.event(
        "key.created",
        client.tenant_id.as_deref(),
        Some(&client.id),
        &row.id,
    );
    audit(conn, event, Some(json!({"kind": row.kind})))?;
    let mut view = KeyView::from(row);
    view.key = made.shown_once.clone();
    Ok(view)
}

/// Revokes a key of a client the actor administers or owns; it stays listed with `revoked_at`.
pub fn revoke(
    conn: &mut DbConn,
    actor: &Actor,
    client_id: &ClientId,
    key_id: &AccessKeyId,
) -> Result<Changed<()>, ServiceError> {
    transaction(conn, |conn, effects| {
        let client = clients::find_writable(conn, actor, client_id)?;
        if !access_keys::revoke(conn, &client.id, key_id.as_str(), UnixTime::now())? {
            return Err(ServiceError::NotFound("active key"));
        }
        let event = actor.event(
            "key.revoked",
            client.tenant_id.as_deref(),
            Some(&client.id),
            key_id.as_str(),
        );
        audit(conn, event, None)?;
        effects.stale.push(key_id.to_string());
        Ok(())
    })
}

/// Every key of a client the actor administers or owns, oldest first.
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    client_id: &ClientId,
) -> Result<Vec<KeyView>, ServiceError> {
    let client = clients::find_writable(conn, actor, client_id)?;
    let rows = access_keys::find_by_client(conn, &client.id)?;
    Ok(rows.into_iter().map(KeyView::from).collect())
}
