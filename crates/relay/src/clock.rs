//! Time, injected: handlers never read the system clock directly, so tests can move time forward
//! (join secrets expiring, rate limits refilling) without waiting for it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The relay's time source.
pub trait Clock: Send + Sync + 'static {
    /// Seconds since the Unix epoch: join secret expiry, device timestamps.
    fn unix_secs(&self) -> i64;
    /// Time since an arbitrary fixed start, never going back: rate limits.
    fn monotonic(&self) -> Duration;
}

pub type DynClock = Arc<dyn Clock>;

/// The real clock.
pub struct SystemClock {
    start: Instant,
}

impl SystemClock {
    pub fn shared() -> DynClock {
        Arc::new(SystemClock {
            start: Instant::now(),
        })
    }
}

impl Clock for SystemClock {
    fn unix_secs(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }

    fn monotonic(&self) -> Duration {
        self.start.elapsed()
    }
}

/// A clock that moves only when told to (tests). Starts at the real time of day.
pub struct ManualClock {
    unix_start: i64,
    elapsed_nanos: AtomicU64,
}

impl ManualClock {
    pub fn new() -> Arc<Self> {
        Arc::new(ManualClock {
            unix_start: SystemClock::shared().unix_secs(),
            elapsed_nanos: AtomicU64::new(0),
        })
    }

    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.elapsed_nanos.fetch_add(nanos, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn unix_secs(&self) -> i64 {
        self.unix_start + self.monotonic().as_secs() as i64
    }

    fn monotonic(&self) -> Duration {
        Duration::from_nanos(self.elapsed_nanos.load(Ordering::SeqCst))
    }
}

/// The relay clock as `governor` wants it.
#[derive(Clone)]
pub struct GovernorClock(pub DynClock);

impl governor::clock::Clock for GovernorClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.0.monotonic()
    }
}
