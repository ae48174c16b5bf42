//! Storing captured LiteLLM batches: every event once, each with its outbox row.

use crate::helpers::{
    TestApp, USAGE_BATCH, USAGE_BATCH_COST, USAGE_BATCH_EVENTS, USAGE_NDJSON, USAGE_NDJSON_EVENTS,
    USAGE_SINGLE, batch_body, distinct_events, ingest_report, status_and_json,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_captured_batch_is_stored_with_one_outbox_row_per_event() {
    let app = TestApp::spawn().await;

    let (status, body) =
        status_and_json(app.post_usage(USAGE_BATCH, "application/json").await).await;

    assert_eq!(status, 202);
    assert_eq!(body, ingest_report(USAGE_BATCH_EVENTS, 0));
    assert_eq!(app.count("usage_events").await, 11);
    assert_eq!(
        app.count_where("usage_events", "status = 'failure'").await,
        2
    );
    assert_eq!(app.count("outbox").await, 11);
    assert_eq!(
        app.count_where("outbox", "target = 'embedded_meter' AND state = 'pending'")
            .await,
        11
    );
    assert_eq!(
        app.scalar_text("SELECT count(DISTINCT event_id)::text AS value FROM outbox")
            .await
            .as_deref(),
        Some("11")
    );
    assert_eq!(
        app.scalar_text("SELECT sum(cost_usd)::text AS value FROM usage_events")
            .await
            .as_deref(),
        Some(USAGE_BATCH_COST)
    );
    assert_eq!(app.count("quarantined_events").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_byte_identical_retry_reports_duplicates_and_stores_nothing_new() {
    let app = TestApp::spawn().await;
    let first = app.post_usage(USAGE_BATCH, "application/json").await;
    assert_eq!(first.status().as_u16(), 202);

    let (status, body) =
        status_and_json(app.post_usage(USAGE_BATCH, "application/json").await).await;

    assert_eq!(status, 202);
    assert_eq!(body, ingest_report(0, USAGE_BATCH_EVENTS));
    assert_eq!(app.count("usage_events").await, 11);
    assert_eq!(app.count("outbox").await, 11);
    assert_eq!(
        app.scalar_text("SELECT sum(cost_usd)::text AS value FROM usage_events")
            .await
            .as_deref(),
        Some(USAGE_BATCH_COST)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ndjson_and_single_object_bodies_are_accepted_and_answers_carry_a_request_id() {
    let app = TestApp::spawn().await;

    let ndjson = app.post_usage(USAGE_NDJSON, "application/x-ndjson").await;
    let ndjson_id = request_id(&ndjson);
    let (status, body) = status_and_json(ndjson).await;
    assert_eq!(status, 202);
    assert_eq!(body, ingest_report(USAGE_NDJSON_EVENTS, 0));

    let single = app.post_usage(USAGE_SINGLE, "application/json").await;
    let single_id = request_id(&single);
    let (status, body) = status_and_json(single).await;
    assert_eq!(status, 202);
    assert_eq!(body, ingest_report(1, 0));

    assert_ne!(ndjson_id, single_id, "each request has its own id");
    let refused = app.post_usage_with_auth(USAGE_SINGLE, None).await;
    assert_eq!(refused.status().as_u16(), 401);
    request_id(&refused);

    let total = USAGE_NDJSON_EVENTS + 1;
    assert_eq!(
        app.count("usage_events").await,
        i64::try_from(total).unwrap()
    );
    assert_eq!(app.count("outbox").await, i64::try_from(total).unwrap());
    let call_id =
        serde_json::from_slice::<serde_json::Value>(USAGE_SINGLE).unwrap()["litellm_call_id"]
            .as_str()
            .unwrap()
            .to_owned();
    assert_eq!(
        app.count_where(
            "usage_events",
            &format!("idempotency_key = '{call_id}' AND status = 'success'")
        )
        .await,
        1
    );
}

fn request_id(response: &reqwest::Response) -> String {
    let id = response
        .headers()
        .get("x-request-id")
        .expect("x-request-id is set")
        .to_str()
        .expect("x-request-id is text")
        .to_owned();
    assert!(!id.is_empty());
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_repeated_within_one_batch_is_stored_once() {
    let app = TestApp::spawn().await;
    let events = distinct_events(2);
    let body = batch_body(&[events[0].clone(), events[1].clone(), events[0].clone()]);

    let (status, body) = status_and_json(app.post_usage(body, "application/json").await).await;

    assert_eq!(status, 202);
    assert_eq!(body, ingest_report(2, 1));
    assert_eq!(app.count("usage_events").await, 2);
    assert_eq!(app.count("outbox").await, 2);
}
