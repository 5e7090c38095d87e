//! Talking to keygate: one HTTP client, the issuer's metadata (RFC 8414), and retries of transient failures.

use std::time::Duration;

use reqwest::{RequestBuilder, Response, StatusCode};
use serde::Deserialize;

use crate::Error;

/// The longest `Retry-After` worth waiting for inside one call.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// An HTTP client with timeouts, using aws-lc-rs for TLS.
pub(crate) fn client() -> reqwest::Client {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap_or_default()
}

/// What the SDK reads from the authorization server metadata.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Metadata {
    pub issuer: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
}

/// The issuer without a trailing slash, as keygate writes it in `iss`.
pub(crate) fn normalize_issuer(issuer: &str) -> String {
    issuer.trim().trim_end_matches('/').to_string()
}

/// Fetches `{issuer}/.well-known/oauth-authorization-server` and checks that it names the same issuer
/// (RFC 8414 §3.3).
pub(crate) async fn metadata(
    http: &reqwest::Client,
    retry: &Retry,
    issuer: &str,
) -> Result<Metadata, Error> {
    let url = format!("{issuer}/.well-known/oauth-authorization-server");
    let response = retry.send(|| Ok(http.get(&url))).await?;
    let metadata: Metadata = json_or_refused(response).await?;
    if normalize_issuer(&metadata.issuer) != issuer {
        return Err(Error::InvalidKey(format!(
            "{url} names the issuer {:?}, not {issuer:?}",
            metadata.issuer
        )));
    }
    Ok(metadata)
}

/// The body of a successful answer, or the error keygate gave (OAuth `error_description` or `/v1` `message`).
pub(crate) async fn json_or_refused<T: serde::de::DeserializeOwned>(
    response: Response,
) -> Result<T, Error> {
    let status = response.status();
    if status.is_success() {
        return response
            .json()
            .await
            .map_err(|e| Error::Unavailable(format!("keygate answered unreadable JSON: {e}")));
    }
    Err(refused(response).await)
}

/// The error keygate answered with.
pub(crate) async fn refused(response: Response) -> Error {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    let text = |name: &str| body.get(name).and_then(|v| v.as_str()).map(String::from);
    Error::Refused {
        status,
        code: text("error").unwrap_or_else(|| format!("http_{status}")),
        description: text("error_description")
            .or_else(|| text("message"))
            .unwrap_or_default(),
    }
}

/// How often and how patiently to retry a request that failed for a reason that may pass.
#[derive(Debug, Clone)]
pub(crate) struct Retry {
    pub attempts: u32,
    pub first_backoff: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            attempts: 4,
            first_backoff: Duration::from_millis(100),
        }
    }
}

impl Retry {
    /// Sends the request `build` makes, again after a connection failure, a 5xx or a short 429, with exponential
    /// backoff and jitter. `build` runs once per attempt, so each attempt may carry a fresh client assertion.
    pub(crate) async fn send(
        &self,
        build: impl Fn() -> Result<RequestBuilder, Error>,
    ) -> Result<Response, Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= self.attempts.max(1);
            let wait = match build()?.send().await {
                Ok(response) if response.status() == StatusCode::TOO_MANY_REQUESTS => {
                    let after = retry_after(&response);
                    if last || after > MAX_RETRY_AFTER {
                        return Err(Error::Throttled(after));
                    }
                    after
                }
                Ok(response) if response.status().is_server_error() && !last => {
                    tracing::debug!(status = %response.status(), attempt, "keygate answered a server error; retrying");
                    self.backoff(attempt)
                }
                Ok(response) if response.status().is_server_error() => {
                    return Err(Error::Unavailable(format!(
                        "{} answered {}",
                        response.url().path(),
                        response.status()
                    )))
                }
                Ok(response) => return Ok(response),
                Err(error) if last => {
                    return Err(Error::Unavailable(error.without_url().to_string()))
                }
                Err(error) => {
                    tracing::debug!(error = %error.without_url(), attempt, "keygate unreachable; retrying");
                    self.backoff(attempt)
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// `first_backoff` × 2^(attempt − 1), times a random factor in [0.5, 1.5) so that clients spread out.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.first_backoff * 2u32.saturating_pow(attempt.saturating_sub(1));
        let mut byte = [0u8; 1];
        let _ = aws_lc_rs::rand::fill(&mut byte);
        base.mul_f64(0.5 + f64::from(byte[0]) / 256.0)
    }
}

/// The `Retry-After` seconds of a 429, or one second.
fn retry_after(response: &Response) -> Duration {
    let seconds = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    Duration::from_secs(seconds)
}
