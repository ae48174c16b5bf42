//! Clients that hold bodies back or send too many at once: memory stays bounded. A body has
//! `server.body_timeout_secs` to arrive (408, connection closed); bodies in flight share
//! `server.max_inflight_body_bytes` (503 + Retry-After before a byte is read).

use std::time::{Duration, Instant};

use crate::helpers::{RawRequest, TestApp, USAGE_PATH, USAGE_SINGLE};

fn head(app: &TestApp, length: usize) -> String {
    format!(
        "POST {USAGE_PATH} HTTP/1.1\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}",
        app.secret
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_arriving_is_cut_with_408_and_its_connection_closed() {
    let app = TestApp::spawn_with(|settings| settings.server.body_timeout_secs = 1).await;
    // 30 MiB declared, 10 bytes sent, then silence.
    let mut request = RawRequest::start(app.socket, &head(&app, 30 * 1024 * 1024)).await;
    assert!(request.send(b"[{\"litell").await);
    let started = Instant::now();
    let response = tokio::time::timeout(Duration::from_secs(10), request.response())
        .await
        .expect("the server answers and closes the connection");
    let waited = started.elapsed();
    assert_eq!(response.status, 408, "{response:?}");
    assert_eq!(response.json()["error"]["code"], "body_timeout");
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert_eq!(app.count("usage_events").await, 0);

    // An API body is held to the same deadline.
    let mut request = RawRequest::start(
        app.socket,
        "POST /api/billing/customers HTTP/1.1\r\nAuthorization: Bearer tg_live_nobody\r\n\
         Content-Type: application/json\r\nContent-Length: 1000",
    )
    .await;
    assert!(request.send(b"{").await);
    let response = tokio::time::timeout(Duration::from_secs(10), request.response())
        .await
        .expect("answered");
    // Refused before its body is read at all: the credential is checked first.
    assert_eq!(response.status, 401, "{response:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_past_the_in_flight_budget_wait_their_turn_with_503() {
    let budget = USAGE_SINGLE.len() + USAGE_SINGLE.len() / 2;
    let app = TestApp::spawn_with(|settings| {
        settings.server.max_inflight_body_bytes = budget;
        settings.server.body_timeout_secs = 30;
    })
    .await;
    // The first body holds its share while it trickles in.
    let mut first = RawRequest::start(app.socket, &head(&app, USAGE_SINGLE.len())).await;
    let (start, rest) = USAGE_SINGLE.split_at(100);
    assert!(first.send(start).await);
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The second would pass the budget: refused at once, before its body is sent.
    let second = RawRequest::start(app.socket, &head(&app, USAGE_SINGLE.len())).await;
    let refused = tokio::time::timeout(Duration::from_secs(5), second.response())
        .await
        .expect("refused without waiting for the body");
    assert_eq!(refused.status, 503, "{refused:?}");
    assert_eq!(refused.json()["error"]["code"], "unavailable");
    assert_eq!(refused.header("Retry-After"), Some("1"));

    // The first completes; its share is given back, and the same body then goes through.
    assert!(first.send(rest).await);
    assert_eq!(first.response().await.status, 202);
    let mut again = RawRequest::start(app.socket, &head(&app, USAGE_SINGLE.len())).await;
    assert!(again.send(USAGE_SINGLE).await);
    assert_eq!(again.response().await.status, 202);
    assert_eq!(app.count("usage_events").await, 1);
}
