//! Golden invoices: for each pricing model and billing rule, January 2026 is closed on real
//! PostgreSQL from known rollups and the invoices' JSON from the API is compared with
//! `tests/fixtures/golden/invoices/<name>.json`, to the cent. `UPDATE_GOLDEN=1` rewrites the
//! files (review the diff by hand: every figure is worked out in the test's comment).

mod edges;
mod failures;

use std::path::PathBuf;

use serde_json::{Value, json};

use super::period_close::support::{
    Phase, anchored_subscription, close, customer, invoices, plan_version, spawn, subscription,
    usage,
};
use crate::{
    billing::WRITE_KEY,
    identity::support::{batch, call, expect_status, send},
};
use reqwest::Method;

const JANUARY: &str = "2026-01-01T00:00:00Z";

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/golden/invoices")
        .join(format!("{name}.json"))
}

/// Ids differ per run; everything else is fixed by the inputs and the close's time.
fn stable(mut invoices: Vec<Value>) -> Value {
    for invoice in &mut invoices {
        invoice["id"] = json!("<id>");
    }
    Value::Array(invoices)
}

fn compare(name: &str, actual: &Value) {
    let path = golden_path(name);
    let text = serde_json::to_string_pretty(actual).expect("JSON") + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("the directory");
        std::fs::write(&path, &text).expect("the golden file is written");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    let expected: Value = serde_json::from_str(&expected).expect("golden JSON");
    assert_eq!(
        actual,
        &expected,
        "{name}: the invoices differ from {} (UPDATE_GOLDEN=1 rewrites it; review the diff)",
        path.display()
    );
}

fn charge(meter: &str, free: &str, minimum: Value, model: Value) -> Value {
    json!({"meter": meter, "free_units": free, "minimum": minimum, "model": model})
}

fn plan(base_fee: Value, minimum_commitment: Value, charges: Vec<Value>) -> Value {
    json!({"base_fee": base_fee, "trial_days": 0, "minimum_commitment": minimum_commitment,
           "charges": charges})
}

