//! The public keys of trusted issuers, fetched over HTTP and cached per source (an issuer's discovery document, or
//! a JWKS URL). Every fetch is bounded: one timeout for the whole fetch, a size limit, `https` only (loopback
//! `http` when configured), no redirect to another host, and no private, loopback or link-local address unless
//! configured — checked on the addresses a name resolves to, so DNS cannot point a fetch inside.
//!
//! Keys stay fresh for the response's `Cache-Control: max-age` (bounded); an unknown `kid` or a stale set refetches
//! at most once per cooldown; while an issuer cannot be reached its last good keys keep serving for a bounded time.
//! One fetch per source runs at a time: concurrent requests wait for it (at most the fetch timeout) and share it.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::config::Config;
use crate::crypto::jwt::foreign_verifying_key;
use crate::domain::trusted_issuer::UrlPolicy;

/// The largest discovery document or JWKS keygate reads.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
/// Freshness when the issuer says nothing, and the most it may ask for.
const DEFAULT_FRESHNESS: Duration = Duration::from_secs(300);
const MAX_FRESHNESS: Duration = Duration::from_secs(24 * 3600);
/// Keys kept from one JWKS.
const MAX_KEYS: usize = 50;

/// Where a trust's keys are fetched from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyUrl {
    /// The issuer; its keys are at its discovery document's `jwks_uri`.
    Discovery(String),
    Jwks(String),
}

/// One public key of an issuer.
pub struct RemoteKey {
    pub kid: Option<String>,
    /// The JWK's own `alg`, if it names one: then only that algorithm may use it.
    pub alg: Option<String>,
    pub key: jsonwebtoken::DecodingKey,
}

/// An issuer's keys as last fetched.
pub struct KeySet {
    pub keys: Vec<RemoteKey>,
}

impl KeySet {
    /// Reads a JWK set, keeping the keys keygate can verify with and skipping the rest (RFC 7517 §5: unknown
    /// key types are ignored).
    pub fn from_jwks(jwks: &Value) -> Option<KeySet> {
        let keys: Vec<RemoteKey> = jwks
            .get("keys")?
            .as_array()?
            .iter()
            .filter_map(|jwk| {
                let text = |name: &str| jwk.get(name).and_then(Value::as_str).map(String::from);
                Some(RemoteKey {
                    key: foreign_verifying_key(jwk)?,
                    kid: text("kid"),
                    alg: text("alg"),
                })
            })
            .take(MAX_KEYS)
            .collect();
        (!keys.is_empty()).then_some(KeySet { keys })
    }

    /// The keys a token with this `kid` may be signed by: the one with that kid, or every key when it names none.
    pub fn candidates<'a>(&'a self, kid: Option<&'a str>) -> impl Iterator<Item = &'a RemoteKey> {
        self.keys
            .iter()
            .filter(move |k| kid.is_none() || k.kid.as_deref() == kid)
    }

    fn knows(&self, kid: Option<&str>) -> bool {
        self.candidates(kid).next().is_some()
    }
}

/// Why no key could be had; the text is safe to show a caller (the cause is logged).
#[derive(Debug, Clone, thiserror::Error)]
pub enum KeyError {
    #[error("the issuer's keys could not be fetched")]
    Unavailable,
    #[error("the issuer has no key {0:?}")]
    UnknownKey(String),
}

/// What is known of one source.
#[derive(Default)]
struct Snapshot {
    keys: Option<Arc<KeySet>>,
    fetched_at: Option<Instant>,
    fresh_until: Option<Instant>,
    attempted_at: Option<Instant>,
}

#[derive(Default)]
struct Source {
    snapshot: Mutex<Snapshot>,
    /// Held by the one fetch in flight.
    flight: tokio::sync::Mutex<()>,
}

/// The node's fetched keys, by source.
pub struct RemoteKeys {
    http: reqwest::Client,
    sources: moka::sync::Cache<KeyUrl, Arc<Source>>,
    policy: UrlPolicy,
    addresses: AddressPolicy,
    timeout: Duration,
    cooldown: Duration,
    max_stale: Duration,
}

/// Which addresses a fetch may connect to.
#[derive(Debug, Clone, Copy)]
struct AddressPolicy {
    private_networks: bool,
    loopback: bool,
}

impl AddressPolicy {
    fn allows(self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map(IpAddr::V4)
                .unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        if ip.is_loopback() {
            return self.loopback || self.private_networks;
        }
        let internal = match ip {
            IpAddr::V4(v4) => {
                v4.is_private()
                    || v4.is_link_local()
                    || v4.is_unspecified()
                    || v4.is_broadcast()
                    || v4.is_multicast()
                    || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 // 100.64/10, carrier-grade NAT
            }
            IpAddr::V6(v6) => {
                let first = v6.segments()[0];
                v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00 // unique local
                    || (first & 0xffc0) == 0xfe80 // link local
            }
        };
        !internal || self.private_networks
    }
}

