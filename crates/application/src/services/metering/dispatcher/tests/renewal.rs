//! A delivery longer than the lease keeps its claim: renewed every third of the lease, and
//! settled under the lease it was last renewed to.

use std::sync::Mutex;

use async_trait::async_trait;

use super::*;

/// Delivers everything, after `delay`.
struct Slow {
    delay: Duration,
}

#[async_trait]
impl DeliveryTarget for Slow {
    fn name(&self) -> &'static str {
        "openmeter"
    }

    fn max_batch(&self) -> usize {
        10
    }

    async fn deliver(&self, items: &[OutboxItem]) -> Vec<DeliveryOutcome> {
        tokio::time::sleep(self.delay).await;
        vec![DeliveryOutcome::Delivered; items.len()]
    }
}

#[tokio::test]
async fn a_long_delivery_renews_its_claim_and_settles_under_the_last_lease() {
    let claimed_until = now() - chrono::Duration::minutes(1);
    let renewals = Arc::new(Mutex::new(Vec::new()));
    let mut queue = MockOutboxQueue::new();
    queue
        .expect_claim()
        .returning(|_, _, _| Ok(vec![item(1, 0), item(2, 0)]));
    let seen = Arc::clone(&renewals);
    queue.expect_renew().returning(move |ids, held, lease| {
        let mut seen = seen.lock().unwrap();
        assert_eq!(ids, [1, 2]);
        assert_eq!(lease, Duration::from_millis(90));
        seen.push(held);
        Ok(Some(held + chrono::Duration::seconds(1)))
    });
    let record = Arc::clone(&renewals);
    queue
        .expect_settle()
        .withf(move |settled| {
            let renewed = record.lock().unwrap();
            let last = *renewed.last().unwrap() + chrono::Duration::seconds(1);
            settled.iter().all(|s| s.lease_until == last)
        })
        .times(1)
        .returning(|_| Ok(()));
    let mut clock = MockClock::new();
    clock.expect_now().returning(now);
    let dispatcher = Dispatcher::new(
        Arc::new(queue),
        Arc::new(Slow {
            delay: Duration::from_millis(250),
        }),
        Arc::new(clock),
        DispatcherSettings {
            lease: Duration::from_millis(90),
            ..DispatcherSettings::default()
        },
    );

    let report = dispatcher.run_once().await.unwrap();

    assert_eq!(report.delivered, 2);
    let renewed = renewals.lock().unwrap();
    // Every 30 ms for 250 ms, each renewal under the lease the previous one answered.
    assert!(renewed.len() >= 5, "{renewed:?}");
    assert_eq!(renewed[0], claimed_until);
    for pair in renewed.windows(2) {
        assert_eq!(pair[1], pair[0] + chrono::Duration::seconds(1));
    }
}
