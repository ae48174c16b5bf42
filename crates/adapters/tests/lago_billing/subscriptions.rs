//! `POST /api/v1/subscriptions` for every change, `DELETE /api/v1/subscriptions/{id}` to end.

use chrono::{TimeZone, Utc};
use serde_json::json;
use tollgate_application::ports::{BillingEngine, SubscriptionChangeKind, SubscriptionSync};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use crate::{TestResult, assert_lago_headers, body, lago, refused_reason};

fn change(plan: &str, kind: SubscriptionChangeKind) -> SubscriptionSync {
    SubscriptionSync {
        external_id: "sub_1".into(),
        external_customer_id: "cust_1".into(),
        plan_engine_code: plan.into(),
        starts_at: Utc
            .with_ymd_and_hms(2025, 3, 14, 9, 30, 0)
            .single()
            .expect("a time"),
        kind,
    }
}

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(
        json!({"status": 404, "error": "Not Found", "code": "subscription_not_found"}),
    )
}

fn subscribed() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"subscription": {"external_id": "sub_1"}}))
}

/// Lago holding `sub_1` on `pro` (49 a month), with `team` (99 a month) and `basic` (19).
async fn mount_current(server: &MockServer) {
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/api/v1/subscriptions/sub_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"subscription": {
            "external_id": "sub_1", "plan_code": "pro", "next_plan_code": null, "status": "active",
            "plan_amount_cents": 4900,
        }})))
        .mount(server)
        .await;
    for (code, cents) in [("pro", 4900), ("team", 9900), ("basic", 1900)] {
        Mock::given(matchers::method("GET"))
            .and(matchers::path(format!("/api/v1/plans/{code}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"plan": {"code": code, "amount_cents": cents, "interval": "monthly"}}),
            ))
            .mount(server)
            .await;
    }
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/api/v1/subscriptions"))
        .respond_with(subscribed())
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_subscription_is_created_anchored_at_its_start() -> TestResult {
    let lago = lago().await?;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/api/v1/subscriptions"))
        .respond_with(subscribed())
        .expect(1)
        .mount(&lago.server)
        .await;

    lago.billing
        .apply_subscription(&change("pro", SubscriptionChangeKind::Create))
        .await?;

    let requests = lago.requests().await;
    assert_lago_headers(&requests[0]);
    assert_eq!(
        body(&requests[0]),
        json!({"subscription": {
            "external_customer_id": "cust_1",
            "plan_code": "pro",
            "external_id": "sub_1",
            "billing_time": "anniversary",
            "subscription_at": "2025-03-14T09:30:00+00:00",
        }})
    );
    Ok(())
}

#[tokio::test]
async fn upgrades_and_downgrades_keep_the_external_id_and_follow_lagos_timing() -> TestResult {
    let lago = lago().await?;
    mount_current(&lago.server).await;

    lago.billing
        .apply_subscription(&change("team", SubscriptionChangeKind::Upgrade))
        .await?;
    lago.billing
        .apply_subscription(&change("basic", SubscriptionChangeKind::Downgrade))
        .await?;
    // Already on `pro`: a retry of a change Lago made is done without a call.
    lago.billing
        .apply_subscription(&change("pro", SubscriptionChangeKind::Upgrade))
        .await?;

    let requests = lago.requests().await;
    let posted: Vec<_> = requests
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .collect();
    assert_eq!(posted.len(), 2);
    assert_eq!(
        body(posted[0]),
        json!({"subscription": {"external_customer_id": "cust_1", "plan_code": "team", "external_id": "sub_1"}})
    );
    assert_eq!(body(posted[1])["subscription"]["plan_code"], "basic");
    Ok(())
}

#[tokio::test]
async fn a_change_lago_would_time_otherwise_is_refused_before_it_is_sent() -> TestResult {
    let lago = lago().await?;
    mount_current(&lago.server).await;

    let reason = refused_reason(
        lago.billing
            .apply_subscription(&change("basic", SubscriptionChangeKind::Upgrade))
            .await,
    );
    assert!(
        reason.contains("asked at once, but Lago would apply it at the end"),
        "{reason}"
    );
    let reason = refused_reason(
        lago.billing
            .apply_subscription(&change("team", SubscriptionChangeKind::Downgrade))
            .await,
    );
    assert!(reason.contains("Lago would apply it at once"), "{reason}");
    assert!(!lago.calls().await.iter().any(|c| c.starts_with("POST")));
    Ok(())
}

#[tokio::test]
async fn terminating_deletes_the_active_subscription() -> TestResult {
    let lago = lago().await?;
    Mock::given(matchers::method("DELETE"))
        .and(matchers::path("/api/v1/subscriptions/sub_1"))
        .respond_with(subscribed())
        .expect(1)
        .mount(&lago.server)
        .await;

    lago.billing.terminate_subscription("sub_1").await?;
    assert_eq!(lago.calls().await, ["DELETE /api/v1/subscriptions/sub_1"]);
    Ok(())
}

#[tokio::test]
async fn an_already_terminated_subscription_counts_as_terminated() -> TestResult {
    let lago = lago().await?;
    Mock::given(matchers::method("DELETE"))
        .respond_with(not_found())
        .mount(&lago.server)
        .await;
    Mock::given(matchers::method("GET"))
        .and(matchers::query_param("status", "terminated"))
        .respond_with(subscribed())
        .mount(&lago.server)
        .await;

    lago.billing.terminate_subscription("sub_1").await?;
    assert_eq!(
        lago.calls().await,
        [
            "DELETE /api/v1/subscriptions/sub_1",
            "DELETE /api/v1/subscriptions/sub_1?status=pending",
            "GET /api/v1/subscriptions/sub_1?status=terminated",
        ]
    );
    Ok(())
}

#[tokio::test]
async fn terminating_a_subscription_lago_never_had_is_refused() -> TestResult {
    let lago = lago().await?;
    Mock::given(matchers::any())
        .respond_with(not_found())
        .mount(&lago.server)
        .await;

    let reason = refused_reason(lago.billing.terminate_subscription("sub 9/x").await);
    assert_eq!(reason, "Lago has no subscription `sub 9/x`");
    // The external id is one path segment, percent-encoded.
    assert!(lago.calls().await[0].ends_with("/subscriptions/sub%209%2Fx"));
    Ok(())
}
