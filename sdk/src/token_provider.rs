//! Access tokens for a client: fetched with its access key, cached, renewed before they expire.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::{Mutex, OnceCell};

use crate::access_key::AccessKey;
use crate::http::{self, Retry};
use crate::Error;

/// `client_assertion_type` of RFC 7523 §2.2.
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Gets access tokens with an access key and keeps one ready.
///
/// Cheap to clone: clones share the cache. A token is reused until `renew_before` ahead of its expiry (at most
/// half its lifetime); when many tasks ask at once, one request goes out and the others wait for its answer. If
/// renewal fails while the old token is still valid, the old token is handed out. The key is never logged.
///
/// ```no_run
/// # async fn run() -> Result<(), keygate_sdk::Error> {
/// use keygate_sdk::TokenProvider;
///
/// let tokens = TokenProvider::new(&std::env::var("KEYGATE_ACCESS_KEY").unwrap_or_default())?;
/// let token = tokens.token().await?;
/// let answer = reqwest::Client::new()
///     .get("https://api.example.com/documents/1")
///     .bearer_auth(token)
///     .send()
///     .await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TokenProvider {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    key: AccessKey,
    issuer: String,
    client_id: OnceCell<String>,
    token_endpoint: OnceCell<String>,
    scope: Option<String>,
    resources: Vec<String>,
    renew_before: Duration,
    retry: Retry,
    current: RwLock<Option<Arc<AccessToken>>>,
    renewing: Mutex<()>,
}

/// An access token and what keygate said about it.
#[derive(Clone)]
pub struct AccessToken {
    secret: SecretString,
    /// The granted scopes, space-separated.
    pub scope: String,
    /// Its lifetime in seconds, as issued.
    pub expires_in: u64,
    expires_at: Instant,
    renew_at: Instant,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("scope", &self.scope)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

impl AccessToken {
    /// The bearer token to send.
    pub fn secret(&self) -> &str {
        self.secret.expose_secret()
    }

    /// When the token stops being valid (by this process's clock).
    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }
}

/// Builds a [`TokenProvider`] with options.
///
/// ```no_run
/// # fn run() -> Result<(), keygate_sdk::Error> {
/// use std::time::Duration;
/// use keygate_sdk::TokenProvider;
///
/// let tokens = TokenProvider::builder("kg_sk_…")
///     .issuer("https://auth.example.com")
///     .scope("documents:read")
///     .resource("https://api.example.com")
///     .renew_before(Duration::from_secs(120))
///     .build()?;
/// # Ok(()) }
/// ```
pub struct TokenProviderBuilder {
    key: String,
    issuer: Option<String>,
    client_id: Option<String>,
    scope: Option<String>,
    resources: Vec<String>,
    renew_before: Duration,
    retry: Retry,
    http: Option<reqwest::Client>,
}

impl TokenProviderBuilder {
    /// Where keygate is. Private keys name their issuer; secret keys need this.
    pub fn issuer(mut self, issuer: impl AsRef<str>) -> Self {
        self.issuer = Some(http::normalize_issuer(issuer.as_ref()));
        self
    }

    /// The client of a secret key; when absent, keygate is asked once (`POST /v1/verify`).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The scopes to ask for, space-separated (default: the client's default scopes).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// An RFC 8707 resource the token is meant for (its `aud`); repeatable.
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resources.push(resource.into());
        self
    }

    /// How long before expiry to renew (default 60 s; never more than half the token's lifetime).
    pub fn renew_before(mut self, renew_before: Duration) -> Self {
        self.renew_before = renew_before;
        self
    }

    /// How many times to try a request that fails for a transient reason (default 4).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.retry.attempts = attempts;
        self
    }

    /// Use this HTTP client (for proxies, custom roots or timeouts).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Parses the key; fails if it is not an access key or a secret key has no issuer.
    pub fn build(self) -> Result<TokenProvider, Error> {
        let key = AccessKey::parse(&self.key)?;
        let issuer = match (self.issuer, key.issuer()) {
            (Some(issuer), _) => issuer,
            (None, Some(issuer)) => http::normalize_issuer(issuer),
            (None, None) => {
                return Err(Error::InvalidKey(
                    "a secret key does not name its keygate: set the issuer".into(),
                ))
            }
        };
        let client_id = match (&key, self.client_id) {
            (AccessKey::Private(private), _) => {
                OnceCell::new_with(Some(private.client_id().into()))
            }
            (AccessKey::Secret(_), given) => OnceCell::new_with(given),
        };
        Ok(TokenProvider {
            inner: Arc::new(Inner {
                http: self.http.unwrap_or_else(http::client),
                key,
                issuer,
                client_id,
                token_endpoint: OnceCell::new(),
                scope: self.scope,
                resources: self.resources,
                renew_before: self.renew_before,
                retry: self.retry,
                current: RwLock::new(None),
                renewing: Mutex::new(()),
            }),
        })
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
    #[serde(default)]
    scope: String,
}

