//! Many deliveries at once: each event is stored exactly once, whoever wins the race.

use std::sync::Arc;

use serde_json::Value;
use tokio::task::JoinSet;

use crate::helpers::{
    TestApp, USAGE_BATCH, USAGE_BATCH_EVENTS, batch_body, distinct_events, status_and_json,
};

/// Posts every body at once, each from its own task; returns (accepted, duplicates) per body.
async fn post_all_at_once(app: &TestApp, bodies: Vec<Vec<u8>>) -> Vec<(usize, usize)> {
    let barrier = Arc::new(tokio::sync::Barrier::new(bodies.len()));
    let mut tasks = JoinSet::new();
    for body in bodies {
        let request = app
            .client
            .post(app.url("/v1/webhooks/litellm"))
            .bearer_auth(&app.secret)
            .header("content-type", "application/json")
            .body(body);
        let barrier = Arc::clone(&barrier);
        tasks.spawn(async move {
            barrier.wait().await;
            let (status, body) = status_and_json(request.send().await.expect("an answer")).await;
            assert_eq!(status, 202, "{body}");
            assert_eq!(body["quarantined"], 0);
            let count = |field: &str| {
                body[field]
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .expect("a count")
            };
            (count("accepted"), count("duplicates"))
        });
    }
    tasks.join_all().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_batches_posted_at_once_store_each_event_once() {
    let app = TestApp::spawn().await;

    let reports = post_all_at_once(&app, vec![USAGE_BATCH.to_vec(); 16]).await;

    for (accepted, duplicates) in &reports {
        assert_eq!(accepted + duplicates, USAGE_BATCH_EVENTS);
    }
    let accepted: usize = reports.iter().map(|(accepted, _)| accepted).sum();
    assert_eq!(accepted, USAGE_BATCH_EVENTS, "{reports:?}");
    assert_eq!(app.count("usage_events").await, 11);
    assert_eq!(app.count("outbox").await, 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_batches_posted_at_once_store_their_union_once() {
    let app = TestApp::spawn().await;
    let events = distinct_events(30);
    let slices: [&[Value]; 3] = [&events[0..20], &events[10..30], &events[5..25]];
    let bodies: Vec<Vec<u8>> = slices
        .iter()
        .flat_map(|slice| std::iter::repeat_n(batch_body(slice), 3))
        .collect();

    let reports = post_all_at_once(&app, bodies).await;

    for (accepted, duplicates) in &reports {
        assert_eq!(accepted + duplicates, 20);
    }
    let accepted: usize = reports.iter().map(|(accepted, _)| accepted).sum();
    assert_eq!(accepted, 30, "{reports:?}");
    assert_eq!(app.count("usage_events").await, 30);
    assert_eq!(app.count("outbox").await, 30);
    assert_eq!(
        app.scalar_text("SELECT count(DISTINCT idempotency_key)::text AS value FROM usage_events")
            .await
            .as_deref(),
        Some("30")
    );
}
