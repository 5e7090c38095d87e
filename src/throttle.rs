//! Login throttling (docs/contract.md, "Throttling"): failures are counted per (tenant, username, source address) and per
//! (tenant, username). Five failures from one address within 15 minutes block that address for that username with
//! a delay that doubles with each further failure (answered 429 with `Retry-After`); failures from everywhere only
//! slow the answers down, so nobody can lock a user out from everywhere. A success clears its address's count.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use moka::sync::Cache;

/// Failures from one address before it is blocked.
const FREE_FAILURES: u32 = 5;
/// The window failures are counted in.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// The longest block.
const MAX_BLOCK: Duration = Duration::from_secs(15 * 60);
/// Failures from everywhere before answers for that user slow down, and the step and cap of the slowdown.
const SOFT_FAILURES: u32 = 10;
const SOFT_STEP: Duration = Duration::from_millis(200);
const SOFT_MAX: Duration = Duration::from_secs(2);

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    first: Instant,
    last: Instant,
}

/// Who is signing in: the tenant, the case-folded username and, for the per-address count, the source address.
pub type UserKey = (String, String);

/// Per-node failure counts, bounded in size and time.
pub struct LoginThrottle {
    by_address: Cache<(UserKey, Option<IpAddr>), Failures>,
    by_user: Cache<UserKey, Failures>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            by_address: bounded_cache(),
            by_user: bounded_cache(),
        }
    }
}

impl LoginThrottle {
    /// How long this address must wait before trying this user again, if it is blocked.
    pub fn blocked_for(&self, user: &UserKey, address: Option<IpAddr>) -> Option<Duration> {
        let failures = self.by_address.get(&(user.clone(), address))?;
        if failures.count < FREE_FAILURES {
            return None;
        }
        let doublings = (failures.count - FREE_FAILURES).min(10);
        let block = (Duration::from_secs(1) * 2u32.pow(doublings)).min(MAX_BLOCK);
        block.checked_sub(failures.last.elapsed())
    }

    /// The delay to add before answering for this user, growing with failures from everywhere.
    pub fn soft_delay(&self, user: &UserKey) -> Duration {
        let count = self.by_user.get(user).map_or(0, |f| f.count);
        SOFT_STEP
            .saturating_mul(count.saturating_sub(SOFT_FAILURES))
            .min(SOFT_MAX)
    }

    pub fn record_failure(&self, user: &UserKey, address: Option<IpAddr>) {
        bump(&self.by_address, (user.clone(), address));
        bump(&self.by_user, user.clone());
    }

    pub fn record_success(&self, user: &UserKey, address: Option<IpAddr>) {
        self.by_address.invalidate(&(user.clone(), address));
    }
}

/// Failed client authentications: after 20 failures within a minute for one (client_id, source
/// address), that pair is answered 429 with `Retry-After` until the minute is over. Successes are never slowed.
pub struct ClientAuthThrottle {
    failures: Cache<(String, Option<IpAddr>), Failures>,
}

/// Failures a (client_id, address) may have in a window, and the window.
const CLIENT_FAILURES: u32 = 20;
const CLIENT_WINDOW: Duration = Duration::from_secs(60);

impl Default for ClientAuthThrottle {
    fn default() -> Self {
        ClientAuthThrottle {
            failures: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(CLIENT_WINDOW)
                .build(),
        }
    }
}

impl ClientAuthThrottle {
    /// How long this pair must wait, if it has failed too often.
    pub fn blocked_for(&self, client_id: &str, address: Option<IpAddr>) -> Option<Duration> {
        let failures = self.failures.get(&(client_id.to_string(), address))?;
        if failures.count < CLIENT_FAILURES {
            return None;
        }
        CLIENT_WINDOW.checked_sub(failures.first.elapsed())
    }

    pub fn record_failure(&self, client_id: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        self.failures
            .entry((client_id.to_string(), address))
            .and_upsert_with(|old| match old.map(|e| e.into_value()) {
                Some(f) if f.first.elapsed() < CLIENT_WINDOW => Failures {
                    count: f.count + 1,
                    last: now,
                    ..f
                },
                _ => Failures {
                    count: 1,
                    first: now,
                    last: now,
                },
            });
    }
}

fn bounded_cache<K: std::hash::Hash + Eq + Send + Sync + 'static>() -> Cache<K, Failures> {
    Cache::builder()
        .max_capacity(100_000)
        .time_to_live(WINDOW)
        .build()
}

fn bump<K: std::hash::Hash + Eq + Send + Sync + 'static>(cache: &Cache<K, Failures>, key: K) {
    let now = Instant::now();
    let fresh = Failures {
        count: 1,
        first: now,
        last: now,
    };
    cache
        .entry(key)
        .and_upsert_with(|old| match old.map(|e| e.into_value()) {
            Some(f) if f.first.elapsed() < WINDOW => Failures {
                count: f.count + 1,
                last: now,
                ..f
            },
            _ => fresh,
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserKey {
        ("ten_x".into(), "alice".into())
    }

    #[test]
    fn five_failures_block_the_address_but_not_other_addresses() {
        let throttle = LoginThrottle::default();
        let (here, there) = (
            Some("10.0.0.1".parse().unwrap()),
            Some("10.0.0.2".parse().unwrap()),
        );
        for _ in 0..4 {
            throttle.record_failure(&user(), here);
        }
        assert_eq!(throttle.blocked_for(&user(), here), None);
        throttle.record_failure(&user(), here);
        assert!(throttle.blocked_for(&user(), here).is_some());
        assert_eq!(throttle.blocked_for(&user(), there), None);
        throttle.record_success(&user(), here);
        assert_eq!(throttle.blocked_for(&user(), here), None);
    }

    #[test]
    fn twenty_client_failures_a_minute_block_that_pair() {
        let throttle = ClientAuthThrottle::default();
        let here = Some("10.0.0.1".parse().unwrap());
        for _ in 0..19 {
            throttle.record_failure("sc_x", here);
        }
        assert_eq!(throttle.blocked_for("sc_x", here), None);
        throttle.record_failure("sc_x", here);
        assert!(throttle.blocked_for("sc_x", here).is_some());
        assert_eq!(throttle.blocked_for("sc_y", here), None);
        assert_eq!(throttle.blocked_for("sc_x", None), None);
    }

    #[test]
    fn failures_from_everywhere_only_slow_down() {
        let throttle = LoginThrottle::default();
        for i in 0..12u8 {
            throttle.record_failure(&user(), Some(IpAddr::from([10, 0, 0, i])));
        }
        assert_eq!(throttle.soft_delay(&user()), SOFT_STEP * 2);
    }
}
