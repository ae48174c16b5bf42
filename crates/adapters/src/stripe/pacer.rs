//! Keeps this adapter under Stripe's rate limit: requests leave at most `rate` a second,
//! spaced evenly, retries included. A 429 costs a retry and a pause; pacing costs only the
//! pause.

use std::time::Duration;

use tokio::{sync::Mutex, time::Instant};

pub(super) struct Pacer {
    interval: Option<Duration>,
    /// The earliest moment the next request may leave.
    next: Mutex<Instant>,
}

impl Pacer {
    /// `rate` requests a second at most; 0 for no pacing.
    pub fn new(rate: u32) -> Self {
        Self {
            interval: (rate > 0).then(|| Duration::from_secs(1) / rate),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Waits for this request's turn.
    pub async fn wait(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let at = {
            let mut next = self.next.lock().await;
            let at = (*next).max(Instant::now());
            *next = at + interval;
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_leave_spaced_at_the_rate() {
        let pacer = Pacer::new(50);
        let start = Instant::now();
        for _ in 0..5 {
            pacer.wait().await;
        }
        // The first leaves at once, the fifth 4 × 20 ms later.
        assert!(
            start.elapsed() >= Duration::from_millis(80),
            "{:?}",
            start.elapsed()
        );
        let unpaced = Pacer::new(0);
        let start = Instant::now();
        for _ in 0..50 {
            unpaced.wait().await;
        }
        assert!(
            start.elapsed() < Duration::from_millis(20),
            "{:?}",
            start.elapsed()
        );
    }
}
