//! A per-client-address token bucket: `burst` requests at once, refilled at `per_minute`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// The most addresses tracked; beyond it, full (idle) buckets are dropped.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Limits requests per client address.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    /// `per_minute` 0 disables the limit.
    pub(crate) fn new(per_minute: u32, burst: u32) -> Self {
        RateLimiter {
            per_second: f64::from(per_minute) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `ip`; false when it has none left.
    pub(crate) fn allow(&self, ip: IpAddr) -> bool {
        self.allow_at(ip, Instant::now())
    }

    fn allow_at(&self, ip: IpAddr, now: Instant) -> bool {
        if self.per_second == 0.0 {
            return true;
        }
        // A poisoned lock fails closed.
        let Ok(mut buckets) = self.buckets.lock() else {
            return false;
        };
        if buckets.len() >= MAX_TRACKED {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * self.per_second).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_then_the_rate() {
        let limiter = RateLimiter::new(60, 3);
        let (a, b): (IpAddr, IpAddr) = ("198.51.100.1".parse().unwrap(), "198.51.100.2".parse().unwrap());
        let t0 = Instant::now();
        assert!((0..3).all(|_| limiter.allow_at(a, t0)));
        assert!(!limiter.allow_at(a, t0));
        // Another address has its own bucket.
        assert!(limiter.allow_at(b, t0));
        // One token per second at 60/minute.
        assert!(limiter.allow_at(a, t0 + Duration::from_millis(1000)));
        assert!(!limiter.allow_at(a, t0 + Duration::from_millis(1100)));
    }

    #[test]
    fn zero_disables_the_limit() {
        let limiter = RateLimiter::new(0, 1);
        let ip: IpAddr = "198.51.100.1".parse().unwrap();
        assert!((0..1000).all(|_| limiter.allow(ip)));
    }
}
