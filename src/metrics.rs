//! `GET /metrics` in the Prometheus text format: requests and latency per route, tokens issued per grant type,
//! authentication failures per reason, throttled requests, and the database pool. Labels come from closed sets
//! (route patterns, not paths), so no caller can grow the series without bound.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GrantLabels {
    grant_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

/// The node's metrics; one per process, shared by every worker.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    throttled: Family<RouteLabels, Counter>,
    tokens: Family<GrantLabels, Counter>,
    auth_failures: Family<ReasonLabels, Counter>,
    pool: Family<PoolLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("keygate");
        let requests = Family::<RequestLabels, Counter>::default();
        // 0.25 ms to 2.5 s: a cached-key token is well under a millisecond, a password sign-in a few hundred.
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ])
        });
        let throttled = Family::<RouteLabels, Counter>::default();
        let tokens = Family::<GrantLabels, Counter>::default();
        let auth_failures = Family::<ReasonLabels, Counter>::default();
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route pattern and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its response, by method and route pattern",
            latency.clone(),
        );
        registry.register(
            "throttled_requests",
            "Requests answered 429 (too many failed attempts or over a rate limit), by method and route pattern",
            throttled.clone(),
        );
        registry.register(
            "tokens_issued",
            "Access tokens issued, by grant type",
            tokens.clone(),
        );
        registry.register(
            "authentication_failures",
            "Refused client or user authentications, by reason",
            auth_failures.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections: in use, idle, and the configured maximum",
            pool.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            throttled,
            tokens,
            auth_failures,
            pool,
        }
    }
}

impl Metrics {
    /// Counts an answered request; `route` is the matched pattern (`/v1/clients/{id}`), or `None` when no route
    /// matched, so that unknown paths share one series.
    pub fn request(&self, method: &str, route: Option<String>, status: u16, seconds: f64) {
        let route = route.unwrap_or_else(|| "unmatched".into());
        let labels = RouteLabels {
            method: method.to_string(),
            route,
        };
        self.latency.get_or_create(&labels).observe(seconds);
        if status == 429 {
            self.throttled.get_or_create(&labels).inc();
        }
        let RouteLabels { method, route } = labels;
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// Counts an issued access token.
    pub fn token_issued(&self, grant_type: &'static str) {
        self.tokens.get_or_create(&GrantLabels { grant_type }).inc();
    }

    /// Counts a refused authentication.
    pub fn authentication_failed(&self, reason: &'static str) {
        self.auth_failures
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    /// The OpenMetrics text, with the pool gauges set from `pool` (connections open, idle) and its `max` size.
    pub fn encode(&self, pool: diesel::r2d2::State, max: u32) -> Result<String, std::fmt::Error> {
        let in_use = i64::from(pool.connections - pool.idle_connections);
        for (name, value) in [
            ("in_use", in_use),
            ("idle", i64::from(pool.idle_connections)),
            ("max", i64::from(max)),
        ] {
            self.pool
                .get_or_create(&PoolLabels { state: name })
                .set(value);
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}
