//! `/api/billing/subscriptions`: created, upgraded, downgraded and terminated over the API,
//! the phases checked in the database, refusals writing nothing, races settled by it.

mod backdated;
mod lago;
mod refusals;

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    OTHER_KEY, WRITE_KEY, api_key,
    plans::{PLANS, create_plan, plan, writer},
};
use crate::{
    helpers::TestApp,
    identity::support::{call, create_org, expect_error, expect_status, send},
};

const SUBSCRIPTIONS: &str = "/api/billing/subscriptions";

/// A customer `external_id` paying in `currency`; its id.
async fn customer(app: &TestApp, bearer: &str, external_id: &str, currency: &str) -> String {
    let body = json!({
        "external_id": external_id,
        "name": external_id,
        "billing_email": "billing@example.com",
        "currency": currency
    });
    let request = call(app, Method::POST, "/api/billing/customers", bearer).json(&body);
    let (_, created) = expect_status(send(request).await, 201).await;
    created["id"].as_str().expect("an id").to_owned()
}

async fn subscribe(app: &TestApp, bearer: &str, body: &Value) -> reqwest::Response {
    send(call(app, Method::POST, SUBSCRIPTIONS, bearer).json(body)).await
}

async fn post(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    send(call(app, Method::POST, path, WRITE_KEY).json(body)).await
}

/// `POST {subscription}/{action}` with `{"plan_code": plan}`.
async fn change(app: &TestApp, subscription: &str, action: &str, plan: &str) -> reqwest::Response {
    post(
        app,
        &format!("{subscription}/{action}"),
        &json!({ "plan_code": plan }),
    )
    .await
}

/// `(plan code, version, starts_at, ends_at, reason)` of every phase, by start.
async fn phases(app: &TestApp, id: &str) -> Vec<String> {
    app.texts(&format!(
        "SELECT p.code || ' v' || ph.plan_version || ' ' || ph.reason || ' '
                || CASE WHEN ph.ends_at IS NULL THEN 'open' ELSE 'closed' END AS value
         FROM billing_subscription_phases ph JOIN billing_plans p ON p.id = ph.plan_id
         WHERE ph.subscription_id = '{id}' ORDER BY ph.starts_at"
    ))
    .await
    .into_iter()
    .map(Option::unwrap_or_default)
    .collect()
}

/// Subscriptions, phases and `subscription.*` audit records.
async fn written(app: &TestApp) -> (i64, i64, i64) {
    (
        app.count("billing_subscriptions").await,
        app.count("billing_subscription_phases").await,
        app.count_where("audit_log", "action LIKE 'subscription.%'")
            .await,
    )
}

