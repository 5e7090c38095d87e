//! Client authentication at the OAuth endpoints: `client_secret_basic` (RFC 6749 §2.3.1, with the form-decoding of
//! id and secret), `client_secret_post`, and `private_key_jwt` (RFC 7523). One method per request.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::HttpRequest;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::client_assertion::{self, AssertionError, ASSERTION_TYPE};
use super::error::OAuthError;
use super::form::OAuthForm;
use crate::audit::AuditEvent;
use crate::db::{access_keys, service_clients, DbError};
use crate::domain::secret_key::SecretKey;
use crate::domain::service_client::ServiceClient;
use crate::domain::ttl::TtlOverrides;
use crate::domain::unix_now;
use crate::state::{AppState, CachedKey};

/// The credentials a request presented, before checking them.
pub enum Presented {
    Basic {
        client_id: String,
        secret: SecretString,
    },
    Post {
        client_id: String,
        secret: SecretString,
    },
    Assertion {
        client_id: Option<String>,
        assertion: String,
    },
    /// Only a `client_id`: the `none` method of public clients.
    ClientIdOnly(String),
    Nothing,
}

/// How a client proved who it is (RFC 8414 method names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    /// A public client: nothing to prove (RFC 6749 §2.1); PKCE or the user's password protect its grants.
    None,
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

