//! End to end through `tollgate serve`'s own dispatchers: events posted to the webhook reach
//! OpenMeter, through a failure, with nothing driven by hand.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_own_dispatchers_deliver_every_event_through_a_failure() {
    // The first request fails, as when OpenMeter restarts: the server's dispatcher retries
    // on its default schedule (first step: up to 1 s).
    let openmeter = StandIn::openmeter(|call| {
        if call.index == 0 {
            Reply::Fail(503)
        } else {
            Reply::Accept
        }
    })
    .await;
    let app = app_with(Some(&openmeter), None, true).await;
    let keys = post(&app, &events("served", 25)).await;

    let deadline = Instant::now() + Duration::from_secs(10);
    while openmeter.stored() != keys {
        assert!(
            Instant::now() < deadline,
            "OpenMeter has {} of {} events after {} requests",
            openmeter.stored().len(),
            keys.len(),
            openmeter.requests()
        );
        tokio::time::sleep(ms(20)).await;
    }
    // The answer is in; the settlement follows it.
    while pending(&app, "openmeter").await > 0 {
        assert!(Instant::now() < deadline, "rows still pending");
        tokio::time::sleep(ms(20)).await;
    }

    let rows = rows(&app, "openmeter").await;
    assert_eq!(in_state(&rows, "delivered"), keys);
    let received = openmeter.received();
    for (key, row) in &rows {
        assert_eq!(row.attempts, received[key], "{key}: {row:?}");
    }
    assert!(openmeter.accepted().values().all(|n| *n == 1));
    assert!(openmeter.requests() >= 2);
    // Without Lago, Tollgate bills from its own rollups: the embedded meters get every
    // event too, each once.
    assert_eq!(
        app.count_where("outbox", "target = 'embedded_meter'").await,
        i64::try_from(keys.len()).expect("a small count"),
        "with OpenMeter metering and embedded billing, the embedded meters get every event"
    );
}
