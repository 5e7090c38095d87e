//! Client credentials: secret access keys, client assertions and the keys behind them, checked the same way for the
//! token endpoint, introspection, revocation, `/v1` Basic authentication and `/v1/verify`.

use std::net::IpAddr;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use secrecy::SecretString;
use serde_json::json;

use crate::audit::AuditEvent;
use crate::credentials::client_assertion::{self, AssertionError};
use crate::db::service_clients::{self, ClientForToken};
use crate::db::{access_keys, DbError};
use crate::domain::secret_key::SecretKey;
use crate::domain::service_client::ServiceClient;
use crate::domain::time::UnixTime;
use crate::domain::ttl::TtlOverrides;
use crate::state::{AppState, CachedKey};

/// How a client proved who it is (RFC 8414 method names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    /// A public client: nothing to prove (RFC 6749 §2.1); PKCE or the user's password protect its grants.
    None,
    /// A trusted issuer's token, mapped to the client by its trust's rules (the jwt-bearer and token-exchange
    /// grants): no secret or key of the client's own.
    TrustedIdentity,
}

/// A client that has proved who it is (or, for a public client, named itself).
pub struct AuthenticatedClient {
    pub client: ServiceClient,
    pub tenant_ttl: Option<TtlOverrides>,
    pub method: AuthMethod,
}

/// Why credentials were refused. Only what a caller could learn without the key (`Malformed`, an assertion's
/// claims) or after proving possession of it (`Inactive`, `OwnerDisabled`) is told in detail.
#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    #[error("{0}")]
    Malformed(String),
    #[error("unknown access key")]
    UnknownKey,
    #[error("wrong client or secret")]
    WrongSecret,
    #[error("the access key is revoked or expired")]
    Inactive,
    #[error("the user who owns this client is disabled")]
    OwnerDisabled,
    #[error("{0}")]
    Assertion(AssertionError),
    #[error(transparent)]
    Database(DbError),
}

impl AuthFailure {
    /// The reason as a metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            AuthFailure::Malformed(_) => "malformed",
            AuthFailure::UnknownKey => "unknown_key",
            AuthFailure::WrongSecret => "wrong_secret",
            AuthFailure::Inactive => "inactive_key",
            AuthFailure::OwnerDisabled => "owner_disabled",
            AuthFailure::Assertion(_) => "invalid_assertion",
            AuthFailure::Database(_) => "database",
        }
    }
}

impl From<DbError> for AuthFailure {
    fn from(error: DbError) -> AuthFailure {
        AuthFailure::Database(error)
    }
}

/// Decodes `Basic base64(urlencode(id) ":" urlencode(secret))`; `None` for anything malformed or empty.
pub fn decode_basic(value: &[u8]) -> Option<(String, SecretString)> {
    let value = std::str::from_utf8(value).ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let (id, secret) = (form_decode(id)?, form_decode(secret)?);
    (!id.is_empty() && !secret.is_empty()).then(|| (id, secret.into()))
}

/// RFC 6749 §2.3.1 / Appendix B: `+` is a space and `%XX` a byte.
fn form_decode(s: &str) -> Option<String> {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// Checks a secret access key, and that it belongs to `client_id` when one is claimed.
pub async fn check_secret(
    state: &AppState,
    client_id: Option<&str>,
    secret: &str,
) -> Result<Arc<CachedKey>, AuthFailure> {
    let key = SecretKey::parse(secret).map_err(|e| AuthFailure::Malformed(e.to_string()))?;
    let entry = find_key(state, key.key_id())
        .await?
        .ok_or(AuthFailure::UnknownKey)?;
    let stored = entry.key.stored_secret().ok_or(AuthFailure::WrongSecret)?;
    if client_id.is_some_and(|id| id != entry.key.client_id) || !key.matches(&stored) {
        return Err(AuthFailure::WrongSecret);
    }
    // Only now, with possession proved, may the caller learn that the key no longer works.
    ensure_active(state, entry)
}

/// Checks a client assertion (RFC 7523) made for `endpoint`, and that it is `client_id`'s when one is claimed.
pub async fn check_assertion(
    state: &AppState,
    client_id: Option<&str>,
    assertion: &str,
    endpoint: &str,
) -> Result<Arc<CachedKey>, AuthFailure> {
    let checked =
        client_assertion::check(state, assertion, endpoint).map_err(AuthFailure::Assertion)?;
    if client_id.is_some_and(|id| id != checked.iss) {
        return Err(AuthFailure::WrongSecret);
    }
    let entry = assertion_key(state, &checked.iss, &checked.kid)
        .await?
        .ok_or(AuthFailure::UnknownKey)?;
    match client_assertion::verify(state, &entry, checked).await {
        Ok(()) => ensure_active(state, entry),
        Err(AssertionError::Database(error)) => Err(AuthFailure::Database(error)),
        Err(error) => Err(AuthFailure::Assertion(error)),
    }
}

fn ensure_active(state: &AppState, entry: Arc<CachedKey>) -> Result<Arc<CachedKey>, AuthFailure> {
    if !entry.key.is_active(UnixTime::now()) {
        return Err(AuthFailure::Inactive);
    }
    if entry.owner_disabled {
        return Err(AuthFailure::OwnerDisabled);
    }
    state.usage.touch(&entry.key.id);
    Ok(entry)
}

/// Seconds this (client_id, source address) must wait after too many failed authentications, if blocked.
pub fn throttled_for(state: &AppState, address: Option<IpAddr>, client_id: &str) -> Option<u64> {
    let wait = state.client_auth_throttle.blocked_for(client_id, address)?;
    Some(wait.as_secs().max(1))
}

/// Where a failed authentication came from: the client address and the path it was sent to.
pub struct Attempt<'a> {
    pub address: Option<IpAddr>,
    pub path: &'a str,
}

