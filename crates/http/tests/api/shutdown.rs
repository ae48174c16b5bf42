//! Graceful shutdown: requests in flight when the server is told to stop are still answered,
//! and what they carried is stored.

use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use crate::helpers::{RawRequest, TestApp, USAGE_PATH, batch_body, distinct_events};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_when_the_server_stops_is_answered_and_stored() {
    let mut app = TestApp::spawn_with(|settings| settings.server.shutdown_timeout_secs = 15).await;
    let events = 200;
    let body = batch_body(&distinct_events(events));
    let (first_half, second_half) = body.split_at(body.len() / 2);
    let mut request = RawRequest::start_on_served_connection(
        app.socket,
        &format!(
            "POST {USAGE_PATH} HTTP/1.1\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}",
            app.secret,
            body.len()
        ),
    )
    .await;
    assert!(request.send(first_half).await);

    let stopping = app.handle.stop(true);
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(app.socket).await.is_ok() {
        assert!(Instant::now() < deadline, "the listener stays open");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        request.send(second_half).await,
        "the in-flight request is still read"
    );
    let response = request.response().await;

    assert_eq!(response.status, 202, "{response:?}");
    assert_eq!(response.json()["accepted"], events);
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("the server stops once the request is answered");
    app.stopped().await.expect("the server stops cleanly");
    let stored = i64::try_from(events).unwrap();
    assert_eq!(app.count("usage_events").await, stored);
    assert_eq!(app.count("outbox").await, stored);
}
