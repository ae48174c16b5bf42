//! Claims are leases: held by one worker, retaken after a crash, never counted twice.

use tollgate_application::ports::{DeliveryTarget, OutboxQueue};

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_is_exclusive_until_its_lease_ends_then_retaken() {
    let app = app_without_workers().await;
    post_all(&app, &spread_events(5)).await;
    let queue = PgOutboxQueue::new(pool(&app));

    // A worker claims everything, then "crashes": it never settles.
    let crashed = queue
        .claim("embedded_meter", 10, Duration::from_millis(300))
        .await
        .unwrap();
    assert_eq!(crashed.len(), 5);
    assert!(
        queue
            .claim("embedded_meter", 10, Duration::from_secs(60))
            .await
            .unwrap()
            .is_empty(),
        "nothing is claimed twice while the lease runs"
    );

    tokio::time::sleep(Duration::from_millis(400)).await;
    let retaken = queue
        .claim("embedded_meter", 10, Duration::from_secs(60))
        .await
        .unwrap();
    let ids = |items: &[tollgate_application::ports::OutboxItem]| {
        items.iter().map(|i| i.outbox_id).collect::<Vec<_>>()
    };
    assert_eq!(ids(&retaken), ids(&crashed));
    assert_eq!(
        retaken[0].event.idempotency_key,
        crashed[0].event.idempotency_key
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_worker_whose_lease_was_retaken_does_not_count_again() {
    let app = app_without_workers().await;
    post_all(&app, &spread_events(8)).await;
    let pool = pool(&app);
    let queue = PgOutboxQueue::new(pool.clone());
    let meter = PgEmbeddedMeter::new(pool.clone(), 100);

    let slow = queue
        .claim("embedded_meter", 10, Duration::from_millis(200))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fast = queue
        .claim("embedded_meter", 10, Duration::from_secs(60))
        .await
        .unwrap();
    meter.deliver(&fast).await;
    // The slow worker wakes up and delivers the same rows.
    meter.deliver(&slow).await;

    assert_eq!(
        app.scalar_text(
            "SELECT sum(requests)::text AS value FROM usage_dimension_rollups
             WHERE granularity = 'day' AND dimension = 'team'"
        )
        .await
        .as_deref(),
        Some("8")
    );
}