/// Finds the one authentication method a request uses.
pub fn extract(req: &HttpRequest, form: &OAuthForm) -> Result<Presented, OAuthError> {
    let authorization = req.headers().get(header::AUTHORIZATION);
    let (secret, assertion) = (form.get("client_secret"), form.get("client_assertion"));
    let methods = [
        authorization.is_some(),
        secret.is_some(),
        assertion.is_some(),
    ];
    if methods.iter().filter(|used| **used).count() > 1 {
        return Err(OAuthError::invalid_request(
            "more than one client authentication method in one request",
        ));
    }
    let client_id = form.get("client_id");
    if let Some(authorization) = authorization {
        let (basic_id, secret) = decode_basic(authorization.as_bytes()).ok_or_else(|| {
            OAuthError::invalid_client("malformed HTTP Basic authorization header", true)
        })?;
        if client_id.is_some_and(|id| id != basic_id) {
            return Err(OAuthError::invalid_request(
                "client_id in the body differs from the one in Basic",
            ));
        }
        return Ok(Presented::Basic {
            client_id: basic_id,
            secret,
        });
    }
    if let Some(assertion) = assertion {
        if form.get("client_assertion_type") != Some(ASSERTION_TYPE) {
            return Err(OAuthError::invalid_request(format!(
                "client_assertion_type must be {ASSERTION_TYPE}"
            )));
        }
        return Ok(Presented::Assertion {
            client_id: client_id.map(String::from),
            assertion: assertion.into(),
        });
    }
    Ok(match (client_id, secret) {
        (Some(id), Some(secret)) => Presented::Post {
            client_id: id.into(),
            secret: secret.into(),
        },
        (None, Some(_)) => {
            return Err(OAuthError::invalid_request(
                "client_secret without client_id",
            ))
        }
        (Some(id), None) => Presented::ClientIdOnly(id.into()),
        (None, None) => Presented::Nothing,
    })
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

/// Authenticates the client of an OAuth request at `endpoint`; every failure is `invalid_client` (401).
pub async fn authenticate(
    state: &AppState,
    req: &HttpRequest,
    form: &OAuthForm,
    endpoint: &str,
) -> Result<AuthenticatedClient, OAuthError> {
    let address = state.client_address(req);
    state
        .rate_limits
        .check_address(address)
        .map_err(OAuthError::rate_limited)?;
    let presented = extract(req, form)?;
    let claimed = match &presented {
        Presented::Basic { client_id, .. } | Presented::Post { client_id, .. } => {
            Some(client_id.as_str())
        }
        Presented::Assertion { client_id, .. } => client_id.as_deref(),
        Presented::ClientIdOnly(_) | Presented::Nothing => None,
    };
    if let Some(seconds) = claimed.and_then(|id| throttled_for(state, req, id)) {
        return Err(OAuthError::throttled(seconds));
    }
    let (claimed_id, method, outcome) = match presented {
        Presented::Basic { client_id, secret } => {
            let outcome = check_secret(state, Some(&client_id), secret.expose_secret()).await;
            (Some(client_id), AuthMethod::ClientSecretBasic, outcome)
        }
        Presented::Post { client_id, secret } => {
            let outcome = check_secret(state, Some(&client_id), secret.expose_secret()).await;
            (Some(client_id), AuthMethod::ClientSecretPost, outcome)
        }
        Presented::Assertion {
            client_id,
            assertion,
        } => {
            let outcome = check_assertion(state, client_id.as_deref(), &assertion, endpoint).await;
            (client_id, AuthMethod::PrivateKeyJwt, outcome)
        }
        Presented::ClientIdOnly(client_id) => return public_client(state, &client_id).await,
        Presented::Nothing => {
            return Err(OAuthError::invalid_client(
                "client authentication is required",
                true,
            ));
        }
    };
    let challenge = method == AuthMethod::ClientSecretBasic;
    match outcome {
        Ok(entry) => {
            state
                .rate_limits
                .check_client(&entry.client)
                .map_err(OAuthError::rate_limited)?;
            Ok(AuthenticatedClient {
                client: entry.client.clone(),
                tenant_ttl: entry.tenant_ttl.clone(),
                method,
            })
        }
        Err(AuthFailure::Database(error)) => Err(OAuthError::database(error)),
        Err(failure) => {
            record_failure(state, req, claimed_id.as_deref(), &failure);
            let description = match &failure {
                AuthFailure::Malformed(_) | AuthFailure::Inactive | AuthFailure::OwnerDisabled => {
                    format!("client authentication failed: {failure}")
                }
                AuthFailure::Assertion(error) if error.is_disclosable() => {
                    format!("client authentication failed: {failure}")
                }
                _ => "client authentication failed".to_string(),
            };
            Err(OAuthError::invalid_client(description, challenge))
        }
    }
}

/// A public client named by `client_id` alone (the `none` method); a confidential one must authenticate.
async fn public_client(
    state: &AppState,
    client_id: &str,
) -> Result<AuthenticatedClient, OAuthError> {
    let id = client_id.to_string();
    let found = state
        .db
        .run(move |conn| service_clients::find_with_tenant_ttl(conn, &id))
        .await
        .map_err(OAuthError::database)?;
    match found {
        Some((row, tenant_ttl)) if row.is_public => Ok(AuthenticatedClient {
            client: row.into(),
            tenant_ttl: tenant_ttl.map(|ttl| ttl.0),
            method: AuthMethod::None,
        }),
        _ => Err(OAuthError::invalid_client(
            "client authentication is required",
            true,
        )),
    }
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

async fn check_assertion(
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
    let entry = find_key(state, &checked.kid)
        .await?
        .ok_or(AuthFailure::UnknownKey)?;
    match client_assertion::verify(state, &entry, checked).await {
        Ok(()) => ensure_active(state, entry),
        Err(AssertionError::Database(error)) => Err(AuthFailure::Database(error)),
        Err(error) => Err(AuthFailure::Assertion(error)),
    }
}

fn ensure_active(state: &AppState, entry: Arc<CachedKey>) -> Result<Arc<CachedKey>, AuthFailure> {
    if !entry.key.is_active(unix_now()) {
        return Err(AuthFailure::Inactive);
    }
    if entry.owner_disabled {
        return Err(AuthFailure::OwnerDisabled);
    }
    state.usage.touch(&entry.key.id);
    Ok(entry)
}

/// Seconds this (client_id, source address) must wait after too many failed authentications, if blocked.
pub fn throttled_for(state: &AppState, req: &HttpRequest, client_id: &str) -> Option<u64> {
    let wait = state
        .client_auth_throttle
        .blocked_for(client_id, state.client_address(req))?;
    Some(wait.as_secs().max(1))
}

/// Counts and audits a failed authentication, with the reason but never the credential.
pub fn record_failure(
    state: &AppState,
    req: &HttpRequest,
    client_id: Option<&str>,
    failure: &AuthFailure,
) {
    tracing::info!(client_id, reason = %failure, "client authentication failed");
    state.metrics.authentication_failed(failure.reason());
    if let Some(client_id) = client_id {
        state
            .client_auth_throttle
            .record_failure(client_id, state.client_address(req));
    }
    state.audit.record(AuditEvent {
        client_id: client_id.map(String::from),
        source_ip: state.client_address(req).map(|a| a.to_string()),
        detail: Some(json!({"reason": failure.to_string(), "path": req.path()})),
        ..AuditEvent::new("auth.failed")
    });
}

/// The key and its client: from the node's cache, else from one database read.
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

#[cfg(test)]
mod tests {
    use super::*;

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