/// Resolves names as the system does, then drops the addresses the policy refuses.
struct CheckedResolver(AddressPolicy);

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| policy.allows(addr.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} resolves to no address keygate may fetch from").into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

impl RemoteKeys {
    pub fn new(config: &Config) -> anyhow::Result<RemoteKeys> {
        let timeout = Duration::from_millis(config.trusted_issuer_fetch_timeout_ms);
        let addresses = AddressPolicy {
            private_networks: config.trusted_issuer_private_networks,
            loopback: config.trusted_issuer_loopback_http,
        };
        // A redirect may change the path, never the host or to plain http.
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            let first = attempt.previous().first();
            let same_host = first.is_some_and(|f| f.host_str() == attempt.url().host_str());
            let downgrade =
                first.is_some_and(|f| f.scheme() == "https") && attempt.url().scheme() != "https";
            match same_host && !downgrade && attempt.previous().len() < 3 {
                true => attempt.follow(),
                false => attempt.stop(),
            }
        });
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(redirects)
            .dns_resolver(Arc::new(CheckedResolver(addresses)))
            .user_agent(concat!("keygate/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(RemoteKeys {
            http,
            sources: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_idle(Duration::from_secs(7 * 24 * 3600))
                .build(),
            policy: config.trusted_issuer_urls(),
            addresses,
            timeout,
            cooldown: Duration::from_secs(config.trusted_issuer_refetch_cooldown_seconds),
            max_stale: Duration::from_secs(config.trusted_issuer_max_stale_seconds),
        })
    }

    /// The keys of `url` that may have signed a token naming `kid`: cached, or fetched (once per cooldown) when the
    /// cache has none, is stale, or does not know the kid.
    pub async fn keys(&self, url: &KeyUrl, kid: Option<&str>) -> Result<Arc<KeySet>, KeyError> {
        let source = self.sources.get_with(url.clone(), Arc::default);
        let seen = {
            let snapshot = lock(&source.snapshot);
            let now = Instant::now();
            let fresh = snapshot.fresh_until.is_some_and(|until| now < until);
            match self.usable(&snapshot, now) {
                Some(keys) if fresh && keys.knows(kid) => return Ok(keys),
                _ if !self.may_attempt(&snapshot, now) => return self.settle(&snapshot, kid),
                _ => snapshot.attempted_at,
            }
        };
        // A stale set that knows the kid serves while another request refreshes it.
        let _flight = match source.flight.try_lock() {
            Ok(guard) => guard,
            Err(_) => {
                {
                    let snapshot = lock(&source.snapshot);
                    if let Some(keys) = self
                        .usable(&snapshot, Instant::now())
                        .filter(|k| k.knows(kid))
                    {
                        return Ok(keys);
                    }
                }
                source.flight.lock().await
            }
        };
        // Whoever held the flight may have fetched already: then its result is ours.
        if lock(&source.snapshot).attempted_at == seen {
            let fetched = tokio::time::timeout(self.timeout, self.fetch(url)).await;
            let mut snapshot = lock(&source.snapshot);
            let now = Instant::now();
            snapshot.attempted_at = Some(now);
            match fetched {
                Ok(Ok((keys, freshness))) => {
                    snapshot.keys = Some(Arc::new(keys));
                    snapshot.fetched_at = Some(now);
                    snapshot.fresh_until = Some(now + freshness);
                }
                Ok(Err(error)) => {
                    tracing::warn!(?url, %error, "fetching a trusted issuer's keys failed")
                }
                Err(_) => tracing::warn!(?url, "fetching a trusted issuer's keys timed out"),
            }
        }
        let snapshot = lock(&source.snapshot);
        self.settle(&snapshot, kid)
    }

    /// The last good keys, unless older than the stale bound.
    fn usable(&self, snapshot: &Snapshot, now: Instant) -> Option<Arc<KeySet>> {
        let within = snapshot
            .fetched_at
            .is_some_and(|at| now.duration_since(at) < self.max_stale);
        snapshot.keys.clone().filter(|_| within)
    }

    fn may_attempt(&self, snapshot: &Snapshot, now: Instant) -> bool {
        snapshot
            .attempted_at
            .is_none_or(|at| now.duration_since(at) >= self.cooldown)
    }

    fn settle(&self, snapshot: &Snapshot, kid: Option<&str>) -> Result<Arc<KeySet>, KeyError> {
        match self.usable(snapshot, Instant::now()) {
            Some(keys) if keys.knows(kid) => Ok(keys),
            Some(_) => Err(KeyError::UnknownKey(kid.unwrap_or_default().to_string())),
            None => Err(KeyError::Unavailable),
        }
    }

    /// Fetches the keys (through the discovery document for an issuer) and how long they stay fresh.
    async fn fetch(&self, url: &KeyUrl) -> anyhow::Result<(KeySet, Duration)> {
        let jwks_uri = match url {
            KeyUrl::Jwks(uri) => uri.clone(),
            KeyUrl::Discovery(issuer) => {
                let at = format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                );
                let (document, _) = self.get_json(&at).await?;
                // OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it was fetched for.
                anyhow::ensure!(
                    document.get("issuer").and_then(Value::as_str) == Some(issuer.as_str()),
                    "the discovery document names another issuer"
                );
                document
                    .get("jwks_uri")
                    .and_then(Value::as_str)
                    .ok_or_else(|| anyhow::anyhow!("the discovery document has no jwks_uri"))?
                    .to_string()
            }
        };
        let (jwks, freshness) = self.get_json(&jwks_uri).await?;
        let keys = KeySet::from_jwks(&jwks)
            .ok_or_else(|| anyhow::anyhow!("the JWKS holds no usable key"))?;
        Ok((keys, freshness))
    }

    /// GETs a JSON document within the URL policy and size limit, with its freshness from `Cache-Control`.
    async fn get_json(&self, url: &str) -> anyhow::Result<(Value, Duration)> {
        let parsed = self
            .policy
            .check("url", url)
            .map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
        if let Some(ip) = literal_ip(&parsed) {
            anyhow::ensure!(self.addresses.allows(ip), "{url}: address not allowed");
        }
        let mut response = self.http.get(parsed).send().await?;
        anyhow::ensure!(
            response.status().is_success(),
            "{url} answered {}",
            response.status()
        );
        let freshness = freshness(response.headers().get(reqwest::header::CACHE_CONTROL));
        anyhow::ensure!(
            response
                .content_length()
                .is_none_or(|n| n as usize <= MAX_DOCUMENT_BYTES),
            "{url}: document over {MAX_DOCUMENT_BYTES} bytes"
        );
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            body.extend_from_slice(&chunk);
            anyhow::ensure!(
                body.len() <= MAX_DOCUMENT_BYTES,
                "{url}: document over {MAX_DOCUMENT_BYTES} bytes"
            );
        }
        Ok((serde_json::from_slice(&body)?, freshness))
    }
}

