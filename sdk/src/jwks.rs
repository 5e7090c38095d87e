//! The issuer's signing keys (RFC 7517), as fetched from its JWKS and kept for the `max-age` it sets.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

use crate::http::{self, Retry};
use crate::Error;

/// Used when the JWKS answer names no `max-age`.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);
/// Keys are refetched at least daily, whatever the server says.
const LONGEST_MAX_AGE: Duration = Duration::from_secs(86_400);

/// One public key and the one algorithm it verifies.
pub(crate) struct VerifyingKey {
    pub key: DecodingKey,
    pub alg: Algorithm,
}

/// The keys of one fetch, by `kid`.
pub(crate) struct KeySet {
    pub keys: HashMap<String, Arc<VerifyingKey>>,
    pub fresh_until: Instant,
}

impl KeySet {
    /// The key named `kid`, or why there is none.
    pub fn get(&self, kid: &str) -> Result<Arc<VerifyingKey>, Error> {
        self.keys
            .get(kid)
            .cloned()
            .ok_or_else(|| Error::InvalidToken("unknown signing key".into()))
    }
}

/// Fetches the JWKS at `url`, keeping the keys whose `alg` is in `allowed`; fresh for its `Cache-Control: max-age`,
/// but never less than `shortest` nor more than a day.
pub(crate) async fn fetch(
    http: &reqwest::Client,
    retry: &Retry,
    url: &str,
    allowed: &[Algorithm],
    shortest: Duration,
) -> Result<KeySet, Error> {
    let fetched_at = Instant::now();
    let response = retry.send(|| Ok(http.get(url))).await?;
    let max_age = max_age(response.headers()).unwrap_or(DEFAULT_MAX_AGE);
    let body: Value = http::json_or_refused(response).await?;
    let keys = body
        .get("keys")
        .and_then(Value::as_array)
        .map(|keys| keys.iter().filter_map(|jwk| parse(jwk, allowed)).collect())
        .unwrap_or_default();
    Ok(KeySet {
        keys,
        fresh_until: fetched_at + max_age.clamp(shortest, LONGEST_MAX_AGE.max(shortest)),
    })
}

fn parse(jwk: &Value, allowed: &[Algorithm]) -> Option<(String, Arc<VerifyingKey>)> {
    let kid = jwk.get("kid")?.as_str()?;
    let alg = Algorithm::from_str(jwk.get("alg")?.as_str()?).ok()?;
    if !allowed.contains(&alg) {
        return None;
    }
    let parsed: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).ok()?;
    let key = DecodingKey::from_jwk(&parsed).ok()?;
    Some((kid.to_string(), Arc::new(VerifyingKey { key, alg })))
}

/// `max-age` of `Cache-Control`; `no-cache` and `no-store` count as zero.
fn max_age(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::CACHE_CONTROL)?.to_str().ok()?;
    value.split(',').map(str::trim).find_map(|directive| {
        let directive = directive.to_ascii_lowercase();
        match directive.split_once('=') {
            Some(("max-age", seconds)) => seconds.trim().parse().ok().map(Duration::from_secs),
            None if directive == "no-cache" || directive == "no-store" => Some(Duration::ZERO),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, CACHE_CONTROL};

    fn cache_control(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CACHE_CONTROL, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn max_age_is_read_from_cache_control() {
        let age = |v: &str| max_age(&cache_control(v));
        assert_eq!(age("public, max-age=300"), Some(Duration::from_secs(300)));
        assert_eq!(age("Max-Age=60"), Some(Duration::from_secs(60)));
        assert_eq!(age("no-store"), Some(Duration::ZERO));
        assert_eq!(age("public"), None);
        assert_eq!(max_age(&HeaderMap::new()), None);
    }
}
