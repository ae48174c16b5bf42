//! Bodies above `server.body_limit_bytes` are refused whether or not they declare a length.

use crate::helpers::{RawRequest, TestApp, USAGE_PATH, USAGE_SINGLE, status_and_json};

const LIMIT: usize = 4096;

async fn spawn_with_small_limit() -> TestApp {
    TestApp::spawn_with(|settings| settings.server.body_limit_bytes = LIMIT).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_declared_larger_than_the_limit_is_refused() {
    let app = spawn_with_small_limit().await;
    assert!(USAGE_SINGLE.len() > LIMIT);

    let (status, body) =
        status_and_json(app.post_usage(USAGE_SINGLE, "application/json").await).await;

    assert_eq!(status, 413);
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
    assert_eq!(app.count("usage_events").await, 0);
    assert_eq!(app.count("quarantined_events").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_growing_past_the_limit_is_refused() {
    let app = spawn_with_small_limit().await;
    let mut request = RawRequest::start(
        app.socket,
        &format!(
            "POST {USAGE_PATH} HTTP/1.1\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked",
            app.secret
        ),
    )
    .await;

    for chunk in USAGE_SINGLE.chunks(1024) {
        if !request.send_chunk(chunk).await {
            break;
        }
    }
    request.finish_chunks().await;
    let response = request.response().await;

    assert_eq!(response.status, 413, "{response:?}");
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.json()["error"]["code"], "payload_too_large");
    assert_eq!(app.count("usage_events").await, 0);
    assert_eq!(app.count("quarantined_events").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_within_the_limit_is_accepted() {
    let app = TestApp::spawn().await;
    let mut request = RawRequest::start(
        app.socket,
        &format!(
            "POST {USAGE_PATH} HTTP/1.1\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked",
            app.secret
        ),
    )
    .await;

    for chunk in USAGE_SINGLE.chunks(1024) {
        assert!(request.send_chunk(chunk).await);
    }
    assert!(request.finish_chunks().await);
    let response = request.response().await;

    assert_eq!(response.status, 202, "{response:?}");
    assert_eq!(response.json()["accepted"], 1);
    assert_eq!(app.count("usage_events").await, 1);
}
