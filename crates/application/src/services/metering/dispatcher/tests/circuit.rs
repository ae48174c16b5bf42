//! A target failing as a whole: one single-item probe per interval, its items held until the
//! next probe, and the first answer pulls the backlog forward.

use std::sync::{
    Mutex,
    atomic::{AtomicI64, Ordering},
};

use super::*;

/// Seconds after `now()` the clock shows; the test moves it.
static OFFSET: AtomicI64 = AtomicI64::new(0);

fn moving_clock() -> MockClock {
    let mut clock = MockClock::new();
    clock
        .expect_now()
        .returning(|| now() + chrono::Duration::seconds(OFFSET.load(Ordering::SeqCst)));
    clock
}

#[tokio::test]
async fn a_failing_target_gets_one_probe_per_interval_and_its_backlog_when_it_answers() {
    let limits = Arc::new(Mutex::new(Vec::new()));
    let settled_at = Arc::new(Mutex::new(Vec::new()));
    let mut queue = MockOutboxQueue::new();
    let seen = Arc::clone(&limits);
    queue.expect_claim().returning(move |_, limit, _| {
        seen.lock().unwrap().push(limit);
        Ok((1..=i64::try_from(limit.min(3)).unwrap())
            .map(|id| item(id, 1))
            .collect())
    });
    let record = Arc::clone(&settled_at);
    queue.expect_settle().returning(move |settled| {
        record
            .lock()
            .unwrap()
            .extend(settled.iter().map(|s| s.settlement.clone()));
        Ok(())
    });
    queue
        .expect_pull_forward()
        .withf(|target| target == "openmeter")
        .times(1)
        .returning(|_| Ok(1234));
    let calls = Arc::new(AtomicI64::new(0));
    let counted = Arc::clone(&calls);
    let mut target = MockDeliveryTarget::new();
    target.expect_name().return_const("openmeter");
    target.expect_max_batch().return_const(100_usize);
    target.expect_deliver().returning(move |items| {
        // Down for the first three calls, then up.
        let outcome = if counted.fetch_add(1, Ordering::SeqCst) < 3 {
            DeliveryOutcome::Retry {
                reason: "OpenMeter answered HTTP 503".into(),
                retry_after: None,
            }
        } else {
            DeliveryOutcome::Delivered
        };
        vec![outcome; items.len()]
    });
    let dispatcher = Dispatcher::new(
        Arc::new(queue),
        Arc::new(target),
        Arc::new(moving_clock()),
        DispatcherSettings::default(),
    );
    let at = |secs| now() + chrono::Duration::seconds(secs);

    // t=0: a full batch fails: the circuit opens and its items wait for the next probe.
    let report = dispatcher.run_once().await.unwrap();
    assert!(report.target_down);
    assert_eq!(report.retried, 3);
    // t=1: before the probe is due, nothing is claimed and nothing is called.
    OFFSET.store(1, Ordering::SeqCst);
    assert_eq!(dispatcher.run_once().await.unwrap(), RoundReport::default());
    assert_eq!(dispatcher.pause(), Duration::from_secs(1));
    // t=2 and t=4: single-item probes, both failing.
    for t in [2, 4] {
        OFFSET.store(t, Ordering::SeqCst);
        let report = dispatcher.run_once().await.unwrap();
        assert_eq!((report.claimed, report.target_down), (1, true));
    }
    // t=6: the probe is delivered: the circuit closes and the backlog is pulled forward.
    OFFSET.store(6, Ordering::SeqCst);
    let report = dispatcher.run_once().await.unwrap();
    assert_eq!(
        (report.delivered, report.target_down, report.pulled_forward),
        (1, false, 1234)
    );
    // And full batches again.
    assert_eq!(dispatcher.run_once().await.unwrap().delivered, 3);

    assert_eq!(*limits.lock().unwrap(), vec![100, 1, 1, 1, 100]);
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    let settled = settled_at.lock().unwrap();
    let retry_at: Vec<_> = settled
        .iter()
        .filter_map(|s| match s {
            Settlement::RetryAt { at, .. } => Some(*at),
            _ => None,
        })
        .collect();
    // Failed items are due at the next probe, never on a long per-row backoff.
    assert_eq!(retry_at, vec![at(2), at(2), at(2), at(4), at(6)]);
}