impl Attempt<'_> {
    pub fn of(address: Option<IpAddr>, path: &str) -> Attempt<'_> {
        Attempt { address, path }
    }
}

/// Counts and audits a failed authentication, with the reason but never the credential.
pub fn record_failure(
    state: &AppState,
    attempt: Attempt<'_>,
    client_id: Option<&str>,
    failure: &AuthFailure,
) {
    tracing::info!(client_id, reason = %failure, "client authentication failed");
    state.metrics.authentication_failed(failure.reason());
    state.activity.client_authentication_failed(client_id);
    if let Some(client_id) = client_id {
        state
            .client_auth_throttle
            .record_failure(client_id, attempt.address);
    }
    state.audit.record(AuditEvent {
        client_id: client_id.map(String::from),
        source_ip: attempt.address.map(|a| a.to_string()),
        detail: Some(json!({"reason": failure.to_string(), "path": attempt.path})),
        ..AuditEvent::new("auth.failed")
    });
}

/// The key and its client: from the node's cache, else from one database read.
/// The key an assertion's `kid` names: an access key id, or, for a client that registered its own JWKS (RFC 7591),
/// the `kid` of one of its public keys, which it signs with. Cached like every key, under `client_id#kid`.
async fn assertion_key(
    state: &AppState,
    client_id: &str,
    kid: &str,
) -> Result<Option<Arc<CachedKey>>, DbError> {
    if crate::domain::ids::IdKind::AccessKey.matches(kid) {
        return find_key(state, kid).await;
    }
    let cache_key = format!("{client_id}#{kid}");
    let use_cache = state.config.credential_cache_seconds > 0;
    if let Some(entry) = use_cache
        .then(|| state.credentials.get(&cache_key))
        .flatten()
    {
        return Ok(Some(entry));
    }
    let (client, named) = (client_id.to_string(), kid.to_string());
    let found = state
        .db
        .run(move |conn| {
            let now = UnixTime::now();
            let key = access_keys::find_by_client(conn, &client)?
                .into_iter()
                .filter(|k| k.is_active(now))
                .find(|k| {
                    k.public_jwk.as_ref().is_some_and(|jwk| {
                        jwk.0.get("kid").and_then(|v| v.as_str()) == Some(&named)
                    })
                });
            match key {
                Some(key) => access_keys::find_with_client(conn, &key.id),
                None => Ok(None),
            }
        })
        .await?;
    let Some(row) = found else {
        return Ok(None);
    };
    let entry = Arc::new(CachedKey::from(row));
    if use_cache {
        state.credentials.insert(cache_key, entry.clone());
    }
    Ok(Some(entry))
}

pub async fn find_key(state: &AppState, key_id: &str) -> Result<Option<Arc<CachedKey>>, DbError> {
    // credential_cache_seconds = 0 turns the cache off: every request reads its key.
    let use_cache = state.config.credential_cache_seconds > 0;
    if let Some(entry) = use_cache.then(|| state.credentials.get(key_id)).flatten() {
        return Ok(Some(entry));
    }
    let id = key_id.to_string();
    let Some(row) = state
        .db
        .run(move |conn| access_keys::find_with_client(conn, &id))
        .await?
    else {
        return Ok(None);
    };
    let entry = Arc::new(CachedKey::from(row));
    if use_cache {
        state.credentials.insert(key_id.to_string(), entry.clone());
    }
    Ok(Some(entry))
}

/// A client by id, with its tenant's lifetimes and whether its owner is disabled, from the node's cache when it has
/// it (`AppState::clients_by_id`): the client of a token issued without an access key (a public client's, a trusted
/// identity's), so that such a token costs no read either.
pub async fn find_client(
    state: &AppState,
    client_id: &str,
) -> Result<Option<Arc<ClientForToken>>, DbError> {
    let use_cache = state.config.credential_cache_seconds > 0;
    if let Some(found) = use_cache
        .then(|| state.clients_by_id.get(client_id))
        .flatten()
    {
        return Ok(Some(found));
    }
    let id = client_id.to_string();
    let Some(found) = state
        .db
        .run(move |conn| service_clients::find_for_token(conn, &id))
        .await?
    else {
        return Ok(None);
    };
    let found = Arc::new(found);
    if use_cache {
        state
            .clients_by_id
            .insert(client_id.to_string(), found.clone());
    }
    Ok(Some(found))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn basic(raw: &str) -> Vec<u8> {
        format!("Basic {}", STANDARD.encode(raw)).into_bytes()
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let (id, secret) = decode_basic(&basic("my+client%3A1:s%2Bcret")).unwrap();
        assert_eq!(id, "my client:1");
        assert_eq!(secret.expose_secret(), "s+cret");
    }

    #[test]
    fn malformed_basic_headers_are_refused() {
        assert!(decode_basic(&basic("no-colon")).is_none());
        assert!(decode_basic(&basic(":secret")).is_none());
        assert!(decode_basic(&basic("id:")).is_none());
        assert!(decode_basic(b"Basic !!!notbase64").is_none());
        assert!(decode_basic(b"Bearer abc").is_none());
        assert!(decode_basic(b"Basic").is_none());
    }
}
