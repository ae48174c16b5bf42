//! A delivery target's circuit: while the target fails, the dispatcher stops sending it whole
//! batches and sends one probe (a single item) per interval; the first answer closes it again.
//!
//! Per-row backoff alone cannot do this: during an outage every claimed row fails, each on its
//! own schedule, so a dead target still gets a call per batch, rows drift up to the schedule's
//! last step into the future, and when the target is back most of the backlog is not due.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::ports::DeliveryOutcome;

/// What one round may do, by the circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// The target answers: claim a full batch.
    Full,
    /// The target is failing and a probe is due: claim one item.
    Probe,
    /// The target is failing: nothing until the next probe, in this long.
    Wait(Duration),
}

/// What a round's outcomes say about the target itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It answered for at least one item (accepted or refused it): it is up.
    Answered,
    /// Every item sent came back to be retried: it is down, overloaded or unreachable.
    Failed {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Nothing was sent (every item waits for something on our side).
    Silent,
}

impl Verdict {
    pub fn of(outcomes: &[DeliveryOutcome]) -> Self {
        let mut failed = None;
        for outcome in outcomes {
            match outcome {
                DeliveryOutcome::Delivered | DeliveryOutcome::Rejected { .. } => {
                    return Self::Answered;
                }
                DeliveryOutcome::Retry {
                    reason,
                    retry_after,
                } => {
                    let (_, longest) = failed.get_or_insert((reason.clone(), None));
                    *longest = (*longest).max(*retry_after);
                }
                DeliveryOutcome::Waiting { .. } => {}
            }
        }
        match failed {
            Some((reason, retry_after)) => Self::Failed {
                reason,
                retry_after,
            },
            None => Self::Silent,
        }
    }
}

/// How the circuit moved in one round: each move is logged once, as one WARN line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    None,
    /// The target started failing.
    Opened,
    /// A probe failed too; the target is still down.
    StillOpen,
    /// The target answered after failing since `since`.
    Closed {
        since: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed,
    Open {
        since: DateTime<Utc>,
        next_probe: DateTime<Utc>,
    },
}

#[derive(Debug, Clone)]
pub struct Circuit {
    state: State,
    /// Between two probes; a longer `Retry-After` from the target wins, up to `max_wait`.
    probe_interval: Duration,
    max_wait: Duration,
}

impl Circuit {
    pub fn new(probe_interval: Duration, max_wait: Duration) -> Self {
        Self {
            state: State::Closed,
            probe_interval,
            max_wait,
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open { .. })
    }

    pub fn gate(&self, now: DateTime<Utc>) -> Gate {
        match self.state {
            State::Closed => Gate::Full,
            State::Open { next_probe, .. } if now >= next_probe => Gate::Probe,
            State::Open { next_probe, .. } => {
                Gate::Wait((next_probe - now).to_std().unwrap_or_default())
            }
        }
    }

    /// When the next probe goes (while open): failed items are due then, not on their own
    /// backoff, so the probe always finds something to send.
    pub fn next_probe(&self) -> Option<DateTime<Utc>> {
        match self.state {
            State::Closed => None,
            State::Open { next_probe, .. } => Some(next_probe),
        }
    }

    /// Moves the circuit by a round's verdict.
    pub fn record(&mut self, verdict: &Verdict, now: DateTime<Utc>) -> Change {
        match (verdict, self.state) {
            (Verdict::Silent, _) => Change::None,
            (Verdict::Answered, State::Closed) => Change::None,
            (Verdict::Answered, State::Open { since, .. }) => {
                self.state = State::Closed;
                Change::Closed { since }
            }
            (Verdict::Failed { retry_after, .. }, state) => {
                let wait = self
                    .probe_interval
                    .max(retry_after.unwrap_or_default())
                    .min(self.max_wait);
                let next_probe = now + chrono::Duration::from_std(wait).unwrap_or_default();
                let (since, change) = match state {
                    State::Closed => (now, Change::Opened),
                    State::Open { since, .. } => (since, Change::StillOpen),
                };
                self.state = State::Open { since, next_probe };
                change
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap() + chrono::Duration::seconds(secs)
    }

    fn failed(retry_after: Option<u64>) -> Verdict {
        Verdict::Failed {
            reason: "503".into(),
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn a_failing_target_gets_one_probe_per_interval_until_it_answers() {
        let mut circuit = Circuit::new(Duration::from_secs(2), Duration::from_secs(60));
        assert_eq!(circuit.gate(at(0)), Gate::Full);
        assert_eq!(circuit.record(&failed(None), at(0)), Change::Opened);
        assert_eq!(circuit.gate(at(1)), Gate::Wait(Duration::from_secs(1)));
        assert_eq!(circuit.gate(at(2)), Gate::Probe);
        assert_eq!(circuit.record(&failed(None), at(2)), Change::StillOpen);
        assert_eq!(circuit.gate(at(3)), Gate::Wait(Duration::from_secs(1)));
        assert_eq!(
            circuit.record(&Verdict::Answered, at(4)),
            Change::Closed { since: at(0) }
        );
        assert_eq!(circuit.gate(at(4)), Gate::Full);
        assert_eq!(circuit.record(&Verdict::Answered, at(5)), Change::None);
    }

    #[test]
    fn retry_after_stretches_the_probe_interval_up_to_the_cap() {
        let mut circuit = Circuit::new(Duration::from_secs(2), Duration::from_secs(60));
        circuit.record(&failed(Some(30)), at(0));
        assert_eq!(circuit.next_probe(), Some(at(30)));
        circuit.record(&failed(Some(3600)), at(30));
        assert_eq!(circuit.next_probe(), Some(at(90)));
    }

    #[test]
    fn only_a_round_where_everything_sent_failed_is_a_failure() {
        let retry = DeliveryOutcome::Retry {
            reason: "503".into(),
            retry_after: Some(Duration::from_secs(5)),
        };
        let waiting = DeliveryOutcome::Waiting {
            reason: "no subscription".into(),
        };
        let refused = DeliveryOutcome::Rejected {
            reason: "422".into(),
        };
        assert_eq!(
            Verdict::of(&[retry.clone(), waiting.clone()]),
            failed(Some(5))
        );
        assert_eq!(Verdict::of(&[retry.clone(), refused]), Verdict::Answered);
        assert_eq!(
            Verdict::of(&[retry, DeliveryOutcome::Delivered]),
            Verdict::Answered
        );
        assert_eq!(Verdict::of(&[waiting]), Verdict::Silent);
        let mut circuit = Circuit::new(Duration::from_secs(2), Duration::from_secs(60));
        assert_eq!(circuit.record(&Verdict::Silent, at(0)), Change::None);
        assert!(!circuit.is_open());
    }
}
