//! Sending a delivery as batch requests, and finding the refused events when a target refuses
//! a whole batch for what may be one bad event in it. Shared by the OpenMeter and Lago targets.
//!
//! A refused group of several events is split in halves and each half sent again, down to
//! single events: the good ones get through, and each bad one is rejected with the target's
//! own answer about it. One bad event among n costs about 2·log2(n) extra requests, where
//! re-sending one by one would cost n. Re-sending is safe because both targets deduplicate
//! on the event's id. A call makes at most `max_requests` requests, and stops at the first
//! transient failure (the target is down or throttling: more requests would not help); events
//! left unsettled either way are retried later.

use std::future::Future;

use tollgate_application::ports::DeliveryOutcome;

/// How the target answered one request for a group of events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Every event in the group was accepted.
    Accepted,
    /// The group was refused as a whole for a reason that may concern only some of its events
    /// (OpenMeter's 400, Lago's 422 without per-event detail).
    Refused(String),
    /// Lago's per-event verdicts, in group order: `None` for an event the target did not
    /// store (its batch is all or nothing) but found nothing wrong with, to be sent again.
    PerEvent(Vec<Option<DeliveryOutcome>>),
    /// The request failed for every event alike (5xx, 429, timeout, credentials).
    Failed(DeliveryOutcome),
}

/// Sends one request for the events at `group` (indices into the delivery).
pub(crate) trait GroupSender: Sync {
    fn send(&self, group: &[usize]) -> impl Future<Output = Answer> + Send;
}

/// Delivers `groups` (indices into a delivery of `len` events), splitting refused groups to
/// find the bad events. Answers one outcome per event; events in no group get a `Retry`.
pub(crate) async fn deliver_in_groups(
    sender: &impl GroupSender,
    len: usize,
    groups: Vec<Vec<usize>>,
    max_requests: usize,
) -> Vec<Option<DeliveryOutcome>> {
    let mut outcomes: Vec<Option<DeliveryOutcome>> = vec![None; len];
    // A stack: the first half of a split group is sent before the second.
    let mut pending: Vec<Vec<usize>> = groups.into_iter().rev().collect();
    let mut requests = 0;
    while let Some(group) = pending.pop() {
        if group.is_empty() {
            continue;
        }
        if requests == max_requests {
            let left = DeliveryOutcome::Retry {
                reason: "not sent: finding the refused events in its batch took every request \
                         one delivery may make"
                    .into(),
                retry_after: None,
            };
            settle(&mut outcomes, &group, &left);
            continue;
        }
        requests += 1;
        match sender.send(&group).await {
            Answer::Accepted => settle(&mut outcomes, &group, &DeliveryOutcome::Delivered),
            Answer::Refused(reason) if group.len() == 1 => {
                settle(&mut outcomes, &group, &DeliveryOutcome::Rejected { reason });
            }
            Answer::Refused(_) => {
                let (first, second) = group.split_at(group.len() / 2);
                pending.push(second.to_vec());
                pending.push(first.to_vec());
            }
            Answer::PerEvent(verdicts) => {
                let mut verdicts = verdicts.into_iter();
                let mut again = Vec::new();
                for index in group {
                    // A short verdict list leaves the rest to be sent again.
                    match verdicts.next().flatten() {
                        Some(outcome) => outcomes[index] = Some(outcome),
                        None => again.push(index),
                    }
                }
                pending.push(again);
            }
            Answer::Failed(outcome) => {
                settle(&mut outcomes, &group, &outcome);
                for group in pending.drain(..) {
                    settle(&mut outcomes, &group, &outcome);
                }
            }
        }
    }
    outcomes
}

fn settle(outcomes: &mut [Option<DeliveryOutcome>], group: &[usize], outcome: &DeliveryOutcome) {
    for index in group {
        outcomes[*index] = Some(outcome.clone());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Refuses any group holding one of `bad`; counts requests.
    struct Picky {
        bad: Vec<usize>,
        sent: Mutex<Vec<Vec<usize>>>,
    }

    impl GroupSender for Picky {
        async fn send(&self, group: &[usize]) -> Answer {
            if let Ok(mut sent) = self.sent.lock() {
                sent.push(group.to_vec());
            }
            if group.iter().any(|i| self.bad.contains(i)) {
                Answer::Refused(format!("bad in {group:?}"))
            } else {
                Answer::Accepted
            }
        }
    }

    fn picky(bad: &[usize]) -> Picky {
        Picky {
            bad: bad.to_vec(),
            sent: Mutex::new(Vec::new()),
        }
    }

    #[tokio::test]
    async fn one_bad_event_among_many_is_found_with_few_requests() {
        let sender = picky(&[313]);
        let outcomes = deliver_in_groups(&sender, 500, vec![(0..500).collect()], 64).await;
        for (index, outcome) in outcomes.iter().enumerate() {
            match outcome {
                Some(DeliveryOutcome::Rejected { reason }) if index == 313 => {
                    assert_eq!(reason, "bad in [313]");
                }
                Some(DeliveryOutcome::Delivered) if index != 313 => {}
                other => panic!("event {index}: {other:?}"),
            }
        }
        let requests = sender.sent.lock().map(|s| s.len()).unwrap_or_default();
        assert!(requests <= 1 + 2 * 9, "{requests} requests");
    }

    #[tokio::test]
    async fn the_request_budget_leaves_the_rest_for_later() {
        let sender = picky(&(0..8).collect::<Vec<_>>());
        let outcomes = deliver_in_groups(&sender, 8, vec![(0..8).collect()], 3).await;
        let retried = outcomes
            .iter()
            .filter(|o| matches!(o, Some(DeliveryOutcome::Retry { .. })))
            .count();
        assert_eq!(retried, 8);
        assert!(outcomes.iter().all(Option::is_some));
    }

    struct Verdicts;

    impl GroupSender for Verdicts {
        async fn send(&self, group: &[usize]) -> Answer {
            if group.len() == 3 {
                Answer::PerEvent(vec![
                    None,
                    Some(DeliveryOutcome::Delivered),
                    Some(DeliveryOutcome::Rejected { reason: "r".into() }),
                ])
            } else {
                assert_eq!(group, [0]);
                Answer::Failed(DeliveryOutcome::Retry {
                    reason: "down".into(),
                    retry_after: None,
                })
            }
        }
    }

    #[tokio::test]
    async fn per_event_verdicts_settle_some_and_send_the_rest_again() {
        let outcomes = deliver_in_groups(&Verdicts, 4, vec![vec![0, 1, 2], vec![3]], 10).await;
        let down = DeliveryOutcome::Retry {
            reason: "down".into(),
            retry_after: None,
        };
        assert_eq!(
            outcomes,
            [
                Some(down.clone()),
                Some(DeliveryOutcome::Delivered),
                Some(DeliveryOutcome::Rejected { reason: "r".into() }),
                // Never sent: the failure stopped the delivery.
                Some(down),
            ]
        );
    }
}
