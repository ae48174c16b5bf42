//! Usage exactly over `[start, end)`: a subscription that starts at 10:00:41 and is terminated
//! at 16:30:20 bills the calls made from its first second to its last, and none made in the
//! same minutes outside it. Events go in through the LiteLLM webhook and the embedded meters,
//! as in production; the whole minutes come from the rollups, the partial ones from the events.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::{charge, compare, plan, stable, unit_price};
use crate::{
    billing::{WRITE_KEY, api_key, period_close::support},
    delivery::{dispatcher, drain, pool, post_all},
    helpers::{TestApp, event_with_call_id},
};

const START: &str = "2026-03-02T10:00:41Z";
const END: &str = "2026-03-20T16:30:20Z";

/// One call of `cust_edges` ending at `at`, reading `prompt` tokens; failed when `failed`.
fn call(n: usize, at: DateTime<Utc>, prompt: u64, failed: bool) -> Value {
    let mut event = event_with_call_id(&format!("edge-{n}"));
    let end = at.timestamp_micros() as f64 / 1e6;
    event["endTime"] = json!(end);
    event["startTime"] = json!(end - 0.25);
    event["completionStartTime"] = json!(end);
    event["end_user"] = json!("cust_edges");
    event["prompt_tokens"] = json!(prompt);
    if failed {
        event["status"] = json!("failure");
        event["completion_tokens"] = json!(0);
        event["total_tokens"] = json!(prompt);
        event["response_cost"] = json!(0);
        event["error_information"] =
            json!({"error_code": "500", "error_class": "InternalServerError"});
    } else {
        event["completion_tokens"] = json!(20);
        event["total_tokens"] = json!(prompt + 20);
    }
    event
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_is_billed_from_the_first_second_to_the_last_not_by_whole_minutes() {
    // Events as old as these are refused by default (400 days); the test must not age.
    let app = TestApp::spawn_with(|settings| {
        settings.billing.close_every_secs = 0;
        settings.delivery.run_in_server = false;
        settings.ingest.max_event_age_days = 36_500;
    })
    .await;
    api_key(&app, "default", WRITE_KEY, "billing:read,billing:write").await;
    // 0.10 a successful request; 0.001 an input token, failed calls' included.
    let mut tokens = charge("input_tokens", "0", Value::Null, unit_price("0.001"));
    tokens["include_failures"] = json!(true);
    let definition = plan(
        Value::Null,
        Value::Null,
        vec![
            charge("requests", "0", Value::Null, unit_price("0.10")),
            tokens,
        ],
    );
    let plan = support::plan_version(&app, "edges", "USD", &definition).await;
    let customer = support::customer(&app, "cust_edges", "USD").await;
    let phases: [support::Phase<'_>; 1] = [(START, Some(END), plan, 1, "created")];
    support::subscription(&app, customer, "sub_edges", START, &phases, Some(END)).await;

    let (start, end) = (support::at(START), support::at(END));
    let s = |base: DateTime<Utc>, seconds: i64| base + TimeDelta::seconds(seconds);
    let mut calls = vec![
        // 41 s before the start, in its minute: not the subscription's.
        call(0, s(start, -41), 100, false),
        // In the first, partial minute: billed.
        call(1, s(start, 9), 100, false),
        // Whole minutes, from the rollups.
        call(2, support::at("2026-03-10T12:00:00Z"), 100, false),
        call(3, support::at("2026-03-10T12:00:59.999Z"), 100, false),
        // A failed call in the last, partial minute: its tokens only (the tokens' charge
        // includes failures, the requests' does not).
        call(4, s(end, -15), 1_000, true),
        // After the termination, in its minute and the next: not billed.
        call(5, s(end, 10), 100, false),
        call(6, s(end, 40), 100, false),
    ];
    // Five calls in the last, partial minute before the termination: billed.
    for n in 0..5 {
        calls.push(call(7 + n, s(end, -20 + 4 * n as i64), 100, false));
    }
    post_all(&app, &calls).await;
    let delivered = drain(&dispatcher(&pool(&app), 50)).await;
    assert_eq!(delivered, calls.len(), "every call is in the rollups");

    let report = support::close(&app, "2026-03-20T18:00:00Z", true).await;
    assert_eq!(report.invoices, 1, "{report:?}");
    let invoices = support::invoices(&app, "").await;
    let lines: Vec<(&str, &str, &str)> = invoices[0]["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|line| {
            let field = |name: &str| line[name].as_str().unwrap_or_default();
            (field("meter"), field("quantity"), field("amount"))
        })
        .collect();
    // Requests: 1 + 2 + 5 = 8 successful calls, 0.80. Input tokens: those 8 calls' 800 and
    // the failed call's 1,000: 1,800, 1.80. (Floored to the minute, the old close billed the
    // call 41 s early and missed the last five and the failed one: 4 requests, 400 tokens.)
    assert_eq!(
        lines,
        [("requests", "8", "0.80"), ("input_tokens", "1800", "1.80")]
    );
    assert_eq!(invoices[0]["total"], "2.60");
    assert_eq!(invoices[0]["period"]["start"], START);
    assert_eq!(invoices[0]["period"]["end"], END);
    compare("usage_edges", &stable(invoices));
}
