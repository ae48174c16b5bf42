//! The outbox dispatcher: drains one delivery target's pending events, at least once, with
//! retries on a schedule and dead letters for what the target refuses for good.
//!
//! One dispatcher runs per target, so a target that keeps failing never slows another.
//! Several processes may run dispatchers for the same target: the queue's claims are leases
//! (`FOR UPDATE SKIP LOCKED`), and a crashed worker's lease simply expires.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::sync::watch;
use tracing::instrument;

use crate::{
    PortError,
    ports::{Clock, DeliveryOutcome, DeliveryTarget, OutboxQueue, SettledItem, Settlement},
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatcherSettings {
    /// How long a claim is exclusive; longer than a delivery can take.
    pub lease: Duration,
    /// Pause when nothing is due.
    pub idle_poll: Duration,
    /// Delay before retry n (the last one repeats until `max_attempts`); full jitter applies.
    pub retry_schedule: Vec<Duration>,
    /// Failed attempts after which an item is dead.
    pub max_attempts: i32,
    /// When an item waits for something on our side, check again after this.
    pub waiting_recheck: Duration,
}

impl Default for DispatcherSettings {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            idle_poll: Duration::from_millis(250),
            retry_schedule: [1, 5, 30, 120, 600, 1800, 3600]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            max_attempts: 20,
            waiting_recheck: Duration::from_secs(60),
        }
    }
}

/// Told about every round that claimed something (metrics).
pub type RoundObserver = Arc<dyn Fn(&'static str, &RoundReport) + Send + Sync>;

/// What one round did, for metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub claimed: usize,
    pub delivered: usize,
    pub retried: usize,
    pub dead: usize,
    pub waiting: usize,
    /// From being stored to being delivered, for each delivered item.
    pub delivery_latencies: Vec<Duration>,
}

pub struct Dispatcher {
    queue: Arc<dyn OutboxQueue>,
    target: Arc<dyn DeliveryTarget>,
    clock: Arc<dyn Clock>,
    settings: DispatcherSettings,
}

impl Dispatcher {
    pub fn new(
        queue: Arc<dyn OutboxQueue>,
        target: Arc<dyn DeliveryTarget>,
        clock: Arc<dyn Clock>,
        settings: DispatcherSettings,
    ) -> Self {
        Self {
            queue,
            target,
            clock,
            settings,
        }
    }

    pub fn target(&self) -> &'static str {
        self.target.name()
    }

    /// Claims one batch, delivers it and records the outcome of every item.
    ///
    /// # Errors
    /// `PortError` when the queue cannot be reached; claimed items then go back when their
    /// lease ends.
    #[instrument(skip_all, fields(target = self.target.name()))]
    pub async fn run_once(&self) -> Result<RoundReport, PortError> {
        let items = self
            .queue
            .claim(
                self.target.name(),
                self.target.max_batch(),
                self.settings.lease,
            )
            .await?;
        if items.is_empty() {
            return Ok(RoundReport::default());
        }
        let outcomes = self.target.deliver(&items).await;
        let now = self.clock.now();
        let mut report = RoundReport {
            claimed: items.len(),
            ..RoundReport::default()
        };
        let settled: Vec<SettledItem> = items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let outcome = outcomes
                    .get(index)
                    .cloned()
                    .unwrap_or(DeliveryOutcome::Retry {
                        reason: "the target gave no outcome for this item".into(),
                        retry_after: None,
                    });
                let settlement = self.settle(&outcome, item.attempts, now);
                match settlement {
                    Settlement::Delivered => {
                        report.delivered += 1;
                        report
                            .delivery_latencies
                            .push((now - item.queued_at).to_std().unwrap_or_default());
                    }
                    Settlement::RetryAt { .. } => report.retried += 1,
                    Settlement::Dead { .. } => report.dead += 1,
                    Settlement::WaitUntil { .. } => report.waiting += 1,
                }
                SettledItem {
                    outbox_id: item.outbox_id,
                    lease_until: item.lease_until,
                    settlement,
                }
            })
            .collect();
        self.queue.settle(&settled).await?;
        Ok(report)
    }

    fn settle(&self, outcome: &DeliveryOutcome, attempts: i32, now: DateTime<Utc>) -> Settlement {
        match outcome {
            DeliveryOutcome::Delivered => Settlement::Delivered,
            DeliveryOutcome::Rejected { reason } => Settlement::Dead {
                reason: reason.clone(),
            },
            DeliveryOutcome::Waiting { reason } => Settlement::WaitUntil {
                at: now
                    + chrono::Duration::from_std(self.settings.waiting_recheck).unwrap_or_default(),
                reason: reason.clone(),
            },
            DeliveryOutcome::Retry {
                reason,
                retry_after,
            } => {
                if attempts + 1 >= self.settings.max_attempts {
                    return Settlement::Dead {
                        reason: format!("gave up after {} attempts: {reason}", attempts + 1),
                    };
                }
                let delay = backoff(&self.settings.retry_schedule, attempts)
                    .max(retry_after.unwrap_or_default());
                Settlement::RetryAt {
                    at: now + chrono::Duration::from_std(delay).unwrap_or_default(),
                    reason: reason.clone(),
                }
            }
        }
    }

    /// Runs rounds until `shutdown` turns true; a round in progress is finished first, so
    /// nothing claimed is left unsettled by a clean stop.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>, observe: RoundObserver) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let pause = match self.run_once().await {
                Ok(report) if report.claimed > 0 => {
                    observe(self.target.name(), &report);
                    None
                }
                Ok(_) => Some(self.settings.idle_poll),
                Err(error) => {
                    tracing::warn!(target = self.target.name(), %error, "outbox round failed");
                    Some(self.settings.idle_poll.max(Duration::from_secs(1)))
                }
            };
            if let Some(pause) = pause {
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
}

/// Exponential backoff with full jitter: a random delay between zero and the schedule's step
/// for this attempt, so many failed items do not all come back at the same instant.
fn backoff(schedule: &[Duration], attempts: i32) -> Duration {
    let step = usize::try_from(attempts).unwrap_or(0);
    let ceiling = schedule
        .get(step)
        .or(schedule.last())
        .copied()
        .unwrap_or(Duration::from_secs(1));
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::rng().random_range(0..=millis))
}

#[cfg(test)]
mod tests;
