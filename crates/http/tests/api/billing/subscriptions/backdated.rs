//! Subscriptions that start in the past: the next close invoices every period that has
//! already ended from the usage already metered, in-advance fees included.

use chrono::{DateTime, DurationRound, Months, SecondsFormat, TimeDelta, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use super::{SUBSCRIPTIONS, subscribe};
use crate::{
    billing::{WRITE_KEY, period_close::support},
    identity::support::{call, expect_status, send},
};

fn text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn backdated_plan() -> Value {
    json!({
        "code": "migrated",
        "name": "Migrated",
        "interval": "monthly",
        "currency": "USD",
        "base_fee": { "amount": "30.00", "timing": "in_advance" },
        "trial_days": 0,
        "charges": [
            { "meter": "input_tokens", "model": { "type": "per_unit", "unit_price": "0.001" } }
        ]
    })
}

/// (start, end, kind, amount) of each line of each invoice, oldest invoice first.
fn lines(invoices: &[Value]) -> Vec<Vec<(String, String, String, String)>> {
    invoices
        .iter()
        .map(|invoice| {
            invoice["lines"]
                .as_array()
                .expect("lines")
                .iter()
                .map(|line| {
                    let field = |name: &str| line[name].as_str().unwrap_or_default().to_owned();
                    (
                        line["period"]["start"]
                            .as_str()
                            .expect("a start")
                            .to_owned(),
                        line["period"]["end"].as_str().expect("an end").to_owned(),
                        field("kind"),
                        field("amount"),
                    )
                })
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backdated_subscription_bills_its_ended_periods_at_the_next_close() {
    let app = support::spawn().await;
    let request = call(&app, Method::POST, "/api/billing/plans", WRITE_KEY);
    expect_status(send(request.json(&backdated_plan())).await, 201).await;
    let customer = support::customer(&app, "cust_moved", "USD").await;

    // Started 70 days ago at midnight: two monthly periods have ended, a third runs.
    let now = Utc::now();
    let start = (now - TimeDelta::days(70))
        .duration_trunc(TimeDelta::days(1))
        .expect("a day");
    let second = start + Months::new(1);
    let third = start + Months::new(2);
    let fourth = start + Months::new(3);
    assert!(third < now - TimeDelta::hours(2) && now < fourth);
    // Metered before the subscription existed: 1,000, 2,000 and (not yet billed) 4,000 tokens.
    for (at, tokens) in [
        (start + TimeDelta::hours(30), "1000"),
        (second + TimeDelta::hours(5), "2000"),
        (third + TimeDelta::minutes(90), "4000"),
    ] {
        support::usage(&app, "cust_moved", &text(at), &[("input_tokens", tokens)]).await;
    }

    let body =
        json!({ "customer_id": customer, "plan_code": "migrated", "starts_at": text(start) });
    let (_, created) = expect_status(subscribe(&app, WRITE_KEY, &body).await, 201).await;
    assert_eq!(created["status"], "active");
    assert_eq!(created["invoiced_through"], text(start));
    assert_eq!(created["current_period"]["start"], text(third));
    assert_eq!(
        app.count_where("audit_log", "action = 'subscription.create_backdated'")
            .await,
        1
    );

    let report = support::close(&app, &text(now), true).await;
    assert_eq!(report.failed, 0, "{report:?}");
    let invoices = support::invoices(&app, "").await;
    let owned = |a: DateTime<Utc>, b: DateTime<Utc>, kind: &str, amount: &str| {
        (text(a), text(b), kind.to_owned(), amount.to_owned())
    };
    assert_eq!(
        lines(&invoices),
        [
            // The first period's fee, in advance.
            vec![owned(start, second, "base_fee", "30.00")],
            // The first period's usage, and the second period's fee.
            vec![
                owned(start, second, "usage", "1.00"),
                owned(second, third, "base_fee", "30.00"),
            ],
            // The second period's usage, and the running period's fee.
            vec![
                owned(second, third, "usage", "2.00"),
                owned(third, fourth, "base_fee", "30.00"),
            ],
        ]
    );
    assert!(
        invoices
            .iter()
            .all(|invoice| invoice["status"] == "finalized"),
        "{invoices:?}"
    );
    // A second close finds nothing more to bill until the running period ends.
    let again = support::close(&app, &text(now), true).await;
    assert_eq!(again.invoices, 0, "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backdating_is_bounded_and_plan_changes_take_no_effective_time() {
    let app = support::spawn().await;
    let request = call(&app, Method::POST, "/api/billing/plans", WRITE_KEY);
    expect_status(send(request.json(&backdated_plan())).await, 201).await;
    let customer = support::customer(&app, "cust_bounded", "USD").await;

    // billing.max_backdate_days is 366 by default.
    let too_old = text(Utc::now() - TimeDelta::days(367));
    let body = json!({ "customer_id": customer, "plan_code": "migrated", "starts_at": too_old });
    let (_, refused) = expect_status(subscribe(&app, WRITE_KEY, &body).await, 422).await;
    assert_eq!(refused["error"]["code"], "invalid_value", "{refused}");
    let message = refused["error"]["message"].as_str().expect("a message");
    assert!(message.contains("max_backdate_days"), "{message}");
    assert_eq!(app.count("billing_subscriptions").await, 0);

    let start = text(Utc::now() - TimeDelta::days(365));
    let body = json!({ "customer_id": customer, "plan_code": "migrated", "starts_at": start });
    let (_, created) = expect_status(subscribe(&app, WRITE_KEY, &body).await, 201).await;
    let id = created["id"].as_str().expect("an id");

    // An upgrade cannot be backdated (Lago has no effective date for a plan change).
    let mut pricier = backdated_plan();
    pricier["code"] = json!("pricier");
    pricier["base_fee"]["amount"] = json!("90.00");
    let request = call(&app, Method::POST, "/api/billing/plans", WRITE_KEY);
    expect_status(send(request.json(&pricier)).await, 201).await;
    let path = format!("{SUBSCRIPTIONS}/{id}/upgrade");
    let last_month = text(Utc::now() - TimeDelta::days(30));
    let request = call(&app, Method::POST, &path, WRITE_KEY)
        .json(&json!({ "plan_code": "pricier", "effective_at": last_month }));
    let (_, refused) = expect_status(send(request).await, 422).await;
    assert_eq!(
        refused["error"]["code"], "effective_time_unsupported",
        "{refused}"
    );
    let message = refused["error"]["message"].as_str().expect("a message");
    assert!(message.contains("takes effect now"), "{message}");
    assert_eq!(
        app.count_where("audit_log", "action LIKE 'subscription.upgrade%'")
            .await,
        0
    );
}
