//! Claims are leases: a crashed worker's batch is sent again once its lease ends (the
//! receiver's dedup on the id makes that exactly once in effect), and concurrent workers never
//! send the same id within a lease.

use chrono::Utc;
use tollgate_application::ports::{DeliveryOutcome, OutboxQueue, SettledItem, Settlement};

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_after_sending_is_redelivered_once_its_lease_ends() {
    let receiver = StandIn::openmeter(|_| Reply::Accept).await;
    let app = app_with(Some(&receiver), None, false).await;
    let keys = post(&app, &events("crash", 20)).await;
    let pool = pool(&app);
    let target = openmeter_target(&receiver.url(), 500, Duration::from_secs(2));

    // A worker claims 8 rows, its POST reaches OpenMeter, and it dies before settling.
    let lease = ms(800);
    let claimed_at = Instant::now();
    let crashed = PgOutboxQueue::new(pool.clone())
        .claim("openmeter", 8, lease)
        .await
        .unwrap();
    assert_eq!(crashed.len(), 8);
    let outcomes = target.deliver(&crashed).await;
    assert!(outcomes.iter().all(|o| *o == DeliveryOutcome::Delivered));
    let crashed: BTreeSet<String> = crashed
        .iter()
        .map(|item| item.event.idempotency_key.as_str().to_owned())
        .collect();
    drop(outcomes);

    // Another worker takes only the rest while the lease runs.
    let survivor = dispatcher(&pool, target, quick());
    let report = survivor.run_once().await.unwrap();
    assert_eq!((report.claimed, report.delivered), (12, 12), "{report:?}");
    assert_eq!(survivor.run_once().await.unwrap().claimed, 0);
    assert!(
        claimed_at.elapsed() < lease,
        "the checks above ran within the lease"
    );
    assert_eq!(
        app.count_where(
            "outbox",
            "target = 'openmeter' AND state = 'pending' AND locked_until > now()"
        )
        .await,
        8
    );

    tokio::time::sleep((lease + ms(50)).saturating_sub(claimed_at.elapsed())).await;
    let totals = drain(&app, &survivor, Duration::from_secs(5)).await;
    assert_eq!(totals.delivered, 8, "{totals:?}");

    let rows = rows(&app, "openmeter").await;
    assert_eq!(in_state(&rows, "delivered"), keys);
    assert!(rows.values().all(|row| row.attempts == 1), "{rows:?}");
    // The dead worker's events reached OpenMeter twice, the others once, and the distinct
    // ids are exactly the stored keys.
    for (key, count) in receiver.received() {
        assert_eq!(count, if crashed.contains(&key) { 2 } else { 1 }, "{key}");
    }
    assert_eq!(receiver.stored(), keys);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_dispatchers_on_one_target_send_every_id_exactly_once() {
    // A little latency so that the two workers' rounds overlap.
    let receiver = StandIn::openmeter(|_| Reply::Slow(ms(20))).await;
    let app = app_with(Some(&receiver), None, false).await;
    let keys = post(&app, &events("pair", 300)).await;
    let pool = pool(&app);
    // A lease far longer than a round: within it, no id may go out twice.
    let settings = DispatcherSettings {
        lease: Duration::from_secs(5),
        ..quick()
    };

    let workers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|name| {
            // Each worker posts under its own path prefix, so the stand-in knows who sent what.
            let target = openmeter_target(
                &format!("{}/{name}/", receiver.url()),
                25,
                Duration::from_secs(2),
            );
            let worker = dispatcher(&pool, target, settings.clone());
            tokio::spawn(async move {
                let mut delivered = 0;
                loop {
                    let report = worker.run_once().await.unwrap();
                    if report.claimed == 0 {
                        return delivered;
                    }
                    delivered += report.delivered;
                }
            })
        })
        .collect();
    let mut delivered = Vec::new();
    for worker in workers {
        delivered.push(worker.await.unwrap());
    }

    assert_eq!(delivered.iter().sum::<usize>(), 300, "{delivered:?}");
    assert!(
        delivered.iter().all(|n| *n > 0),
        "both worked: {delivered:?}"
    );
    let rows = rows(&app, "openmeter").await;
    assert_eq!(in_state(&rows, "delivered"), keys);
    assert!(rows.values().all(|row| row.attempts == 1));
    assert_eq!(receiver.stored(), keys);
    let senders = receiver.senders();
    for key in &keys {
        assert_eq!(senders[key].len(), 1, "{key} sent by {:?}", senders[key]);
    }
    let by_a = senders.values().filter(|s| s[0] == "/a").count();
    assert_eq!(by_a, delivered[0]);
}

