//! A month with a failed call that still reported prompt tokens (a provider 500): not billed by
//! default, billed by a charge with `include_failures`.

use serde_json::{Value, json};

use super::{JANUARY, charge, compare, plan, stable, unit_price};
use crate::billing::period_close::support::{
    Phase, anchored_subscription, close, customer, invoices, plan_version, spawn, usage,
    usage_with_status,
};

/// Per input token 0.00001 and per request 0.01; `include_failures` on both charges or not.
fn definition(include_failures: bool) -> Value {
    let mut charges = vec![
        charge("input_tokens", "0", Value::Null, unit_price("0.00001")),
        charge("requests", "0", Value::Null, unit_price("0.01")),
    ];
    for charge in &mut charges {
        charge["include_failures"] = json!(include_failures);
    }
    plan(Value::Null, Value::Null, charges)
}

async fn january_with_a_failed_call(name: &str, include_failures: bool) {
    let app = spawn().await;
    let plan = plan_version(&app, name, "USD", &definition(include_failures)).await;
    let id = customer(&app, "cust_golden", "USD").await;
    let phases: [Phase<'_>; 1] = [(JANUARY, None, plan, 1, "created")];
    anchored_subscription(&app, (id, "sub_golden"), JANUARY, JANUARY, &phases, None).await;
    usage(
        &app,
        "cust_golden",
        "2026-01-12T09:30:00Z",
        &[
            ("input_tokens", "120000"),
            ("output_tokens", "800"),
            ("requests", "3"),
        ],
    )
    .await;
    // The provider answered 500 after reading a 250,000-token prompt.
    usage_with_status(
        &app,
        "cust_golden",
        "2026-01-20T16:05:00Z",
        "failure",
        &[("input_tokens", "250000"), ("requests", "1")],
    )
    .await;
    close(&app, "2026-02-01T02:00:00Z", true).await;
    compare(name, &stable(invoices(&app, "").await));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_calls_are_not_billed() {
    // 120,000 x 0.00001 = 1.20; 3 x 0.01 = 0.03. The failed call's 250,000 tokens and its
    // request are left out.
    january_with_a_failed_call("failed_call_not_billed", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_calls_are_billed_when_the_charge_includes_them() {
    // 370,000 x 0.00001 = 3.70; 4 x 0.01 = 0.04.
    january_with_a_failed_call("failed_call_included", true).await;
}
