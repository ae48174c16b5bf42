//! What the queue records for each outcome: retries wait, refusals are dead letters with the
//! target's answer, waiting items keep their attempt count.

use async_trait::async_trait;
use tollgate_application::ports::{DeliveryOutcome, DeliveryTarget, OutboxItem};

use super::*;

/// A target that answers the same outcome for everything, standing in for an outside system.
struct Answering(DeliveryOutcome);

#[async_trait]
impl DeliveryTarget for Answering {
    fn name(&self) -> &'static str {
        "embedded_meter"
    }

    fn max_batch(&self) -> usize {
        100
    }

    async fn deliver(&self, items: &[OutboxItem]) -> Vec<DeliveryOutcome> {
        vec![self.0.clone(); items.len()]
    }
}

pub(crate) async fn settle_with(outcome: DeliveryOutcome) -> TestApp {
    let app = app_without_workers().await;
    post_all(&app, &spread_events(3)).await;
    let pool = pool(&app);
    let dispatcher = Dispatcher::new(
        Arc::new(PgOutboxQueue::new(pool)),
        Arc::new(Answering(outcome)),
        Arc::new(SystemClock),
        DispatcherSettings::default(),
    );
    let report = dispatcher.run_once().await.unwrap();
    assert_eq!(report.claimed, 3);
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_failure_is_retried_later_with_its_reason_kept() {
    let app = settle_with(DeliveryOutcome::Retry {
        reason: "503 from upstream".into(),
        retry_after: Some(Duration::from_secs(120)),
    })
    .await;
    assert_eq!(
        app.count_where(
            "outbox",
            "state = 'pending' AND attempts = 1 AND locked_until IS NULL
             AND next_attempt_at > now() + interval '100 seconds'
             AND last_error->>'reason' = '503 from upstream'"
        )
        .await,
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_refusal_is_a_dead_letter_with_the_answer() {
    let app = settle_with(DeliveryOutcome::Rejected {
        reason: "400 invalid event: subject missing".into(),
    })
    .await;
    assert_eq!(
        app.count_where(
            "outbox",
            "state = 'dead' AND last_error->>'reason' LIKE '400 invalid event%'"
        )
        .await,
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_see_dead_letters_and_send_them_back() {
    let app = settle_with(DeliveryOutcome::Rejected {
        reason: "400 bad".into(),
    })
    .await;
    api_key(&app, "{usage:read,settings:write}").await;

    let depth = app
        .client
        .get(app.url("/api/admin/outbox"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    let (status, body) = crate::helpers::status_and_json(depth).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"],
        json!([{"target": "embedded_meter", "state": "dead", "count": 3,
                "oldest_age_seconds": body["data"][0]["oldest_age_seconds"]}])
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"tollgate_outbox_depth{state="dead",target="embedded_meter"} 3"#),
        "{metrics}"
    );

    let retry = app
        .client
        .post(app.url("/api/admin/outbox/retry"))
        .bearer_auth(KEY)
        .json(&json!({"target": "embedded_meter"}))
        .send()
        .await
        .unwrap();
    let (status, body) = crate::helpers::status_and_json(retry).await;
    assert_eq!((status, body), (200, json!({"retried": 3})));
    assert_eq!(
        app.count_where("outbox", "state = 'pending' AND attempts = 0")
            .await,
        3
    );
    assert_eq!(
        app.count_where(
            "audit_log",
            "action = 'outbox.retry_dead' AND actor LIKE 'api_key:%'"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_items_stay_pending_without_spending_an_attempt() {
    let app = settle_with(DeliveryOutcome::Waiting {
        reason: "no subscription for cust-1".into(),
    })
    .await;
    assert_eq!(
        app.count_where(
            "outbox",
            "state = 'pending' AND attempts = 0 AND next_attempt_at > now()"
        )
        .await,
        3
    );
}
