//! What an operator graphs and alerts on is there from the start, and stays.

use crate::helpers::{TestApp, USAGE_BATCH, USAGE_BATCH_EVENTS, batch_body, distinct_events};

async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status().as_u16(), 200);
    response.text().await.expect("a body")
}

/// The value of the series written exactly as `series` (name and labels).
fn value(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let rest = line.strip_prefix(series)?.strip_prefix(' ')?;
        rest.parse().ok()
    })
}

fn assert_series(metrics: &str, series: &str, expected: f64) {
    assert_eq!(
        value(metrics, series),
        Some(expected),
        "{series} in:\n{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_process_exports_every_known_series_at_zero() {
    let app = TestApp::spawn_with(|settings| {
        settings.lago.url = "http://127.0.0.1:9/".into();
        settings.lago.api_key = Some(secrecy::SecretString::from("key"));
        settings.delivery.run_in_server = false;
    })
    .await;
    let metrics = scrape(&app).await;

    for outcome in ["accepted", "duplicate", "quarantined"] {
        assert_series(
            &metrics,
            &format!("tollgate_webhook_events_total{{outcome=\"{outcome}\"}}"),
            0.0,
        );
    }
    assert_series(
        &metrics,
        "tollgate_budget_alerts_total{outcome=\"stored\"}",
        0.0,
    );
    assert_series(
        &metrics,
        "tollgate_lago_webhooks_total{outcome=\"invalid_signature\"}",
        0.0,
    );
    for target in ["embedded_meter", "lago"] {
        for outcome in ["delivered", "retried", "dead", "waiting"] {
            assert_series(
                &metrics,
                &format!(
                    "tollgate_outbox_deliveries_total{{outcome=\"{outcome}\",target=\"{target}\"}}"
                ),
                0.0,
            );
        }
        for state in ["pending", "dead"] {
            for gauge in ["outbox_depth", "outbox_oldest_age_seconds"] {
                assert_series(
                    &metrics,
                    &format!("tollgate_{gauge}{{state=\"{state}\",target=\"{target}\"}}"),
                    0.0,
                );
            }
        }
        assert_series(
            &metrics,
            &format!("tollgate_outbox_target_down{{target=\"{target}\"}}"),
            0.0,
        );
        assert_series(
            &metrics,
            &format!("tollgate_outbox_delivery_latency_seconds_count{{target=\"{target}\"}}"),
            0.0,
        );
    }
    assert_series(&metrics, "tollgate_ingest_queue_depth", 0.0);
    assert_series(
        &metrics,
        "tollgate_ingest_commit_duration_seconds_count",
        0.0,
    );
    assert_series(&metrics, "tollgate_ingest_events_per_commit_count", 0.0);
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        metrics.contains("tollgate_build_info{commit=\""),
        "{metrics}"
    );
    assert!(
        metrics
            .lines()
            .any(|line| line.starts_with("tollgate_build_info{")
                && line.contains(&format!("version=\"{version}\""))
                && line.ends_with(" 1")),
        "{metrics}"
    );
    // CPU time may still read 0 this early; it must be there.
    assert!(
        value(&metrics, "process_cpu_seconds_total").is_some(),
        "{metrics}"
    );
    for process in [
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_max_fds",
    ] {
        assert!(
            value(&metrics, process).is_some_and(|v| v > 0.0),
            "{process} in:\n{metrics}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_are_timed_and_counted_and_an_emptied_outbox_reads_zero() {
    let app = TestApp::spawn_with(|settings| settings.metrics.outbox_refresh_secs = 0).await;
    let response = app.post_usage(USAGE_BATCH, "application/json").await;
    assert_eq!(response.status().as_u16(), 202);

    let metrics = scrape(&app).await;
    assert_series(
        &metrics,
        "tollgate_ingest_commit_duration_seconds_count",
        1.0,
    );
    assert_series(&metrics, "tollgate_ingest_events_per_commit_count", 1.0);
    #[expect(clippy::cast_precision_loss, reason = "11")]
    let events = USAGE_BATCH_EVENTS as f64;
    assert_series(&metrics, "tollgate_ingest_events_per_commit_sum", events);

    // Once the embedded meters have everything, the pending series reads 0, still there. (The
    // depth is read before the counters are rendered: a scrape may catch a round between the
    // two, so both are awaited together.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let metrics = scrape(&app).await;
        let delivered = value(
            &metrics,
            "tollgate_outbox_deliveries_total{outcome=\"delivered\",target=\"embedded_meter\"}",
        );
        let pending = value(
            &metrics,
            "tollgate_outbox_depth{state=\"pending\",target=\"embedded_meter\"}",
        );
        if delivered == Some(events) && pending == Some(0.0) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{metrics}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_depth_is_read_at_most_once_per_refresh_interval() {
    let app = TestApp::spawn_with(|settings| {
        settings.delivery.run_in_server = false;
        settings.metrics.outbox_refresh_secs = 3600;
    })
    .await;
    let pending = "tollgate_outbox_depth{state=\"pending\",target=\"embedded_meter\"}";
    let first = app
        .post_usage(batch_body(&distinct_events(3)), "application/json")
        .await;
    assert_eq!(first.status().as_u16(), 202);
    assert_series(&scrape(&app).await, pending, 3.0);

    let second = app
        .post_usage(batch_body(&distinct_events(4)), "application/json")
        .await;
    assert_eq!(second.status().as_u16(), 202);
    assert_eq!(app.count("outbox").await, 7);
    // Within the interval, the last reading is answered: no query per scrape.
    assert_series(&scrape(&app).await, pending, 3.0);
}