fn lock(snapshot: &Mutex<Snapshot>) -> std::sync::MutexGuard<'_, Snapshot> {
    // A panic while holding it left a snapshot that is still whole: every write sets whole fields.
    snapshot
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn literal_ip(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// `max-age` (bounded), zero for `no-store`/`no-cache`, else the default.
fn freshness(header: Option<&reqwest::header::HeaderValue>) -> Duration {
    let Some(value) = header.and_then(|h| h.to_str().ok()) else {
        return DEFAULT_FRESHNESS;
    };
    let mut freshness = DEFAULT_FRESHNESS;
    for directive in value.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Duration::ZERO;
        }
        if let Some(seconds) = lower
            .strip_prefix("max-age=")
            .and_then(|s| s.trim_matches('"').parse().ok())
        {
            freshness = Duration::from_secs(seconds);
        }
    }
    freshness.min(MAX_FRESHNESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_sets_freshness_within_bounds() {
        let header = |v: &str| reqwest::header::HeaderValue::from_str(v).ok();
        assert_eq!(freshness(None), DEFAULT_FRESHNESS);
        assert_eq!(
            freshness(header("public, max-age=60").as_ref()),
            Duration::from_secs(60)
        );
        assert_eq!(
            freshness(header("max-age=99999999").as_ref()),
            MAX_FRESHNESS
        );
        assert_eq!(freshness(header("no-store").as_ref()), Duration::ZERO);
    }

    #[test]
    fn internal_addresses_are_refused_unless_configured() {
        let closed = AddressPolicy {
            private_networks: false,
            loopback: false,
        };
        for ip in [
            "10.0.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "127.0.0.1",
            "::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "100.64.0.1",
        ] {
            assert!(!closed.allows(ip.parse().unwrap()), "{ip}");
        }
        assert!(closed.allows("140.82.112.3".parse().unwrap()));
        let loopback = AddressPolicy {
            private_networks: false,
            loopback: true,
        };
        assert!(loopback.allows("127.0.0.1".parse().unwrap()));
        assert!(!loopback.allows("10.0.0.1".parse().unwrap()));
    }
}