/// The writer's app with plans `basic` (10), `pro` (20) and a customer `acme` in USD.
async fn shop() -> (TestApp, String) {
    let app = writer().await;
    for (code, fee) in [("basic", "10.00"), ("pro", "20.00")] {
        expect_status(create_plan(&app, &plan(code, fee)).await, 201).await;
    }
    let acme = customer(&app, WRITE_KEY, "acme", "USD").await;
    (app, acme)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_is_created_shown_listed_upgraded_downgraded_and_terminated() {
    let (app, acme) = shop().await;
    let body = json!({ "customer_id": acme, "plan_code": "basic" });
    let (_, created) = expect_status(subscribe(&app, WRITE_KEY, &body).await, 201).await;
    let id = created["id"].as_str().expect("an id").to_owned();
    assert_eq!(created["external_id"], id.as_str(), "defaults to the id");
    assert_eq!(created["status"], "active");
    assert_eq!(created["plan"]["plan_code"], "basic");
    assert_eq!(created["plan"]["plan_version"], 1);
    assert_eq!(created["billing_anchor"], created["started_at"]);
    assert_eq!(created["current_period"]["start"], created["started_at"]);
    assert_eq!(created["pending_change"], Value::Null);
    // The period close's cursor starts at the start.
    assert_eq!(
        app.count_where(
            "billing_subscriptions",
            &format!("id = '{id}' AND invoiced_through = started_at AND status = 'active'"),
        )
        .await,
        1
    );
    assert_eq!(phases(&app, &id).await, ["basic v1 created open"]);

    // A new version of `basic` does not move the running subscription.
    let basic_id = app
        .scalar_text("SELECT id::text AS value FROM billing_plans WHERE code = 'basic'")
        .await
        .expect("basic");
    let mut dearer = plan("basic", "12.00");
    dearer.as_object_mut().expect("an object").remove("code");
    expect_status(
        send(call(&app, Method::PUT, &format!("{PLANS}/{basic_id}"), WRITE_KEY).json(&dearer))
            .await,
        200,
    )
    .await;
    assert_eq!(phases(&app, &id).await, ["basic v1 created open"]);

    let path = format!("{SUBSCRIPTIONS}/{id}");
    let (_, upgraded) = expect_status(
        post(
            &app,
            &format!("{path}/upgrade"),
            &json!({ "plan_code": "pro" }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(upgraded["plan"]["plan_code"], "pro");
    assert_eq!(
        phases(&app, &id).await,
        ["basic v1 created closed", "pro v1 upgrade open"]
    );
    // The old phase ends exactly where the new one starts.
    assert_eq!(
        app.count_where(
            "billing_subscription_phases a JOIN billing_subscription_phases b
             ON a.subscription_id = b.subscription_id AND a.ends_at = b.starts_at",
            &format!("a.subscription_id = '{id}' AND b.reason = 'upgrade'"),
        )
        .await,
        1
    );

    let (_, scheduled) = expect_status(change(&app, &path, "downgrade", "basic").await, 200).await;
    assert_eq!(
        scheduled["plan"]["plan_code"], "pro",
        "runs until the period ends"
    );
    assert_eq!(scheduled["pending_change"]["plan_code"], "basic");
    assert_eq!(
        scheduled["pending_change"]["plan_version"], 2,
        "the current version"
    );
    assert_eq!(
        scheduled["pending_change"]["starts_at"],
        scheduled["current_period"]["end"]
    );
    // A second downgrade replaces the scheduled one.
    let (_, team) = expect_status(create_plan(&app, &plan("team", "5.00")).await, 201).await;
    assert_eq!(team["code"], "team");
    let (_, replaced) = expect_status(change(&app, &path, "downgrade", "team").await, 200).await;
    assert_eq!(replaced["pending_change"]["plan_code"], "team");
    assert_eq!(
        phases(&app, &id).await,
        [
            "basic v1 created closed",
            "pro v1 upgrade closed",
            "team v1 downgrade open"
        ]
    );

    let (_, listed) = expect_status(
        send(call(
            &app,
            Method::GET,
            &format!("{SUBSCRIPTIONS}?customer_id={acme}"),
            WRITE_KEY,
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(listed["data"].as_array().expect("a list").len(), 1);
    assert_eq!(listed["data"][0]["id"], id.as_str());

    let (_, terminated) = expect_status(
        post(&app, &format!("{path}/terminate"), &json!({})).await,
        200,
    )
    .await;
    assert_eq!(terminated["status"], "terminated");
    assert_eq!(terminated["pending_change"], Value::Null);
    assert_eq!(terminated["current_period"], Value::Null);
    assert_eq!(
        phases(&app, &id).await,
        ["basic v1 created closed", "pro v1 upgrade closed"]
    );
    assert_eq!(
        app.count_where(
            "billing_subscription_phases ph JOIN billing_subscriptions s ON s.id = ph.subscription_id",
            &format!("s.id = '{id}' AND ph.reason = 'upgrade' AND ph.ends_at = s.terminated_at"),
        )
        .await,
        1
    );
    expect_error(
        post(&app, &format!("{path}/terminate"), &json!({})).await,
        409,
        "subscription_terminated",
    )
    .await;
    expect_error(
        post(
            &app,
            &format!("{path}/upgrade"),
            &json!({ "plan_code": "pro" }),
        )
        .await,
        409,
        "subscription_terminated",
    )
    .await;

    // Terminated, the customer may subscribe again.
    expect_status(subscribe(&app, WRITE_KEY, &body).await, 201).await;
    for (action, count) in [
        ("subscription.create", 2),
        ("subscription.upgrade", 1),
        ("subscription.downgrade", 2),
        ("subscription.terminate", 1),
    ] {
        assert_eq!(
            app.count_where("audit_log", &format!("action = '{action}'"))
                .await,
            count,
            "{action}"
        );
    }
    assert_eq!(
        app.count_where(
            "audit_log",
            &format!("action = 'subscription.upgrade' AND target = 'subscription:{id}'"),
        )
        .await,
        1
    );
}