impl TokenProvider {
    /// A provider for `key` (`kg_pk_…`, which names its keygate). For a secret key, use [`TokenProvider::builder`]
    /// and set the issuer.
    pub fn new(key: &str) -> Result<TokenProvider, Error> {
        TokenProvider::builder(key).build()
    }

    /// A builder for `key`, for options.
    pub fn builder(key: &str) -> TokenProviderBuilder {
        TokenProviderBuilder {
            key: key.to_string(),
            issuer: None,
            client_id: None,
            scope: None,
            resources: Vec::new(),
            renew_before: Duration::from_secs(60),
            retry: Retry::default(),
            http: None,
        }
    }

    /// The keygate this provider talks to.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// A valid bearer token, from the cache or freshly fetched.
    pub async fn token(&self) -> Result<String, Error> {
        Ok(self.access_token().await?.secret().to_string())
    }

    /// Like [`TokenProvider::token`], with the token's scope and lifetime.
    pub async fn access_token(&self) -> Result<Arc<AccessToken>, Error> {
        if let Some(token) = self.current(|t| Instant::now() < t.renew_at) {
            return Ok(token);
        }
        let _renewing = self.inner.renewing.lock().await;
        // Another task may have renewed while this one waited.
        if let Some(token) = self.current(|t| Instant::now() < t.renew_at) {
            return Ok(token);
        }
        match self.fetch().await {
            Ok(token) => {
                let token = Arc::new(token);
                *self
                    .inner
                    .current
                    .write()
                    .unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
                Ok(token)
            }
            Err(error) => match self.current(|t| Instant::now() < t.expires_at) {
                Some(still_valid) => {
                    tracing::warn!(%error, "token renewal failed; using the current token until it expires");
                    Ok(still_valid)
                }
                None => Err(error),
            },
        }
    }

    /// Drops the cached token, so that the next call fetches a new one (after the API refused it, say).
    pub fn invalidate(&self) {
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn current(&self, usable: impl Fn(&AccessToken) -> bool) -> Option<Arc<AccessToken>> {
        let current = self.inner.current.read().unwrap_or_else(|e| e.into_inner());
        current.as_ref().filter(|t| usable(t)).cloned()
    }

    async fn fetch(&self) -> Result<AccessToken, Error> {
        let inner = &self.inner;
        let endpoint = inner
            .token_endpoint
            .get_or_try_init(|| async {
                http::metadata(&inner.http, &inner.retry, &inner.issuer)
                    .await
                    .map(|m| m.token_endpoint)
            })
            .await?;
        let client_id = inner
            .client_id
            .get_or_try_init(|| self.discover_client_id())
            .await?;
        let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
        if let Some(scope) = &inner.scope {
            form.push(("scope", scope));
        }
        form.extend(inner.resources.iter().map(|r| ("resource", r.as_str())));
        let started = Instant::now();
        let response = inner
            .retry
            .send(|| {
                let request = inner.http.post(endpoint);
                match &inner.key {
                    AccessKey::Secret(secret) => Ok(request
                        .basic_auth(client_id, Some(secret.expose_secret()))
                        .form(&form)),
                    AccessKey::Private(key) => {
                        let assertion = key.assertion(endpoint)?;
                        let mut form = form.clone();
                        form.push(("client_assertion_type", ASSERTION_TYPE));
                        form.push(("client_assertion", &assertion));
                        Ok(request.form(&form))
                    }
                }
            })
            .await?;
        let answer: TokenResponse = http::json_or_refused(response).await?;
        let lifetime = Duration::from_secs(answer.expires_in);
        // Counted from before the request, so network time never makes the token look fresher than it is.
        let expires_at = started + lifetime;
        Ok(AccessToken {
            secret: SecretString::from(answer.access_token),
            scope: answer.scope,
            expires_in: answer.expires_in,
            expires_at,
            renew_at: expires_at - inner.renew_before.min(lifetime / 2),
        })
    }

    /// A secret key does not name its client: ask keygate whose it is.
    async fn discover_client_id(&self) -> Result<String, Error> {
        #[derive(Deserialize)]
        struct Whose {
            client_id: String,
        }
        let inner = &self.inner;
        let secret = inner.key.secret().unwrap_or_default();
        let url = format!("{}/v1/verify", inner.issuer);
        let response = inner
            .retry
            .send(|| Ok(inner.http.post(&url).bearer_auth(secret)))
            .await?;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED {
            return Err(Error::InvalidCredentials);
        }
        Ok(http::json_or_refused::<Whose>(response).await?.client_id)
    }
}
