//! Client authentication at the OAuth endpoints: `client_secret_basic` (RFC 6749 §2.3.1, with the form-decoding of
//! id and secret) and `client_secret_post`. One method per request.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::HttpRequest;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};

use super::error::OAuthError;
use super::form::OAuthForm;
use crate::db::access_keys;
use crate::domain::secret_key::SecretKey;
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
    /// Only a `client_id`: the `none` method of public clients.
    ClientIdOnly(String),
    Nothing,
}

/// How a client proved who it is (RFC 8414 method names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
}

/// A client that has proved who it is, with the key it used.
pub struct AuthenticatedClient {
    pub entry: Arc<CachedKey>,
    pub method: AuthMethod,
}

/// Finds the one authentication method a request uses.
pub fn extract(req: &HttpRequest, form: &OAuthForm) -> Result<Presented, OAuthError> {
    let form_secret = form.get("client_secret");
    let Some(authorization) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(match (form.get("client_id"), form_secret) {
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
        });
    };
    if form_secret.is_some() || form.get("client_assertion").is_some() {
        return Err(OAuthError::invalid_request(
            "more than one client authentication method in one request",
        ));
    }
    let (client_id, secret) = decode_basic(authorization.as_bytes()).ok_or_else(|| {
        OAuthError::invalid_client("malformed HTTP Basic authorization header", true)
    })?;
    if form.get("client_id").is_some_and(|id| id != client_id) {
        return Err(OAuthError::invalid_request(
            "client_id in the body differs from the one in Basic",
        ));
    }
    Ok(Presented::Basic { client_id, secret })
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

/// Checks the presented credentials; every failure is `invalid_client` (401).
pub async fn authenticate(
    state: &AppState,
    presented: Presented,
) -> Result<AuthenticatedClient, OAuthError> {
    let (client_id, secret, method) = match presented {
        Presented::Basic { client_id, secret } => {
            (client_id, secret, AuthMethod::ClientSecretBasic)
        }
        Presented::Post { client_id, secret } => (client_id, secret, AuthMethod::ClientSecretPost),
        Presented::ClientIdOnly(_) | Presented::Nothing => {
            return Err(OAuthError::invalid_client(
                "client authentication is required",
                true,
            ));
        }
    };
    let challenge = method == AuthMethod::ClientSecretBasic;
    let failed = |reason: &'static str| {
        tracing::info!(client_id, reason, "client authentication failed");
        OAuthError::invalid_client("client authentication failed", challenge)
    };
    let key = SecretKey::parse(secret.expose_secret()).map_err(|e| {
        tracing::info!(client_id, reason = %e, "client authentication failed");
        OAuthError::invalid_client(format!("client authentication failed: {e}"), challenge)
    })?;
    let entry = find_key(state, key.key_id())
        .await?
        .ok_or_else(|| failed("unknown access key"))?;
    let stored = entry
        .key
        .stored_secret()
        .ok_or_else(|| failed("not a secret key"))?;
    if entry.key.client_id != client_id || !key.matches(&stored) {
        return Err(failed("wrong client or secret"));
    }
    // The caller has proved possession of the key, so saying why it no longer works leaks nothing.
    if !entry.key.is_active(unix_now()) {
        tracing::info!(
            client_id,
            key_id = key.key_id(),
            "revoked or expired access key used"
        );
        return Err(OAuthError::invalid_client(
            "the access key is revoked or expired",
            challenge,
        ));
    }
    Ok(AuthenticatedClient { entry, method })
}

/// The key and its client: from the node's cache, else from one database read.
async fn find_key(state: &AppState, key_id: &str) -> Result<Option<Arc<CachedKey>>, OAuthError> {
    // credential_cache_seconds = 0 turns the cache off: every request reads its key.
    let use_cache = state.config.credential_cache_seconds > 0;
    if let Some(entry) = use_cache.then(|| state.credentials.get(key_id)).flatten() {
        return Ok(Some(entry));
    }
    let id = key_id.to_string();
    let found = state
        .db
        .run(move |conn| access_keys::find_with_client(conn, &id))
        .await;
    let Some(row) = found.map_err(OAuthError::database)? else {
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