/// One customer on one plan from `start` (periods from January 1st), `events` as (time,
/// meters), January closed.
async fn single_plan(
    name: &str,
    start: &str,
    definition: Value,
    events: &[(&str, &[(&str, &str)])],
) {
    let app = spawn().await;
    let plan = plan_version(&app, name, "USD", &definition).await;
    let id = customer(&app, "cust_golden", "USD").await;
    let phases: [Phase<'_>; 1] = [(start, None, plan, 1, "created")];
    anchored_subscription(&app, (id, "sub_golden"), JANUARY, start, &phases, None).await;
    for (time, meters) in events {
        usage(&app, "cust_golden", time, meters).await;
    }
    close(&app, "2026-02-01T02:00:00Z", true).await;
    compare(name, &stable(invoices(&app, "").await));
}

fn unit_price(price: &str) -> Value {
    json!({"type": "per_unit", "unit_price": price})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_unit() {
    // 1,234,567 x 0.0000025 = 3.0864175 -> 3.09; 345,678 x 0.00001 = 3.45678 -> 3.46.
    let definition = plan(
        Value::Null,
        Value::Null,
        vec![
            charge("input_tokens", "0", Value::Null, unit_price("0.0000025")),
            charge("output_tokens", "0", Value::Null, unit_price("0.00001")),
        ],
    );
    let events: &[(&str, &[(&str, &str)])] = &[
        (
            "2026-01-03T10:15:00Z",
            &[("input_tokens", "1000000"), ("output_tokens", "300000")],
        ),
        (
            "2026-01-31T23:59:00Z",
            &[("input_tokens", "234567"), ("output_tokens", "45678")],
        ),
        // February's, not January's.
        ("2026-02-01T00:00:00Z", &[("input_tokens", "999999")]),
    ];
    single_plan("per_unit", JANUARY, definition, events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graduated() {
    // 12,345 requests: 1,000 x 0.01 + 9,000 x 0.005 + 2,345 x 0.001 = 10 + 45 + 2.345 = 57.345
    // -> 57.34 (half-even).
    let tiers = json!({"type": "graduated", "tiers": [
        {"up_to": "1000", "unit_price": "0.01"},
        {"up_to": "10000", "unit_price": "0.005"},
        {"up_to": null, "unit_price": "0.001"}]});
    let definition = plan(
        Value::Null,
        Value::Null,
        vec![charge("requests", "0", Value::Null, tiers)],
    );
    let events: &[(&str, &[(&str, &str)])] = &[
        ("2026-01-10T00:00:00Z", &[("requests", "12000")]),
        ("2026-01-20T13:37:00Z", &[("requests", "345")]),
    ];
    single_plan("graduated", JANUARY, definition, events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volume() {
    // 2,500,000 input tokens all at the second tier's 0.000002 = 5.00.
    let tiers = json!({"type": "volume", "tiers": [
        {"up_to": "1000000", "unit_price": "0.000003"},
        {"up_to": null, "unit_price": "0.000002"}]});
    let definition = plan(
        Value::Null,
        Value::Null,
        vec![charge("input_tokens", "0", Value::Null, tiers)],
    );
    let events: &[(&str, &[(&str, &str)])] =
        &[("2026-01-15T12:00:00Z", &[("input_tokens", "2500000")])];
    single_plan("volume", JANUARY, definition, events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn package() {
    // 2,345 requests in packages of 1,000 at 0.50: 3 packages = 1.50.
    let model = json!({"type": "package", "size": "1000", "price": "0.50"});
    let definition = plan(
        Value::Null,
        Value::Null,
        vec![charge("requests", "0", Value::Null, model)],
    );
    let events: &[(&str, &[(&str, &str)])] = &[("2026-01-02T00:01:00Z", &[("requests", "2345")])];
    single_plan("package", JANUARY, definition, events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn percentage_markup() {
    // LLM cost 12.3456789 USD + 20 % = 14.81481468 -> 14.81.
    let model = json!({"type": "percentage_markup", "percent": "20"});
    let definition = plan(
        Value::Null,
        Value::Null,
        vec![charge("cost_usd", "0", Value::Null, model)],
    );
    let events: &[(&str, &[(&str, &str)])] = &[
        ("2026-01-05T08:00:00Z", &[("cost_usd", "12.0000000")]),
        ("2026-01-25T08:00:00Z", &[("cost_usd", "0.3456789")]),
    ];
    single_plan("percentage_markup", JANUARY, definition, events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_allowance() {
    // 1,500 requests, the first 1,000 free, 500 x 0.01 = 5.00.
    let definition = plan(
        Value::Null,
        Value::Null,
        vec![charge("requests", "1000", Value::Null, unit_price("0.01"))],
    );
    let events: &[(&str, &[(&str, &str)])] = &[("2026-01-09T09:09:00Z", &[("requests", "1500")])];
    single_plan("free_allowance", JANUARY, definition, events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minimum_commitment() {
    // 100 requests x 0.01 = 1.00, topped up to the charge's 5.00 minimum (4.00), then the
    // period's usage (5.00) to the plan's 20.00 commitment (15.00): 20.00.
    let definition = plan(
        Value::Null,
        json!("20.00"),
        vec![charge("requests", "0", json!("5.00"), unit_price("0.01"))],
    );
    let events: &[(&str, &[(&str, &str)])] = &[("2026-01-19T19:19:00Z", &[("requests", "100")])];
    single_plan("minimum_commitment", JANUARY, definition, events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_advance_base_fee() {
    // Started January 10th: the opening invoice bills 22 of January's 31 days of 49.00
    // (34.774... -> 34.77); January's closing invoice bills its usage (250 x 0.01 = 2.50) and
    // February's fee in advance, in full (49.00): 51.50.
    let definition = plan(
        json!({"amount": "49.00", "timing": "in_advance"}),
        Value::Null,
        vec![charge("requests", "0", Value::Null, unit_price("0.01"))],
    );
    let events: &[(&str, &[(&str, &str)])] = &[("2026-01-21T00:00:00Z", &[("requests", "250")])];
    single_plan(
        "in_advance_base_fee",
        "2026-01-10T00:00:00Z",
        definition,
        events,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_mid_period() {
    // Basic (31.00 in arrears, 0.01 a request) until January 11th 10:30, Pro (62.00, 0.02)
    // from then. Days are counted from date to date, the day of the change going to the later
    // phase: Basic's 10 of 31 days = 10.00 and its 110 requests = 1.10; Pro's 21 of 31 days =
    // 42.00 and its 220 requests = 4.40; 57.50. Usage splits at the minute of the upgrade.
    let app = spawn().await;
    let fee = |amount: &str| json!({"amount": amount, "timing": "in_arrears"});
    let basic = plan(
        fee("31.00"),
        Value::Null,
        vec![charge("requests", "0", Value::Null, unit_price("0.01"))],
    );
    let pro = plan(
        fee("62.00"),
        Value::Null,
        vec![charge("requests", "0", Value::Null, unit_price("0.02"))],
    );
    let basic = plan_version(&app, "basic", "USD", &basic).await;
    let pro = plan_version(&app, "pro", "USD", &pro).await;
    let id = customer(&app, "cust_golden", "USD").await;
    let upgrade = "2026-01-11T10:30:00Z";
    let phases: [Phase<'_>; 2] = [
        (JANUARY, Some(upgrade), basic, 1, "created"),
        (upgrade, None, pro, 1, "upgrade"),
    ];
    subscription(&app, id, "sub_golden", JANUARY, &phases, None).await;
    for (time, requests) in [
        ("2026-01-05T00:00:00Z", "100"),
        ("2026-01-11T10:29:00Z", "10"),
        ("2026-01-11T10:30:00Z", "20"),
        ("2026-01-20T00:00:00Z", "200"),
    ] {
        usage(&app, "cust_golden", time, &[("requests", requests)]).await;
    }
    close(&app, "2026-02-01T02:00:00Z", true).await;
    compare("upgrade_mid_period", &stable(invoices(&app, "").await));
}

fn in_advance(fee: &str, unit_price_each: &str) -> Value {
    plan(
        json!({"amount": fee, "timing": "in_advance"}),
        Value::Null,
        vec![charge(
            "requests",
            "0",
            Value::Null,
            unit_price(unit_price_each),
        )],
    )
}

/// Basic upgraded to Pro, both paid in advance; the opening invoice issued on January 1st
/// (`open_first`) or by the same close as January's (the credit then reads what it paid from
/// the invoice written in that batch). The invoices, oldest first.
async fn upgraded_in_advance(open_first: bool) -> Vec<Value> {
    // Basic (30.00 in advance, 0.01 a request) from January 1st, Pro (90.00 in advance, 0.02)
    // from January 11th 10:30. The opening invoice (closed on January 1st) bills Basic's
    // January in full: 30.00. January's closing invoice, in order:
    // - Basic's 110 requests: 1.10;
    // - Basic's unused days, 21 of 31: 30.00 paid less its 10 used days' fee, 30 x 10 / 31 =
    //   9.677... -> 9.68, so -20.32 (the 10 days cost exactly 9.68 in all);
    // - Pro's in-advance fee for its 21 of 31 days: 90 x 21 / 31 = 60.967... -> 60.97;
    // - Pro's 220 requests: 4.40;
    // - February's Pro fee in advance: 90.00.
    // Subtotal 1.10 - 20.32 + 60.97 + 4.40 + 90.00 = 136.15, no tax, total 136.15.
    let app = spawn().await;
    let basic = plan_version(&app, "basic", "USD", &in_advance("30.00", "0.01")).await;
    let pro = plan_version(&app, "pro", "USD", &in_advance("90.00", "0.02")).await;
    let id = customer(&app, "cust_golden", "USD").await;
    let upgrade = "2026-01-11T10:30:00Z";
    let phases: [Phase<'_>; 2] = [
        (JANUARY, Some(upgrade), basic, 1, "created"),
        (upgrade, None, pro, 1, "upgrade"),
    ];
    subscription(&app, id, "sub_golden", JANUARY, &phases, None).await;
    if open_first {
        close(&app, "2026-01-01T00:05:00Z", true).await;
    }
    for (time, requests) in [
        ("2026-01-05T00:00:00Z", "110"),
        ("2026-01-20T00:00:00Z", "220"),
    ] {
        usage(&app, "cust_golden", time, &[("requests", requests)]).await;
    }
    close(&app, "2026-02-01T02:00:00Z", true).await;
    let all = invoices(&app, "").await;
    let totals: Vec<&str> = all.iter().filter_map(|i| i["total"].as_str()).collect();
    assert_eq!(totals, ["30.00", "136.15"], "open first: {open_first}");
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_in_advance() {
    compare(
        "upgrade_in_advance",
        &stable(upgraded_in_advance(true).await),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_in_advance_opened_by_the_same_close() {
    let all = upgraded_in_advance(false).await;
    assert_eq!(all[1]["lines"][1]["amount"], "-20.32");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_in_advance() {
    // Basic (30.00 in advance, 0.50 a request) from January 1st: each opening invoice bills
    // 30.00 for January. Both subscriptions terminate on January 11th 10:30, leaving 21 of 31
    // days unused: 30.00 less the 10 used days' 9.68 (30 x 10 / 31 = 9.677...) is 20.32 back,
    // by a credit note against the opening invoice, in full whatever the final invoice bills:
    // - cust_big used 60 requests: its final invoice is 30.00, its credit note 20.32;
    // - cust_small used 8 requests: its final invoice is 4.00, its credit note 20.32 too (a
    //   credit line would have stopped at 4.00, and 16.32 would have been lost).
    let app = spawn().await;
    let basic = plan_version(&app, "basic", "USD", &in_advance("30.00", "0.50")).await;
    let mut subscriptions = Vec::new();
    for (name, requests) in [("cust_big", "60"), ("cust_small", "8")] {
        let id = customer(&app, name, "USD").await;
        let phases: [Phase<'_>; 1] = [(JANUARY, None, basic, 1, "created")];
        let sub = subscription(&app, id, &format!("sub_{name}"), JANUARY, &phases, None).await;
        subscriptions.push(sub);
        usage(
            &app,
            name,
            "2026-01-05T00:00:00Z",
            &[("requests", requests)],
        )
        .await;
    }
    close(&app, "2026-01-01T00:05:00Z", true).await;
    // Terminated after the opening invoices were issued, as the API would.
    let end = "2026-01-11T10:30:00Z";
    for sub in &subscriptions {
        batch(
            &app,
            &format!(
                "UPDATE billing_subscriptions SET status = 'terminated', terminated_at = '{end}'
                 WHERE id = '{sub}';
                 UPDATE billing_subscription_phases SET ends_at = '{end}'
                 WHERE subscription_id = '{sub}';"
            ),
        )
        .await
        .expect("the subscription is terminated");
    }
    close(&app, "2026-01-11T12:00:00Z", true).await;
    let all = invoices(&app, "").await;
    let summary: Vec<(&str, Vec<&str>, &str)> = all
        .iter()
        .map(|invoice| {
            let amounts = invoice["lines"]
                .as_array()
                .expect("lines")
                .iter()
                .filter_map(|line| line["amount"].as_str())
                .collect();
            let customer = invoice["customer"].as_str().unwrap_or_default();
            (
                customer,
                amounts,
                invoice["total"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("cust_big", vec!["30.00"], "30.00"),
            ("cust_small", vec!["30.00"], "30.00"),
            ("cust_big", vec!["30.00"], "30.00"),
            ("cust_small", vec!["4.00"], "4.00"),
        ]
    );
    let mut notes = Vec::new();
    for opening in &all[..2] {
        let id = opening["id"].as_str().unwrap_or_default();
        let path = format!("/api/billing/invoices/{id}/credit-notes");
        let (_, listed) =
            expect_status(send(call(&app, Method::GET, &path, WRITE_KEY)).await, 200).await;
        for mut note in listed["data"].as_array().cloned().unwrap_or_default() {
            assert_eq!(note["invoice_number"], opening["number"]);
            note["id"] = json!("<id>");
            note["invoice_id"] = json!("<id>");
            notes.push(note);
        }
    }
    let totals: Vec<(&str, &str)> = notes
        .iter()
        .map(|n| {
            (
                n["number"].as_str().unwrap_or_default(),
                n["total"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        totals,
        [
            ("CN-DEFAULT-000001", "20.32"),
            ("CN-DEFAULT-000002", "20.32")
        ]
    );
    compare("terminate_in_advance", &stable(all));
    compare("terminate_in_advance_credit_notes", &Value::Array(notes));
}
