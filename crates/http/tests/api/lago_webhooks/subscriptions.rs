//! Subscription webhooks: terminated (and canceled) end the subscription and its phases as
//! `Subscription::terminate` does; started activates a pending one; never backwards.

use serde_json::{Value, json};

use super::{add_customer, new_key, post_hmac, spawn_lago};
use crate::helpers::TestApp;

fn subscription_webhook(webhook_type: &str, external_id: &str) -> Value {
    json!({
        "webhook_type": webhook_type,
        "object_type": "subscription",
        "organization_id": "1a901a90-1a90-1a90-1a90-1a901a901a90",
        "subscription": {
            "lago_id": "6d2b6d2b-6d2b-6d2b-6d2b-6d2b6d2b6d2b",
            "external_id": external_id,
            "lago_customer_id": "5c1a5c1a-5c1a-5c1a-5c1a-5c1a5c1a5c1a",
            "external_customer_id": "cust_0001",
            "plan_code": "pro",
            "status": if webhook_type == "subscription.started" { "active" } else { "terminated" },
            "billing_time": "calendar",
            "subscription_at": "2026-01-01T00:00:00Z",
            "started_at": "2026-01-01T00:00:00Z",
            "terminated_at": if webhook_type == "subscription.terminated" {
                json!("2026-01-20T12:00:00Z")
            } else {
                Value::Null
            },
            "canceled_at": null,
            "created_at": "2026-01-01T00:00:00Z",
            "customer": { "external_id": "cust_0001" },
            "plan": { "code": "pro" }
        }
    })
}

/// Subscription `sub_0001` of `customer`, `status`, on a plan, with a downgrade scheduled for
/// February: the January phase ends on February 1st, the next one is open-ended.
async fn add_subscription(app: &TestApp, customer: &str, status: &str) {
    app.texts(&format!(
        "WITH org AS (SELECT id FROM organizations WHERE slug = 'default'),
         plan AS (INSERT INTO billing_plans (id, organization_id, code, current_version)
                  SELECT gen_random_uuid(), id, 'pro', 1 FROM org RETURNING id, organization_id),
         version AS (INSERT INTO billing_plan_versions (plan_id, version, organization_id, name,
                        interval, currency, definition)
                     SELECT id, 1, organization_id, 'Pro', 'monthly', 'USD', '{{}}' FROM plan
                     RETURNING plan_id, organization_id),
         sub AS (INSERT INTO billing_subscriptions (id, organization_id, customer_id,
                    external_id, status, billing_anchor, started_at, invoiced_through)
                 SELECT gen_random_uuid(), id, '{customer}', 'sub_0001', '{status}',
                        '2026-01-01Z', '2026-01-01Z', '2026-01-01Z' FROM org
                 RETURNING id, organization_id)
         INSERT INTO billing_subscription_phases (subscription_id, organization_id, starts_at,
            ends_at, plan_id, plan_version, reason)
         SELECT sub.id, sub.organization_id, p.starts_at::timestamptz, p.ends_at::timestamptz,
                version.plan_id, 1, p.reason
         FROM sub, version, (VALUES ('2026-01-01Z', '2026-02-01Z', 'created'),
                                    ('2026-02-01Z', NULL, 'downgrade'))
              AS p(starts_at, ends_at, reason)
         RETURNING reason AS value"
    ))
    .await;
}

async fn subscription_row(app: &TestApp) -> Option<String> {
    app.scalar_text(
        "SELECT concat_ws('|', status, coalesce(terminated_at::text, '-')) AS value
         FROM billing_subscriptions WHERE external_id = 'sub_0001'",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_terminated_ends_the_subscription_and_its_phases() {
    let (app, _lago) = spawn_lago(|_| {}).await;
    let customer = add_customer(&app, "cust_0001").await;
    add_subscription(&app, &customer, "active").await;

    let terminated = subscription_webhook("subscription.terminated", "sub_0001");
    let (status, body) = post_hmac(&app, &new_key(), &terminated).await;
    assert_eq!(
        (status, &body["status"]),
        (200, &"applied".into()),
        "{body}"
    );
    assert_eq!(
        subscription_row(&app).await.as_deref(),
        Some("terminated|2026-01-20 12:00:00+00")
    );
    let phases = app
        .texts(
            "SELECT concat_ws('|', reason, starts_at, coalesce(ends_at::text, '-')) AS value
             FROM billing_subscription_phases ORDER BY starts_at",
        )
        .await;
    assert_eq!(
        phases,
        vec![Some(
            "created|2026-01-01 00:00:00+00|2026-01-20 12:00:00+00".into()
        )],
        "the running phase ends at the termination, the scheduled one goes"
    );

    // Neither a later start nor another termination changes it.
    for webhook_type in ["subscription.started", "subscription.terminated"] {
        let webhook = subscription_webhook(webhook_type, "sub_0001");
        let (status, body) = post_hmac(&app, &new_key(), &webhook).await;
        assert_eq!(
            (status, &body["status"]),
            (200, &"unchanged".into()),
            "{body}"
        );
    }
    assert_eq!(
        subscription_row(&app).await.as_deref(),
        Some("terminated|2026-01-20 12:00:00+00")
    );
    assert_eq!(
        app.count_where("audit_log", "action = 'billing.lago_webhook'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_started_activates_a_pending_one() {
    let (app, _lago) = spawn_lago(|_| {}).await;
    let customer = add_customer(&app, "cust_0001").await;
    add_subscription(&app, &customer, "pending").await;
    let started = subscription_webhook("subscription.started", "sub_0001");
    let (status, body) = post_hmac(&app, &new_key(), &started).await;
    assert_eq!(
        (status, &body["status"]),
        (200, &"applied".into()),
        "{body}"
    );
    assert_eq!(subscription_row(&app).await.as_deref(), Some("active|-"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_subscriptions_and_unhandled_types_are_acknowledged() {
    let (app, _lago) = spawn_lago(|_| {}).await;
    let unknown = subscription_webhook("subscription.terminated", "sub_nobody");
    let (status, body) = post_hmac(&app, &new_key(), &unknown).await;
    assert_eq!(
        (status, &body["status"]),
        (200, &"unknown_subscription".into()),
        "{body}"
    );
    let updated = subscription_webhook("subscription.updated", "sub_0001");
    let (status, body) = post_hmac(&app, &new_key(), &updated).await;
    assert_eq!(
        (status, &body["status"]),
        (200, &"receipt_only".into()),
        "{body}"
    );
    assert_eq!(app.count("lago_webhook_receipts").await, 2);
    assert_eq!(
        app.scalar_text(
            "SELECT string_agg(webhook_type || ' ' || object_id, ',' ORDER BY webhook_type)
             AS value FROM lago_webhook_receipts"
        )
        .await
        .as_deref(),
        Some("subscription.terminated sub_nobody,subscription.updated sub_0001")
    );
}
