//! `GET /api/billing/subscriptions/{id}/current-usage`: the open period rated to now by the
//! period close's rules, equal to what the close then invoices; a customer's member reads its
//! own; Lago mode refuses it.

use chrono::{DurationRound, SecondsFormat, TimeDelta, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use tollgate_domain::access::Role;
use uuid::Uuid;
use wiremock::MockServer;

use crate::{
    billing::{
        WRITE_KEY,
        period_close::support::{self, at},
    },
    helpers::TestApp,
    identity::support::{batch, call, expect_error, expect_status, send, token},
};

fn text(at: chrono::DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn current(app: &TestApp, id: Uuid, query: &str, bearer: &str) -> reqwest::Response {
    let path = format!("/api/billing/subscriptions/{id}/current-usage{query}");
    send(call(app, Method::GET, &path, bearer)).await
}

fn amounts(lines: &Value) -> Vec<String> {
    lines
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["amount"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_open_period_is_rated_to_now_as_the_close_will_invoice_it() {
    let app = support::spawn().await;
    // 30.00 a month in arrears, 0.01 a request.
    let definition = json!({
        "base_fee": {"amount": "30.00", "timing": "in_arrears"},
        "trial_days": 0, "minimum_commitment": null,
        "charges": [{"meter": "requests", "free_units": "0", "minimum": null,
                     "model": {"type": "per_unit", "unit_price": "0.01"}}]
    });
    let plan = support::plan_version(&app, "basic", "USD", &definition).await;
    let now = Utc::now();
    let start = (now - TimeDelta::days(2))
        .duration_trunc(TimeDelta::hours(1))
        .unwrap();
    let start_text = text(start);
    let mine = support::customer(&app, "cust_a", "USD").await;
    let theirs = support::customer(&app, "cust_b", "USD").await;
    let phases = [(start_text.as_str(), None, plan, 1, "created")];
    let sub = support::subscription(&app, mine, "sub_a", &start_text, &phases, None).await;
    let other = support::subscription(&app, theirs, "sub_b", &start_text, &phases, None).await;
    // 250 requests in the period so far; 1000 the day before it started are not its usage.
    support::usage(
        &app,
        "cust_a",
        &text(now - TimeDelta::hours(3)),
        &[("requests", "250")],
    )
    .await;
    support::usage(
        &app,
        "cust_a",
        &text(start - TimeDelta::days(1)),
        &[("requests", "1000")],
    )
    .await;

    let (_, body) = expect_status(current(&app, sub, "", WRITE_KEY).await, 200).await;
    assert_eq!(body["customer"], "cust_a");
    assert_eq!(body["currency"], "USD");
    assert_eq!(at(body["period"]["start"].as_str().unwrap()), start);
    let end = at(body["period"]["end"].as_str().unwrap());
    assert_eq!(
        end,
        start.checked_add_months(chrono::Months::new(1)).unwrap()
    );
    assert!(at(body["as_of"].as_str().unwrap()) >= now);
    assert_eq!(amounts(&body["lines"]), ["30.00", "2.50"]);
    assert_eq!(body["subtotal"], "32.50");
    assert_eq!(body["total"], "32.50");

    // With no more usage, the close makes exactly that invoice.
    let report = support::close(&app, &text(end + TimeDelta::hours(2)), false).await;
    assert_eq!(report.invoices, 2);
    let invoices = support::invoices(&app, "customer=cust_a").await;
    assert_eq!(amounts(&invoices[0]["lines"]), amounts(&body["lines"]));
    assert_eq!(invoices[0]["total"], body["total"]);

    // A customer's member reads its own subscription's, not another customer's.
    batch(
        &app,
        "INSERT INTO memberships (organization_id, subject, role, customer_id)
         SELECT id, 'carla', 'customer', 'cust_b' FROM organizations WHERE slug = 'default'",
    )
    .await
    .unwrap();
    let carla = token(&app, "carla", "default", Role::Customer).await;
    let (_, body) =
        expect_status(current(&app, other, "?customer=cust_b", &carla).await, 200).await;
    assert_eq!(amounts(&body["lines"]), ["30.00", "0.00"]);
    expect_error(
        current(&app, sub, "?customer=cust_b", &carla).await,
        404,
        "not_found",
    )
    .await;
    expect_error(
        current(&app, Uuid::now_v7(), "", WRITE_KEY).await,
        404,
        "not_found",
    )
    .await;
    let path = "/api/billing/subscriptions/not-a-uuid/current-usage";
    expect_error(
        send(call(&app, Method::GET, path, WRITE_KEY)).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminated_subscription_with_every_period_invoiced_is_a_conflict() {
    let app = support::spawn().await;
    let definition = json!({
        "base_fee": {"amount": "30.00", "timing": "in_arrears"},
        "trial_days": 0, "minimum_commitment": null, "charges": []
    });
    let plan = support::plan_version(&app, "basic", "USD", &definition).await;
    let customer = support::customer(&app, "cust_a", "USD").await;
    let phases = [(
        "2026-01-01T00:00:00Z",
        Some("2026-01-15T00:00:00Z"),
        plan,
        1,
        "created",
    )];
    let sub = support::subscription(
        &app,
        customer,
        "sub_a",
        "2026-01-01T00:00:00Z",
        &phases,
        Some("2026-01-15T00:00:00Z"),
    )
    .await;
    support::close(&app, "2026-01-15T02:00:00Z", false).await;
    expect_error(
        current(&app, sub, "", WRITE_KEY).await,
        409,
        "subscription_terminated",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_lago_mode_usage_to_date_is_refused_with_its_code() {
    let lago = MockServer::start().await;
    let app = crate::billing::lago_mode_spawn(lago.uri()).await;
    expect_error(
        current(&app, Uuid::now_v7(), "", WRITE_KEY).await,
        422,
        "engine_read_unsupported",
    )
    .await;
}
