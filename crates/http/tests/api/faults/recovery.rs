//! A target that fails as a whole is held behind its circuit: one probe per interval, one
//! WARN line when it starts failing and one when it answers again, and its whole backlog goes
//! as soon as it does, whatever backoff the rows had.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::watch;

use super::*;
use crate::helpers::{PgProxy, captured_logs};

/// A stand-in OpenMeter answering 503 until `up` is set.
async fn switchable() -> (StandIn, Arc<AtomicBool>) {
    let up = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&up);
    let stand_in = StandIn::openmeter(move |_| {
        if seen.load(Ordering::SeqCst) {
            Reply::Accept
        } else {
            Reply::Fail(503)
        }
    })
    .await;
    (stand_in, up)
}

fn warnings_about(target: &str) -> Vec<String> {
    captured_logs()
        .lines()
        .filter(|line| line.contains(" WARN ") && line.contains(target))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_target_gets_probes_and_its_whole_backlog_goes_when_it_answers() {
    let (openmeter, up) = switchable().await;
    let app = app_with(Some(&openmeter), None, false).await;
    let mut keys = post(&app, &events("before", 200)).await;
    // Rows an earlier outage left on per-row backoff, up to half an hour ahead, and one row
    // waiting for something on our side: the first must go at recovery, the second not.
    app.texts(
        "UPDATE outbox SET attempts = 7, next_attempt_at = now() + (id % 1800) * interval '1 s',
                last_error = '{\"reason\": \"OpenMeter answered HTTP 503\"}'
         WHERE target = 'openmeter' AND id % 2 = 0 RETURNING 'x' AS value",
    )
    .await;
    let waiting = app
        .texts(
            "UPDATE outbox SET next_attempt_at = now() + interval '1 hour',
                    last_error = '{\"reason\": \"no subscription\", \"waiting\": true}'
             WHERE id = (SELECT min(id) FROM outbox WHERE target = 'openmeter')
             RETURNING event_id::text AS value",
        )
        .await[0]
        .clone()
        .unwrap();
    let settings = DispatcherSettings {
        probe_interval: ms(100),
        max_backoff: Duration::from_secs(3600),
        retry_schedule: vec![Duration::from_secs(1800)],
        ..quick()
    };
    let worker = dispatcher(
        &pool(&app),
        openmeter_target(&openmeter.url(), 50, Duration::from_secs(2)),
        settings,
    );
    let (stop, running) = watch::channel(false);
    let task = tokio::spawn(worker.run(running, no_observer()));

    // Down for 1.5 s, while more events arrive.
    tokio::time::sleep(ms(300)).await;
    keys.extend(post_more(&app, "during", 100).await);
    tokio::time::sleep(ms(1200)).await;
    let during_outage = openmeter.requests();
    // One failed batch, then single-event probes every 100 ms: never a batch per round.
    assert!(
        (2..=20).contains(&during_outage),
        "{during_outage} requests in 1.5 s"
    );
    assert!(openmeter.received().len() <= during_outage + 49);

    up.store(true, Ordering::SeqCst);
    let recovered = Instant::now();
    let deadline = recovered + Duration::from_secs(3);
    while pending(&app, "openmeter").await > 1 {
        assert!(
            Instant::now() < deadline,
            "{} rows still pending 3 s after recovery",
            pending(&app, "openmeter").await
        );
        tokio::time::sleep(ms(20)).await;
    }
    let drained_in = recovered.elapsed();
    stop.send(true).unwrap();
    task.await.unwrap();

    let waiting_key = app
        .texts(&format!(
            "SELECT idempotency_key AS value FROM usage_events WHERE id = {waiting}"
        ))
        .await[0]
        .clone()
        .unwrap();
    keys.remove(&waiting_key);
    let rows = rows(&app, "openmeter").await;
    assert_eq!(
        in_state(&rows, "delivered"),
        keys,
        "drained in {drained_in:?}"
    );
    assert_eq!(openmeter.stored(), keys);
    assert_eq!(
        app.count_where(
            "outbox",
            "state = 'pending' AND target = 'openmeter' AND next_attempt_at > now() + interval '50 minutes'"
        )
        .await,
        1,
        "the waiting row keeps its time"
    );
    // One line when it started failing, one when it answered; no line per failed call.
    let warnings = warnings_about("openmeter");
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(warnings[0].contains("delivery target is failing"));
    assert!(warnings[1].contains("delivery target answers again"));
}

/// Posts `n` more events with call ids `{prefix}-{i}`; answers their keys.
async fn post_more(app: &TestApp, prefix: &str, n: usize) -> BTreeSet<String> {
    let batch = events(prefix, n);
    for chunk in batch.chunks(100) {
        let response = app.post_usage(batch_body(chunk), "application/json").await;
        assert_eq!(response.status(), 202);
    }
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

/// The outage, through `tollgate serve`'s own dispatchers and default delivery
/// settings: OpenMeter answers 503 for 30 s, then refuses connections for 30 s, while events
/// keep arriving. Its backlog must be in OpenMeter within 10 s of the first success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minute_long_outage_drains_within_seconds_of_the_first_success() {
    const PHASE: Duration = Duration::from_secs(30);
    let (openmeter, up) = switchable().await;
    let stand_in = openmeter.url();
    let proxy = PgProxy::start(stand_in.trim_start_matches("http://").to_owned()).await;
    let url = format!("http://{}", proxy.address);
    let app = TestApp::spawn_with(move |settings| settings.openmeter.url = url).await;

    // 50 events/s in batches of 10 for the whole outage.
    let started = Instant::now();
    let mut tick = tokio::time::interval(ms(200));
    let (mut posted, mut answered_503) = (0, None);
    while started.elapsed() < 2 * PHASE {
        tick.tick().await;
        if answered_503.is_none() && started.elapsed() >= PHASE {
            answered_503 = Some(openmeter.requests());
            proxy.go_down();
        }
        let batch = events(&format!("steady-{posted}"), 10);
        let response = app.post_usage(batch_body(&batch), "application/json").await;
        assert_eq!(response.status(), 202);
        posted += 10;
    }
    let outage = started.elapsed();
    let answered_503 = answered_503.unwrap();
    assert!(
        answered_503 <= 20,
        "{answered_503} calls to a target failing for 30 s (probes every 2 s)"
    );
    let backlog = pending(&app, "openmeter").await;
    assert!(backlog > 1000, "{backlog} rows waiting");

    up.store(true, Ordering::SeqCst);
    proxy.go_up();
    let before = openmeter.stored().len();
    let deadline = Instant::now() + Duration::from_secs(20);
    while openmeter.stored().len() == before {
        assert!(Instant::now() < deadline, "no success 20 s after recovery");
        tokio::time::sleep(ms(20)).await;
    }
    let first_success = Instant::now();
    while pending(&app, "openmeter").await > 0 {
        assert!(
            first_success.elapsed() < Duration::from_secs(10),
            "{} of {backlog} rows still pending 10 s after the first success",
            pending(&app, "openmeter").await
        );
        tokio::time::sleep(ms(50)).await;
    }
    let drained_in = first_success.elapsed();
    let keys: BTreeSet<String> = app
        .texts("SELECT idempotency_key AS value FROM usage_events")
        .await
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(keys.len(), posted);
    assert_eq!(openmeter.stored(), keys, "every event reached OpenMeter");
    assert_eq!(app.count_where("outbox", "state = 'dead'").await, 0);
    let warnings = warnings_about("openmeter");
    assert!(warnings.len() <= 3, "{warnings:#?}");
    eprintln!(
        "outage {outage:?}: {backlog} rows waiting, {answered_503} calls during the 503 phase; \
         drained {drained_in:?} after the first success"
    );
}
