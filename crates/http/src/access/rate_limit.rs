//! Failed authentications are limited per client address, so credentials cannot be guessed at
//! speed. A fixed window per address, in memory: each replica limits on its own.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

pub struct FailedAuthLimiter {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl FailedAuthLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `client` used up its failures in the current window.
    pub fn is_blocked(&self, client: IpAddr) -> bool {
        let Ok(failures) = self.failures.lock() else {
            return false;
        };
        failures.get(&client).is_some_and(|(started, count)| {
            started.elapsed() < self.window && *count >= self.max_failures
        })
    }

    pub fn record_failure(&self, client: IpAddr) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        // Bounded memory: expired windows are dropped whenever the map grows large.
        if failures.len() > 100_000 {
            let window = self.window;
            failures.retain(|_, (started, _)| started.elapsed() < window);
        }
        let entry = failures.entry(client).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= self.window {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_blocked_after_its_failures_and_others_are_not() {
        let limiter = FailedAuthLimiter::new(3, Duration::from_secs(60));
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert!(!limiter.is_blocked(a));
            limiter.record_failure(a);
        }
        assert!(limiter.is_blocked(a));
        assert!(!limiter.is_blocked(b));
    }

    #[test]
    fn the_window_expires() {
        let limiter = FailedAuthLimiter::new(1, Duration::from_millis(20));
        let client: IpAddr = "::1".parse().unwrap();
        limiter.record_failure(client);
        assert!(limiter.is_blocked(client));
        std::thread::sleep(Duration::from_millis(30));
        assert!(!limiter.is_blocked(client));
    }
}
