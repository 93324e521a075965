//! Rate limits (GCRA token buckets from `governor`, on the relay's injected clock): API requests
//! per client address and per workspace, and tighter ones for creating workspaces and joining. A
//! request over a limit is answered `429 rate_limited` with `Retry-After` before it touches the
//! store, so it changes nothing.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use axum::http::StatusCode;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use crate::api::ApiError;
use crate::clock::{DynClock, GovernorClock};
use crate::config::Config;

type Keyed<K> = RateLimiter<K, DashMapStateStore<K>, GovernorClock, NoOpMiddleware<Duration>>;

/// A client address as limits count it: an IPv6 client is its /64 (one subscriber's network, which
/// can hold any number of addresses); an IPv4-mapped address is the IPv4 address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl From<IpAddr> for ClientKey {
    fn from(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                ClientKey(IpAddr::V6(bits.into()))
            }
            v4 => ClientKey(v4),
        }
    }
}

/// What a limit guards, for the message a refused client reads.
#[derive(Clone, Copy, Debug)]
enum What {
    Requests,
    WorkspaceRequests,
    Creates,
    Joins,
    WorkspaceJoins,
}

impl What {
    fn message(self) -> &'static str {
        match self {
            What::Requests => "too many requests from this address",
            What::WorkspaceRequests => "too many requests for this workspace",
            What::Creates => "too many workspaces created from this address",
            What::Joins => "too many join attempts from this address",
            What::WorkspaceJoins => "too many join attempts for this workspace",
        }
    }
}

struct Limit<K: Hash + Eq + Clone> {
    what: What,
    limiter: Keyed<K>,
}

pub struct RateLimits {
    clock: GovernorClock,
    per_ip: Option<Limit<ClientKey>>,
    per_workspace: Option<Limit<String>>,
    creates_per_ip: Option<Limit<ClientKey>>,
    joins_per_ip: Option<Limit<ClientKey>>,
    joins_per_workspace: Option<Limit<String>>,
}

fn limit<K: Hash + Eq + Clone>(
    what: What,
    quota: Option<Quota>,
    clock: &GovernorClock,
) -> Option<Limit<K>> {
    quota.map(|q| Limit {
        what,
        limiter: RateLimiter::dashmap_with_clock(q, clock.clone()),
    })
}

/// `per_sec` a second with bursts of ten seconds' worth; none when 0.
fn per_second(per_sec: u32) -> Option<Quota> {
    let n = NonZeroU32::new(per_sec)?;
    let burst = NonZeroU32::new(per_sec.saturating_mul(10)).unwrap_or(n);
    Some(Quota::per_second(n).allow_burst(burst))
}

/// `n` at once, refilled at `n` per `period`; none when 0.
fn per_period(n: u32, period: Duration) -> Option<Quota> {
    let n = NonZeroU32::new(n)?;
    Quota::with_period(period / n.get()).map(|q| q.allow_burst(n))
}

impl RateLimits {
    pub fn new(config: &Config, clock: DynClock) -> Self {
        let clock = GovernorClock(clock);
        let minute = Duration::from_secs(60);
        RateLimits {
            per_ip: limit(What::Requests, per_second(config.rate_per_ip), &clock),
            per_workspace: limit(
                What::WorkspaceRequests,
                per_second(config.rate_per_workspace),
                &clock,
            ),
            creates_per_ip: limit(
                What::Creates,
                per_period(config.creates_per_ip_per_hour, 60 * minute),
                &clock,
            ),
            joins_per_ip: limit(
                What::Joins,
                per_period(config.joins_per_minute, minute),
                &clock,
            ),
            joins_per_workspace: limit(
                What::WorkspaceJoins,
                per_period(config.joins_per_minute, minute),
                &clock,
            ),
            clock,
        }
    }

    fn check<K: Hash + Eq + Clone>(
        &self,
        limit: &Option<Limit<K>>,
        key: K,
    ) -> Result<(), ApiError> {
        let Some(l) = limit else { return Ok(()) };
        l.limiter.check_key(&key).map_err(|not_until| {
            use governor::clock::Clock as _;
            let wait = not_until.wait_time_from(self.clock.now());
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                l.what.message(),
            )
            .retry_after(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        })
    }

    /// Any API request from this client.
    pub fn request_from(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.check(&self.per_ip, ClientKey::from(ip))
    }

