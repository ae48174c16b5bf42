//! The outbox dispatcher: drains one delivery target's pending events, at least once, with
//! retries on a schedule and dead letters for what the target refuses for good.
//!
//! One dispatcher runs per target, so a target that keeps failing never slows another.
//! Several processes may run dispatchers for the same target: the queue's claims are leases
//! (`FOR UPDATE SKIP LOCKED`), renewed while a delivery runs, so a crashed worker's lease ends
//! within seconds. A target that fails as a whole is held behind its [`circuit`]: one probe
//! per interval instead of a batch per round, and the backlog goes at once when it answers.

mod circuit;

use std::{
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::sync::watch;
use tracing::instrument;

use self::circuit::{Change, Circuit, Gate, Verdict};
use crate::{
    PortError,
    ports::{
        Clock, DeliveryOutcome, DeliveryTarget, OutboxItem, OutboxQueue, SettledItem, Settlement,
    },
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DispatcherSettings {
    /// How long a claim is exclusive without renewal: renewed every third of it while a
    /// delivery runs, so it only bounds how long a crashed worker's rows stay held.
    pub lease: Duration,
    /// Pause when nothing is due.
    pub idle_poll: Duration,
    /// Delay before retry n (the last one repeats), when some items of a round fail and the
    /// target answers for others; full jitter applies.
    pub retry_schedule: Vec<Duration>,
    /// No retry is put off longer than this, whatever the schedule or the target's
    /// `Retry-After` say.
    pub max_backoff: Duration,
    /// An item still failing transiently this long after it was stored is dead. Transient
    /// failures never count attempts towards a dead letter: only time does.
    pub give_up_after: Duration,
    /// While the target fails as a whole: one probe (a single item) this often.
    pub probe_interval: Duration,
    /// When an item waits for something on our side, check again after this.
    pub waiting_recheck: Duration,
}

impl Default for DispatcherSettings {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(10),
            idle_poll: Duration::from_millis(250),
            retry_schedule: [1, 5, 30, 120, 300]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            max_backoff: Duration::from_secs(300),
            give_up_after: Duration::from_secs(72 * 3600),
            probe_interval: Duration::from_secs(2),
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
    /// The target's circuit is open after this round: it fails and gets only probes.
    pub target_down: bool,
    /// Rows made due at once because the target answered again.
    pub pulled_forward: u64,
}

/// What the dispatcher remembers between rounds.
struct Memory {
    circuit: Circuit,
    /// The target answered again but the queue could not pull its backlog forward yet.
    pull_owed: bool,
    /// The queue itself failed last round: said once, not every second.
    queue_failing: bool,
}

pub struct Dispatcher {
    queue: Arc<dyn OutboxQueue>,
    target: Arc<dyn DeliveryTarget>,
    clock: Arc<dyn Clock>,
    settings: DispatcherSettings,
    memory: Mutex<Memory>,
}

impl Dispatcher {
    pub fn new(
        queue: Arc<dyn OutboxQueue>,
        target: Arc<dyn DeliveryTarget>,
        clock: Arc<dyn Clock>,
        settings: DispatcherSettings,
    ) -> Self {
        let circuit = Circuit::new(settings.probe_interval, settings.max_backoff);
        Self {
            queue,
            target,
            clock,
            settings,
            memory: Mutex::new(Memory {
                circuit,
                pull_owed: false,
                queue_failing: false,
            }),
        }
    }

    pub fn target(&self) -> &'static str {
        self.target.name()
    }

    fn memory(&self) -> MutexGuard<'_, Memory> {
        // The memory is plain data, valid after any panic that poisoned it.
        self.memory
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Claims one batch (one item while the target fails), delivers it and records the
    /// outcome of every item.
    ///
    /// # Errors
    /// `PortError` when the queue cannot be reached; claimed items then go back when their
    /// lease ends.
    #[instrument(skip_all, fields(delivery_target = self.target.name()))]
    pub async fn run_once(&self) -> Result<RoundReport, PortError> {
        let name = self.target.name();
        if self.memory().pull_owed {
            self.pull_forward(None).await?;
        }
        let limit = match self.memory().circuit.gate(self.clock.now()) {
            Gate::Full => self.target.max_batch(),
            Gate::Probe => 1,
            Gate::Wait(_) => return Ok(RoundReport::default()),
        };
        let items = self.queue.claim(name, limit, self.settings.lease).await?;
        if items.is_empty() {
            return Ok(RoundReport::default());
        }
        let (outcomes, renewed) = self.deliver_renewing(&items).await;
        let outcomes: Vec<DeliveryOutcome> = (0..items.len())
            .map(|index| {
                outcomes
                    .get(index)
                    .cloned()
                    .unwrap_or(DeliveryOutcome::Retry {
                        reason: "the target gave no outcome for this item".into(),
                        retry_after: None,
                    })
            })
            .collect();
        let now = self.clock.now();
        let verdict = Verdict::of(&outcomes);
        let (change, hold_until) = {
            let mut memory = self.memory();
            let change = memory.circuit.record(&verdict, now);
            (change, memory.circuit.next_probe())
        };
        let mut report = RoundReport {
            claimed: items.len(),
            ..RoundReport::default()
        };
        let settled: Vec<SettledItem> = items
            .iter()
            .zip(&outcomes)
            .map(|(item, outcome)| {
                let settlement = self.settle(outcome, item, now, hold_until);
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
                    lease_until: renewed.unwrap_or(item.lease_until),
                    settlement,
                }
            })
            .collect();
        self.queue.settle(&settled).await?;
        match (&change, &verdict) {
            (Change::Opened, Verdict::Failed { reason, .. }) => tracing::warn!(
                delivery_target = name,
                %reason,
                probe_every_ms = self.settings.probe_interval.as_millis(),
                "delivery target is failing: its events wait, one probe per interval"
            ),
            (Change::StillOpen, Verdict::Failed { reason, .. }) => {
                tracing::debug!(delivery_target = name, %reason, "probe failed");
            }
            (Change::Closed { since }, _) => {
                self.memory().pull_owed = true;
                report.pulled_forward = self.pull_forward(Some(now - *since)).await?;
            }
            _ => {}
        }
        report.target_down = self.memory().circuit.is_open();
        Ok(report)
    }

    /// Makes the target's backlog due now, once it answers again; `down_for` is how long it
    /// failed (`None` when this is a retry of an earlier pull the queue could not do).
    async fn pull_forward(&self, down_for: Option<chrono::Duration>) -> Result<u64, PortError> {
        let pulled = self.queue.pull_forward(self.target.name()).await?;
        self.memory().pull_owed = false;
        tracing::warn!(
            delivery_target = self.target.name(),
            down_for_ms = down_for.map(|d| d.num_milliseconds()),
            pulled_forward = pulled,
            "delivery target answers again: its backlog goes now"
        );
        Ok(pulled)
    }

    /// Delivers `items`, renewing their claim every third of the lease while the target
    /// works; answers the outcomes and the lease the claim was last renewed to.
    async fn deliver_renewing(
        &self,
        items: &[OutboxItem],
    ) -> (Vec<DeliveryOutcome>, Option<DateTime<Utc>>) {
        let ids: Vec<i64> = items.iter().map(|item| item.outbox_id).collect();
        let every = (self.settings.lease / 3).max(Duration::from_millis(10));
        let mut held = items.first().map(|item| item.lease_until);
        let mut renewed = None;
        let delivery = self.target.deliver(items);
        tokio::pin!(delivery);
        loop {
            tokio::select! {
                outcomes = &mut delivery => return (outcomes, renewed),
                () = tokio::time::sleep(every) => {
                    let Some(until) = held else { continue };
                    match self.queue.renew(&ids, until, self.settings.lease).await {
                        Ok(Some(next)) => {
                            held = Some(next);
                            renewed = Some(next);
                        }
                        // Taken over after a stall: the settlement will leave the rows alone.
                        Ok(None) => held = None,
                        // The lease may run out: at worst another worker sends them again.
                        Err(error) => tracing::debug!(%error, "cannot renew a claim"),
                    }
                }
            }
        }
    }

    fn settle(
        &self,
        outcome: &DeliveryOutcome,
        item: &OutboxItem,
        now: DateTime<Utc>,
        hold_until: Option<DateTime<Utc>>,
    ) -> Settlement {
        match outcome {
            DeliveryOutcome::Delivered => Settlement::Delivered,
            DeliveryOutcome::Rejected { reason } => Settlement::Dead {
                reason: reason.clone(),
            },
            DeliveryOutcome::Waiting { reason } => Settlement::WaitUntil {
                at: now + to_chrono(self.settings.waiting_recheck),
                reason: reason.clone(),
            },
            DeliveryOutcome::Retry {
                reason,
                retry_after,
            } => {
                if now - item.queued_at >= to_chrono(self.settings.give_up_after) {
                    return Settlement::Dead {
                        reason: format!(
                            "gave up: not delivered {} s after it was stored \
                             (delivery.give_up_after_secs): {reason}",
                            self.settings.give_up_after.as_secs()
                        ),
                    };
                }
                // While the target fails as a whole its items are due at the next probe (and
                // pulled forward when it answers), not on a schedule of their own.
                let at = hold_until.unwrap_or_else(|| {
                    let delay = backoff(&self.settings.retry_schedule, item.attempts)
                        .max(retry_after.unwrap_or_default())
                        .min(self.settings.max_backoff);
                    now + to_chrono(delay)
                });
                Settlement::RetryAt {
                    at,
                    reason: reason.clone(),
                }
            }
        }
    }

    /// How long to wait before the next round when this one found nothing to do.
    fn pause(&self) -> Duration {
        match self.memory().circuit.gate(self.clock.now()) {
            Gate::Wait(until_probe) => until_probe.max(Duration::from_millis(1)),
            Gate::Full | Gate::Probe => self.settings.idle_poll,
        }
    }

    /// Runs rounds until `shutdown` turns true; a round in progress is finished first, so
    /// nothing claimed is left unsettled by a clean stop.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>, observe: RoundObserver) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let result = self.run_once().await;
            let queue_was_failing =
                std::mem::replace(&mut self.memory().queue_failing, result.is_err());
            let pause = match result {
                Ok(report) => {
                    if queue_was_failing {
                        tracing::warn!(
                            delivery_target = self.target.name(),
                            "outbox reachable again"
                        );
                    }
                    if report.claimed > 0 {
                        observe(self.target.name(), &report);
                    }
                    // A probe that failed leaves the circuit open: wait for the next one.
                    (report.claimed == 0 || report.target_down).then(|| self.pause())
                }
                Err(error) => {
                    if queue_was_failing {
                        tracing::debug!(delivery_target = self.target.name(), %error, "outbox round failed");
                    } else {
                        tracing::warn!(delivery_target = self.target.name(), %error, "outbox round failed");
                    }
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

fn to_chrono(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
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
