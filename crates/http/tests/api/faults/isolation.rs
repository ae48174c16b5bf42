//! One target's trouble stays its own: OpenMeter down does not hold Lago back, and one event
//! OpenMeter refuses is a dead letter while the rest of its batch is delivered.

use tokio::sync::watch;

use super::*;
use crate::{
    delivery::{KEY, api_key},
    helpers::status_and_json,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openmeter_down_does_not_hold_lago_back() {
    let openmeter = StandIn::openmeter(|_| Reply::Fail(503)).await;
    let lago_stand_in = StandIn::lago(|_| Reply::Accept).await;
    let app = app_with(Some(&openmeter), Some(&lago_stand_in), false).await;
    let keys = post(&app, &events("both", 40)).await;
    assert_eq!(app.count_where("outbox", "state = 'pending'").await, 80);
    let pool = pool(&app);
    let (stop, running) = watch::channel(false);
    let settings = DispatcherSettings {
        retry_schedule: vec![ms(20)],
        ..quick()
    };
    let om = dispatcher(
        &pool,
        openmeter_target(&openmeter.url(), 10, Duration::from_secs(2)),
        settings.clone(),
    );
    let lg = dispatcher(&pool, lago_target(&lago_stand_in), settings);
    let started = Instant::now();
    let tasks = [
        tokio::spawn(om.run(running.clone(), no_observer())),
        tokio::spawn(lg.run(running, no_observer())),
    ];

    let deadline = started + Duration::from_secs(5);
    while app
        .count_where("outbox", "target = 'lago' AND state = 'delivered'")
        .await
        < 40
    {
        assert!(Instant::now() < deadline, "Lago rows still pending");
        tokio::time::sleep(ms(10)).await;
    }
    let lago_took = started.elapsed();
    // Let OpenMeter fail a few more rounds, then stop both cleanly.
    tokio::time::sleep(ms(200)).await;
    stop.send(true).unwrap();
    for task in tasks {
        task.await.unwrap();
    }

    assert!(
        lago_took < Duration::from_secs(2),
        "Lago took {lago_took:?}"
    );
    let lago_rows = rows(&app, "lago").await;
    assert_eq!(in_state(&lago_rows, "delivered"), keys);
    assert!(lago_rows.values().all(|row| row.attempts == 1));
    // One Lago event per meter (`<key>:<slug>`), every call's `requests` among them.
    let stored = lago_stand_in.stored();
    let calls: BTreeSet<String> = stored
        .iter()
        .filter_map(|id| id.rsplit_once(':').map(|(key, _)| key.to_owned()))
        .collect();
    assert_eq!(calls, keys);
    assert!(
        keys.iter()
            .all(|key| stored.contains(&format!("{key}:requests")))
    );
    assert!(lago_stand_in.accepted().values().all(|n| *n == 1));

    let openmeter_rows = rows(&app, "openmeter").await;
    assert_eq!(in_state(&openmeter_rows, "pending"), keys);
    // OpenMeter failed its first batch: from then on it got single-event probes, so only
    // those rows were tried, and they keep OpenMeter's answer.
    let tried: Vec<_> = openmeter_rows
        .iter()
        .filter(|(_, row)| row.attempts > 0)
        .collect();
    assert!(tried.len() >= 10, "{openmeter_rows:?}");
    for (key, row) in tried {
        assert!(
            row.reason.starts_with("OpenMeter answered HTTP 503"),
            "{key}: {row:?}"
        );
    }
    assert!(
        openmeter.requests() >= 2,
        "{} requests",
        openmeter.requests()
    );
    assert!(openmeter.stored().is_empty());
    assert_eq!(
        app.count_where("outbox", "locked_until IS NOT NULL").await,
        0,
        "a clean stop leaves no claim behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_event_is_a_dead_letter_until_an_operator_sends_it_back() {
    const BAD: &str = "refused-5";
    let detail = format!("invalid event: {BAD} has an unknown subject");
    let refusal = detail.clone();
    let openmeter = StandIn::openmeter(move |call| {
        if call.ids.iter().any(|id| id == BAD) {
            Reply::Refuse(refusal.clone())
        } else {
            Reply::Accept
        }
    })
    .await;
    let app = app_with(Some(&openmeter), None, false).await;
    let keys = post(&app, &events("refused", 8)).await;
    let dispatcher = dispatcher(
        &pool(&app),
        openmeter_target(&openmeter.url(), 500, Duration::from_secs(2)),
        quick(),
    );

    let totals = drain(&app, &dispatcher, Duration::from_secs(5)).await;
    assert_eq!((totals.delivered, totals.dead), (7, 1), "{totals:?}");

    let settled = rows(&app, "openmeter").await;
    let good: BTreeSet<String> = keys.iter().filter(|k| *k != BAD).cloned().collect();
    assert_eq!(in_state(&settled, "delivered"), good);
    assert_eq!(in_state(&settled, "dead"), BTreeSet::from([BAD.to_owned()]));
    assert_eq!(
        settled[BAD].reason,
        format!("OpenMeter refused the event (HTTP 400): {detail}")
    );
    assert_eq!(settled[BAD].attempts, 1);
    // The batch was split to find it: every other event stored once, the refused one never.
    assert_eq!(openmeter.stored(), good);
    assert!(openmeter.accepted().values().all(|n| *n == 1));

    // The operator fixes the cause and sends the dead letter back.
    openmeter.set_script(|_| Reply::Accept);
    api_key(&app, "{settings:write}").await;
    let retry = app
        .client
        .post(app.url("/api/admin/outbox/retry"))
        .bearer_auth(KEY)
        .json(&json!({"target": "openmeter"}))
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(retry).await;
    assert_eq!((status, body), (200, json!({"retried": 1})));
    assert_eq!(
        app.count_where(
            "outbox",
            "target = 'openmeter' AND state = 'pending' AND attempts = 0
             AND next_attempt_at <= now()"
        )
        .await,
        1
    );

    drain(&app, &dispatcher, Duration::from_secs(5)).await;
    assert_eq!(in_state(&rows(&app, "openmeter").await, "delivered"), keys);
    assert_eq!(openmeter.stored(), keys);
    assert!(openmeter.accepted().values().all(|n| *n == 1));
}
