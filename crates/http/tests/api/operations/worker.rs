//! `tollgate worker` answers `/healthz`, `/readyz` and `/metrics` on `worker.bind`, and its
//! metrics are the dispatchers' own.

use std::time::{Duration, Instant};

use secrecy::SecretString;
use tollgate_http::{Settings, bootstrap::worker::Worker};

use crate::helpers::{TestApp, USAGE_BATCH, status_and_json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_serves_its_probes_and_the_metrics_of_its_deliveries() {
    // The API replica stores events; only the worker delivers them.
    let app = TestApp::spawn_with(|settings| settings.delivery.run_in_server = false).await;
    let mut settings = Settings::load().expect("the embedded defaults load");
    settings.database.url = SecretString::from(app.db_url.clone());
    settings.database.create_if_missing = false;
    settings.worker.bind = "127.0.0.1:0".parse().expect("an address");
    settings.metrics.outbox_refresh_secs = 0;
    let worker = Worker::build(&settings).await.expect("the worker starts");
    let base = format!("http://127.0.0.1:{}", worker.port());
    let draining = worker.draining();
    let running = tokio::spawn(worker.run_until_stopped());
    let get = |path: &str| app.client.get(format!("{base}{path}")).send();

    let (status, body) = status_and_json(get("/healthz").await.expect("an answer")).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, body) = status_and_json(get("/readyz").await.expect("an answer")).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("ready")),
        "{body}"
    );
    let (status, _) = status_and_json(get("/api/me").await.expect("an answer")).await;
    assert_eq!(status, 404, "the worker serves no API");

    assert_eq!(
        app.post_usage(USAGE_BATCH, "application/json")
            .await
            .status()
            .as_u16(),
        202
    );
    let delivered =
        "tollgate_outbox_deliveries_total{outcome=\"delivered\",target=\"embedded_meter\"} 11";
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let metrics = get("/metrics")
            .await
            .expect("an answer")
            .text()
            .await
            .expect("a body");
        // The depth is read before the counters are rendered: both are awaited together.
        let pending = "tollgate_outbox_depth{state=\"pending\",target=\"embedded_meter\"} 0";
        if metrics.lines().any(|line| line == delivered)
            && metrics.lines().any(|line| line == pending)
        {
            assert!(
                metrics.contains("process_resident_memory_bytes"),
                "{metrics}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "never delivered:\n{metrics}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    draining.begin();
    tokio::time::timeout(Duration::from_secs(15), running)
        .await
        .expect("the worker stops in time")
        .expect("no panic")
        .expect("a clean stop");
}