    /// An authenticated request of a device of this workspace.
    pub fn request_for(&self, workspace_id: &str) -> Result<(), ApiError> {
        self.check(&self.per_workspace, workspace_id.to_owned())
    }

    /// Creating a workspace (counted whether or not the creation token is right).
    pub fn create_from(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.check(&self.creates_per_ip, ClientKey::from(ip))
    }

    /// A join attempt from this client.
    pub fn join_from(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.check(&self.joins_per_ip, ClientKey::from(ip))
    }

    /// A join attempt naming this workspace (from anywhere).
    pub fn join_into(&self, workspace_id: &str) -> Result<(), ApiError> {
        self.check(&self.joins_per_workspace, workspace_id.to_owned())
    }

    /// Forgets clients and workspaces whose buckets are full again, so the maps stay as small as
    /// the set of recently active keys.
    pub fn forget_idle(&self) {
        fn shrink<K: Hash + Eq + Clone>(l: &Option<Limit<K>>) {
            if let Some(l) = l {
                l.limiter.retain_recent();
                l.limiter.shrink_to_fit();
            }
        }
        shrink(&self.per_ip);
        shrink(&self.per_workspace);
        shrink(&self.creates_per_ip);
        shrink(&self.joins_per_ip);
        shrink(&self.joins_per_workspace);
    }

    /// Keys currently tracked (tests, logs).
    pub fn tracked(&self) -> usize {
        fn len<K: Hash + Eq + Clone>(l: &Option<Limit<K>>) -> usize {
            l.as_ref().map_or(0, |l| l.limiter.len())
        }
        len(&self.per_ip)
            + len(&self.per_workspace)
            + len(&self.creates_per_ip)
            + len(&self.joins_per_ip)
            + len(&self.joins_per_workspace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn limits(f: impl FnOnce(&mut Config)) -> (RateLimits, std::sync::Arc<ManualClock>) {
        let mut c = Config::with_data_dir("/nonexistent");
        f(&mut c);
        let clock = ManualClock::new();
        (RateLimits::new(&c, clock.clone()), clock)
    }

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn a_burst_is_allowed_then_refused_with_the_wait_then_refilled() {
        let (l, clock) = limits(|c| c.joins_per_minute = 3);
        for _ in 0..3 {
            l.join_from(A).unwrap();
        }
        let refused = l.join_from(A).unwrap_err();
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.code, "rate_limited");
        // 3 a minute: one comes back every 20 s.
        assert_eq!(refused.retry_after, Some(20));
        // Another client has its own bucket.
        l.join_from(B).unwrap();
        clock.advance(Duration::from_secs(19));
        assert!(l.join_from(A).is_err());
        clock.advance(Duration::from_secs(1));
        l.join_from(A).unwrap();
        assert!(l.join_from(A).is_err());
    }

    #[test]
    fn requests_allow_ten_seconds_of_burst() {
        let (l, clock) = limits(|c| c.rate_per_workspace = 2);
        for _ in 0..20 {
            l.request_for("w1").unwrap();
        }
        assert!(l.request_for("w1").is_err());
        l.request_for("w2").unwrap();
        clock.advance(Duration::from_millis(500));
        l.request_for("w1").unwrap();
    }

    #[test]
    fn zero_means_unlimited() {
        let (l, _) = limits(|c| {
            c.rate_per_ip = 0;
            c.creates_per_ip_per_hour = 0;
        });
        for _ in 0..10_000 {
            l.request_from(A).unwrap();
            l.create_from(A).unwrap();
        }
    }

    #[test]
    fn an_ipv6_client_is_its_64_and_mapped_ipv4_is_ipv4() {
        let (l, _) = limits(|c| c.creates_per_ip_per_hour = 1);
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        l.create_from(one).unwrap();
        assert!(l.create_from(same_64).is_err());
        l.create_from(other_64).unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        l.create_from(A).unwrap();
        assert!(l.create_from(mapped).is_err());
    }

    #[test]
    fn idle_keys_are_forgotten_once_their_bucket_is_full_again() {
        let (l, clock) = limits(|c| c.joins_per_minute = 2);
        l.join_from(A).unwrap();
        l.join_into("w").unwrap();
        assert_eq!(l.tracked(), 2);
        l.forget_idle();
        assert_eq!(l.tracked(), 2, "still refilling: kept");
        clock.advance(Duration::from_secs(60));
        l.forget_idle();
        assert_eq!(l.tracked(), 0);
    }
}