/// A worker whose lease ran out while it was still delivering settles late. The queue's
/// contract (`OutboxQueue::settle`): items taken by another worker meanwhile are left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_settlement_leaves_the_new_lease_holder_alone() {
    let receiver = StandIn::openmeter(|_| Reply::Accept).await;
    let app = app_with(Some(&receiver), None, false).await;
    let keys = post(&app, &events("late", 4)).await;
    let pool = pool(&app);
    let queue = PgOutboxQueue::new(pool.clone());
    let target = openmeter_target(&receiver.url(), 500, Duration::from_secs(2));

    // Worker A claims with a short lease and stalls past it.
    let stalled = queue.claim("openmeter", 10, ms(200)).await.unwrap();
    tokio::time::sleep(ms(300)).await;
    // Worker B retakes the rows for a long lease and is sending them.
    let holder = queue
        .claim("openmeter", 10, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(holder.len(), 4);
    target.deliver(&holder).await;
    // A wakes up with a transient failure and settles rows it no longer holds.
    let late: Vec<SettledItem> = stalled
        .iter()
        .map(|item| SettledItem {
            outbox_id: item.outbox_id,
            lease_until: item.lease_until,
            settlement: Settlement::RetryAt {
                at: Utc::now(),
                reason: "late answer".into(),
            },
        })
        .collect();
    queue.settle(&late).await.unwrap();

    // B's lease still runs: a third worker must find nothing to claim.
    let third = queue
        .claim("openmeter", 10, Duration::from_secs(60))
        .await
        .unwrap();
    if !third.is_empty() {
        target.deliver(&third).await;
    }
    assert!(
        third.is_empty(),
        "{} rows claimed again within B's lease; OpenMeter received {:?}; rows {:?}",
        third.len(),
        receiver.received(),
        rows(&app, "openmeter").await
    );
    assert_eq!(
        app.count_where(
            "outbox",
            "target = 'openmeter' AND attempts = 0 AND locked_until > now() + interval '30 seconds'"
        )
        .await,
        4,
        "the late settlement must not touch B's claim"
    );
    assert!(receiver.received().values().all(|n| *n == 1));
    assert_eq!(receiver.stored(), keys);
}

/// A delivery longer than its lease keeps its claim: the worker renews it while it waits, so
/// no other worker sends the same events meanwhile, and it settles them itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_longer_than_its_lease_keeps_its_claim() {
    let receiver = StandIn::openmeter(|_| Reply::Slow(ms(1500))).await;
    let app = app_with(Some(&receiver), None, false).await;
    let keys = post(&app, &events("renewed", 6)).await;
    let pool = pool(&app);
    let settings = DispatcherSettings {
        lease: ms(300),
        ..quick()
    };
    let slow = dispatcher(
        &pool,
        openmeter_target(&receiver.url(), 500, Duration::from_secs(5)),
        settings,
    );
    let delivering = tokio::spawn(async move { slow.run_once().await.unwrap() });

    // Well past the lease, the rows are still held.
    tokio::time::sleep(ms(900)).await;
    let other = PgOutboxQueue::new(pool.clone())
        .claim("openmeter", 10, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(
        other.is_empty(),
        "{} rows retaken from a worker still delivering them",
        other.len()
    );

    let report = delivering.await.unwrap();
    assert_eq!(report.delivered, 6, "{report:?}");
    let rows = rows(&app, "openmeter").await;
    assert_eq!(in_state(&rows, "delivered"), keys);
    assert!(receiver.received().values().all(|n| *n == 1));
}

/// A worker killed mid-delivery (no settlement, no more renewals: its task is dropped, as a
/// SIGKILL would) loses its claim within a lease, not minutes later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_workers_claim_is_retaken_within_seconds() {
    let receiver = StandIn::openmeter(|_| Reply::Slow(Duration::from_secs(30))).await;
    let app = app_with(Some(&receiver), None, false).await;
    let keys = post(&app, &events("killed", 12)).await;
    let pool = pool(&app);
    let lease = Duration::from_secs(1);
    let settings = DispatcherSettings { lease, ..quick() };
    let doomed = dispatcher(
        &pool,
        openmeter_target(&receiver.url(), 500, Duration::from_secs(60)),
        settings.clone(),
    );
    let killed = tokio::spawn(async move { doomed.run_once().await });
    // Long enough for a few renewals.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(pending(&app, "openmeter").await, 12);
    assert!(
        PgOutboxQueue::new(pool.clone())
            .claim("openmeter", 10, lease)
            .await
            .unwrap()
            .is_empty(),
        "renewed while alive"
    );
    killed.abort();
    let killed_at = Instant::now();

    receiver.set_script(|_| Reply::Accept);
    let successor = dispatcher(
        &pool,
        openmeter_target(&receiver.url(), 500, Duration::from_secs(2)),
        settings,
    );
    drain(&app, &successor, Duration::from_secs(5)).await;
    let retaken_in = killed_at.elapsed();

    assert!(
        retaken_in < lease + Duration::from_secs(1),
        "the killed worker's rows came back after {retaken_in:?}"
    );
    assert_eq!(in_state(&rows(&app, "openmeter").await, "delivered"), keys);
    assert_eq!(receiver.stored(), keys);
    // The default lease bounds the metering lag a crash costs.
    assert!(DispatcherSettings::default().lease <= Duration::from_secs(10));
}
