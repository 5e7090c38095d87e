//! Request rate limits at the token, introspection, revocation, verify and sign-in endpoints: a token bucket (GCRA)
//! per client, per tenant (all its clients together) and per source address, each refilled at its configured rate
//! per second with a burst of twice that. Every client and tenant has buckets of its own, so one noisy tenant
//! uses up only its own allowance and the others on the node are served as before. `0` turns a limit off.
//! Limits are per node: with N nodes behind a balancer the cluster allows up to N times as much.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::config::Config;
use crate::domain::service_client::ServiceClient;

/// The node's rate limiters.
pub struct RateLimits {
    clients: Option<DefaultKeyedRateLimiter<String>>,
    tenants: Option<DefaultKeyedRateLimiter<String>>,
    addresses: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Registrations without an initial access token, per source address and hour.
    open_registrations: Option<DefaultKeyedRateLimiter<IpAddr>>,
    clock: DefaultClock,
}

/// A request over a limit, and how many seconds until the bucket has room again (for `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverLimit {
    pub retry_after: u64,
}

fn limiter<K: std::hash::Hash + Eq + Clone>(per_second: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    let rate = NonZeroU32::new(per_second)?;
    let burst = rate.saturating_mul(NonZeroU32::MIN.saturating_add(1));
    Some(DefaultKeyedRateLimiter::keyed(
        Quota::per_second(rate).allow_burst(burst),
    ))
}

impl RateLimits {
    pub fn new(config: &Config) -> RateLimits {
        RateLimits {
            clients: limiter(config.rate_limit_per_client),
            tenants: limiter(config.rate_limit_per_tenant),
            addresses: limiter(config.rate_limit_per_address),
            open_registrations: NonZeroU32::new(config.open_registration_per_address_per_hour)
                .map(|n| DefaultKeyedRateLimiter::keyed(Quota::per_hour(n).allow_burst(n))),
            clock: DefaultClock::default(),
        }
    }

    /// Counts a request from `address`; checked before any credential is looked at.
    pub fn check_address(&self, address: Option<IpAddr>) -> Result<(), OverLimit> {
        match (&self.addresses, address) {
            (Some(limiter), Some(address)) => self.outcome(limiter.check_key(&address)),
            _ => Ok(()),
        }
    }

    /// Counts a registration without an initial access token from `address` (an unknown address shares one bucket).
    pub fn check_open_registration(&self, address: Option<IpAddr>) -> Result<(), OverLimit> {
        let unknown = IpAddr::from([0, 0, 0, 0]);
        match &self.open_registrations {
            Some(limiter) => self.outcome(limiter.check_key(&address.unwrap_or(unknown))),
            None => Ok(()),
        }
    }

    /// Counts a request by an authenticated client against its own and its tenant's buckets.
    pub fn check_client(&self, client: &ServiceClient) -> Result<(), OverLimit> {
        if let Some(limiter) = &self.clients {
            self.outcome(limiter.check_key(&client.id))?;
        }
        match (&self.tenants, &client.tenant_id) {
            (Some(limiter), Some(tenant)) => self.outcome(limiter.check_key(tenant)),
            _ => Ok(()),
        }
    }

    fn outcome(
        &self,
        result: Result<(), governor::NotUntil<<DefaultClock as Clock>::Instant>>,
    ) -> Result<(), OverLimit> {
        result.map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            OverLimit {
                retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
            }
        })
    }

    /// Forgets buckets that have refilled completely, so that memory follows the active keys, not every key seen.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.clients {
            limiter.retain_recent();
        }
        if let Some(limiter) = &self.tenants {
            limiter.retain_recent();
        }
        if let Some(limiter) = &self.addresses {
            limiter.retain_recent();
        }
        if let Some(limiter) = &self.open_registrations {
            limiter.retain_recent();
        }
    }
}
