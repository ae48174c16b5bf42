//! From SIGTERM on, `/readyz` answers 503 `shutting_down` for `server.shutdown_delay_secs`
//! while every request is still served; then the listener closes as before.

use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use crate::helpers::{TestApp, USAGE_BATCH, status_and_json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draining_replica_is_unready_but_serves_until_the_delay_ends() {
    let mut app = TestApp::spawn_with(|settings| settings.server.shutdown_delay_secs = 2).await;
    let (status, _) = status_and_json(app.get("/readyz").await).await;
    assert_eq!(status, 200);

    let begun = Instant::now();
    app.draining.begin();

    let response = app.get("/readyz").await;
    assert_eq!(response.headers()["retry-after"], "2");
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "shutting_down", "{body}");
    let (status, _) = status_and_json(app.get("/healthz").await).await;
    assert_eq!(status, 200, "liveness is unchanged: the process is fine");
    let response = app.post_usage(USAGE_BATCH, "application/json").await;
    assert_eq!(response.status().as_u16(), 202, "requests are still served");

    // Then the listener closes, and not before the delay.
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(app.socket).await.is_ok() {
        assert!(Instant::now() < deadline, "the listener stays open");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let closed_after = begun.elapsed();
    assert!(
        closed_after >= Duration::from_secs(2),
        "closed after {closed_after:?}, before the delay"
    );
    app.stopped().await.expect("the server stops cleanly");
    assert_eq!(app.count("usage_events").await, 11);
}
