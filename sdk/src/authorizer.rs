//! Authorization checks for resource servers: may this identity use a permission on a resource
//! (`POST /v1/authorize`), and on which resources may it (`POST /v1/authorize/resources`).

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::http::{self, Retry};
use crate::{Error, Identity, TokenProvider};

/// Asks keygate whether an identity holds a permission on a resource, authenticating as the resource server's
/// own client (whose access key the [`TokenProvider`] holds; it needs the `keygate:authorize` scope, or an admin
/// scope). Cheap to clone.
///
/// ```no_run
/// # async fn run(identity: keygate_sdk::Identity) -> Result<(), keygate_sdk::Error> {
/// use keygate_sdk::{Authorizer, TokenProvider};
///
/// let authorizer = Authorizer::new(TokenProvider::new("kg_pk_…")?);
/// if authorizer.is_allowed(&identity, "/documents/42", "documents:read").await? {
///     println!("allowed");
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Authorizer {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    retry: Retry,
    tokens: TokenProvider,
    decisions: Option<moka::future::Cache<String, bool>>,
}

impl Authorizer {
    /// An authorizer that asks keygate every time, so a changed access record applies at once.
    pub fn new(tokens: TokenProvider) -> Authorizer {
        Authorizer::with_decision_cache(tokens, Duration::ZERO)
    }

    /// An authorizer that reuses each decision for `ttl` (zero: no cache). A revoked permission may then be used
    /// for up to `ttl` longer.
    pub fn with_decision_cache(tokens: TokenProvider, ttl: Duration) -> Authorizer {
        let decisions = (!ttl.is_zero()).then(|| {
            moka::future::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl)
                .build()
        });
        Authorizer {
            inner: Arc::new(Inner {
                http: http::client(),
                retry: Retry {
                    attempts: 2,
                    first_backoff: Duration::from_millis(50),
                },
                tokens,
                decisions,
            }),
        }
    }

    /// Whether `identity` may use `permission` (`documents:read`) on `resource` (`/documents/42`).
    pub async fn is_allowed(
        &self,
        identity: &Identity,
        resource: &str,
        permission: &str,
    ) -> Result<bool, Error> {
        let body = json!({
            "subject": identity.subject,
            "tenant_id": identity.tenant_id,
            "resource": resource,
            "permission": permission,
        });
        let Some(cache) = &self.inner.decisions else {
            return self.decide(&body).await;
        };
        cache
            .try_get_with(body.to_string(), self.decide(&body))
            .await
            .map_err(|e| e.as_ref().clone())
    }

    /// The resource patterns (`/documents/*`) on which `identity` may use `permission`.
    pub async fn resources(
        &self,
        identity: &Identity,
        permission: &str,
    ) -> Result<Vec<String>, Error> {
        #[derive(Deserialize)]
        struct Answer {
            resources: Vec<String>,
        }
        let body = json!({
            "subject": identity.subject,
            "tenant_id": identity.tenant_id,
            "permission": permission,
        });
        let answer: Answer = self.post("/v1/authorize/resources", &body).await?;
        Ok(answer.resources)
    }

    async fn decide(&self, body: &Value) -> Result<bool, Error> {
        #[derive(Deserialize)]
        struct Answer {
            allowed: bool,
        }
        let answer: Answer = self.post("/v1/authorize", body).await?;
        Ok(answer.allowed)
    }

    /// Posts with the resource server's token; a refused token is renewed once (it may have been revoked).
    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<T, Error> {
        let inner = &self.inner;
        let url = format!("{}{path}", inner.tokens.issuer());
        for attempt in 0..2 {
            let token = inner.tokens.token().await?;
            let response = inner
                .retry
                .send(|| Ok(inner.http.post(&url).bearer_auth(&token).json(body)))
                .await?;
            if response.status() == reqwest::StatusCode::UNAUTHORIZED && attempt == 0 {
                inner.tokens.invalidate();
                continue;
            }
            return http::json_or_refused(response).await;
        }
        Err(Error::InvalidCredentials)
    }
}
