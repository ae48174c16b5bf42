//! Transient failures (5xx, 429, timeouts) are retried on the schedule, not before the target
//! says, and nothing is lost: every stored event reaches the target, under its own id.

use chrono::{SecondsFormat, Utc};

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_until_every_event_is_delivered() {
    let openmeter = StandIn::openmeter(|call| {
        if call.index < 3 {
            Reply::Fail(500)
        } else {
            Reply::Accept
        }
    })
    .await;
    let app = app_with(Some(&openmeter), None, false).await;
    let keys = post(&app, &events("e500", 30)).await;
    let dispatcher = dispatcher(
        &pool(&app),
        openmeter_target(&openmeter.url(), 10, Duration::from_secs(2)),
        quick(),
    );

    let totals = drain(&app, &dispatcher, Duration::from_secs(10)).await;

    let rows = rows(&app, "openmeter").await;
    assert_eq!(in_state(&rows, "delivered"), keys, "{rows:?}");
    assert_eq!(totals.delivered, 30, "{totals:?}");
    // The first failed batch opens the circuit: the next two failures are single-event
    // probes, not batches.
    assert_eq!(
        totals.retried, 12,
        "a failed batch of ten, then two failed probes of one: {totals:?}"
    );
    // No loss: the distinct ids OpenMeter stored are exactly the stored events' keys, each
    // stored once (a delivered row is never sent again).
    assert_eq!(openmeter.stored(), keys);
    assert!(openmeter.accepted().values().all(|n| *n == 1));
    // Each row counts every request that carried its event, and a retried row keeps why.
    let received = openmeter.received();
    let mut retried = 0;
    for (key, row) in &rows {
        assert_eq!(row.attempts, received[key], "{key}: {row:?}");
        if row.attempts > 1 {
            retried += row.attempts - 1;
            assert!(
                row.reason.starts_with("OpenMeter answered HTTP 500"),
                "{key}: {row:?}"
            );
        } else {
            assert_eq!(row.reason, "", "{key}: {row:?}");
        }
    }
    assert_eq!(
        retried, 12,
        "ten events in the failed batch, one in each failed probe"
    );
    assert_eq!(
        app.count_where(
            "outbox",
            "target = 'openmeter' AND delivered_at IS NOT NULL AND locked_until IS NULL"
        )
        .await,
        30
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_events_wait_for_retry_after_then_go() {
    let openmeter = StandIn::openmeter(|call| {
        if call.index == 0 {
            Reply::Throttle(1)
        } else {
            Reply::Accept
        }
    })
    .await;
    let app = app_with(Some(&openmeter), None, false).await;
    let keys = post(&app, &events("e429", 5)).await;
    let dispatcher = dispatcher(
        &pool(&app),
        openmeter_target(&openmeter.url(), 500, Duration::from_secs(2)),
        quick(),
    );

    let before = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
    let report = dispatcher.run_once().await.unwrap();
    assert_eq!((report.claimed, report.retried), (5, 5), "{report:?}");
    // Retry-After (1 s) wins over the few-ms backoff, and nothing stretches it further.
    assert_eq!(
        app.count_where(
            "outbox",
            &format!(
                "target = 'openmeter' AND state = 'pending' AND attempts = 1
                 AND locked_until IS NULL
                 AND next_attempt_at >= '{before}'::timestamptz + interval '1 second'
                 AND next_attempt_at < '{before}'::timestamptz + interval '3 seconds'
                 AND last_error->>'reason' = 'OpenMeter is throttling (HTTP 429)'"
            )
        )
        .await,
        5
    );
    let again = dispatcher.run_once().await.unwrap();
    assert_eq!(again.claimed, 0, "nothing is due before Retry-After");
    assert_eq!(openmeter.requests(), 1);

    drain(&app, &dispatcher, Duration::from_secs(5)).await;

    assert_eq!(in_state(&rows(&app, "openmeter").await, "delivered"), keys);
    assert_eq!(openmeter.stored(), keys);
    assert_eq!(
        openmeter.requests(),
        3,
        "one throttled request, a one-event probe after the wait, then the rest at once"
    );
    // They went once due, not before.
    assert_eq!(
        app.count_where(
            "outbox",
            &format!(
                "target = 'openmeter' AND attempts = 2 AND delivered_at >= next_attempt_at
                 AND delivered_at >= '{before}'::timestamptz + interval '1 second'"
            )
        )
        .await,
        5
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_target_times_out_and_the_events_go_once_it_answers() {
    let openmeter = StandIn::openmeter(|_| Reply::Slow(Duration::from_secs(3))).await;
    let app = app_with(Some(&openmeter), None, false).await;
    let keys = post(&app, &events("hung", 6)).await;
    let dispatcher = dispatcher(
        &pool(&app),
        openmeter_target(&openmeter.url(), 500, ms(200)),
        quick(),
    );

    let started = Instant::now();
    let report = dispatcher.run_once().await.unwrap();
    assert_eq!((report.claimed, report.retried), (6, 6), "{report:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the target's timeout bounds a round, not the hang: {:?}",
        started.elapsed()
    );
    let rows_after_timeout = rows(&app, "openmeter").await;
    for (key, row) in &rows_after_timeout {
        assert_eq!((row.state.as_str(), row.attempts), ("pending", 1), "{key}");
        assert!(
            row.reason.starts_with("openmeter: timed out"),
            "{key}: {row:?}"
        );
    }
    assert_eq!(
        app.count_where("outbox", "target = 'openmeter' AND locked_until IS NULL")
            .await,
        6,
        "a timed-out round releases its claim"
    );

    openmeter.set_script(|_| Reply::Accept);
    drain(&app, &dispatcher, Duration::from_secs(5)).await;

    let rows = rows(&app, "openmeter").await;
    assert_eq!(in_state(&rows, "delivered"), keys);
    assert!(rows.values().all(|row| row.attempts == 2), "{rows:?}");
    // The hung request reached the receiver too (its answer was lost): the id is the same both
    // times, so a receiver that deduplicates keeps each event once.
    assert!(openmeter.received().values().all(|n| *n == 2));
    assert_eq!(openmeter.stored(), keys);
}
