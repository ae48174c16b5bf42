//! What a close pass claims (locks) during subscriptions' first period: only those still
//! awaiting an opening invoice they can get, so repeated passes leave the others alone; and
//! the opening's fee, billed from a trial's end, is what an upgrade's credit gives back from.

use serde_json::{Value, json};

use super::support::{at, close, closer, customer, invoices, plan_version, spawn, subscription};
use crate::identity::support::{batch, execute};

fn plan(base_fee: Value) -> Value {
    json!({
        "base_fee": base_fee,
        "trial_days": 0,
        "minimum_commitment": null,
        "charges": [{"meter": "requests", "free_units": "0", "minimum": null,
                     "model": {"type": "per_unit", "unit_price": "0.01"}}]
    })
}

fn fee(amount: &str, timing: &str) -> Value {
    json!({"amount": amount, "timing": timing})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_during_the_first_period_claim_only_subscriptions_awaiting_their_opening() {
    let app = spawn().await;
    let advance = plan_version(&app, "advance", "USD", &plan(fee("31.00", "in_advance"))).await;
    let arrears = plan_version(&app, "arrears", "USD", &plan(fee("31.00", "in_arrears"))).await;
    let free = plan_version(&app, "free", "USD", &plan(Value::Null)).await;
    let start = "2026-01-01T00:00:00Z";
    for (name, plan) in [
        ("advance", advance),
        ("arrears", arrears),
        ("free", free),
        ("trial", advance),
    ] {
        let id = customer(&app, &format!("cust_{name}"), "USD").await;
        let phases = [(start, None, plan, 1, "created")];
        subscription(&app, id, &format!("sub_{name}"), start, &phases, None).await;
    }
    // A trial past the first period's end: that period has no fee to open with.
    execute(
        &app,
        "UPDATE billing_subscriptions SET trial_ends_at = '2026-02-15T00:00:00Z'
         WHERE external_id = 'sub_trial'",
    )
    .await
    .expect("a trial");

    let first = close(&app, "2026-01-01T12:00:00Z", true).await;
    assert_eq!((first.claimed, first.invoices), (1, 1), "{first:?}");
    let opened = invoices(&app, "customer=cust_advance").await;
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0]["total"], "31.00");

    // Later in January: no period ended, every opening is out. Nothing is locked.
    for time in ["2026-01-01T12:01:00Z", "2026-01-20T00:00:00Z"] {
        let again = close(&app, time, true).await;
        assert_eq!((again.claimed, again.invoices), (0, 0), "{time}: {again:?}");
    }

    // January still closes for all four.
    let january = close(&app, "2026-02-01T02:00:00Z", true).await;
    assert_eq!((january.periods, january.invoices), (4, 4), "{january:?}");
    assert_eq!(app.count("billing_invoices").await, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_after_a_trial_credits_the_opening_fee_its_days_did_not_use() {
    let app = spawn().await;
    let basic = plan_version(&app, "basic", "USD", &plan(fee("31.00", "in_advance"))).await;
    let pro = plan_version(&app, "pro", "USD", &plan(fee("62.00", "in_advance"))).await;
    let id = customer(&app, "cust_1", "USD").await;
    let (start, trial_end, upgrade) = (
        "2026-01-01T00:00:00Z",
        "2026-01-11T00:00:00Z",
        "2026-01-21T00:00:00Z",
    );
    let phases = [(start, None, basic, 1, "created")];
    subscription(&app, id, "sub_1", start, &phases, None).await;
    execute(
        &app,
        &format!("UPDATE billing_subscriptions SET trial_ends_at = '{trial_end}'"),
    )
    .await
    .expect("a trial");

    // The opening bills the 21 days after the trial, and names them.
    let opening = closer(&app, true)
        .close_due(Some(at("2026-01-01T12:00:00Z")))
        .await
        .expect("the close runs");
    assert_eq!(opening.invoices, 1);
    let opened = invoices(&app, "").await;
    assert_eq!(opened[0]["total"], "21.00");
    assert_eq!(opened[0]["lines"][0]["period"]["start"], trial_end);

    batch(
        &app,
        &format!(
            "UPDATE billing_subscription_phases SET ends_at = '{upgrade}';
             INSERT INTO billing_subscription_phases (subscription_id, organization_id,
                starts_at, plan_id, plan_version, reason)
             SELECT subscription_id, organization_id, '{upgrade}', '{pro}', 1, 'upgrade'
             FROM billing_subscription_phases LIMIT 1"
        ),
    )
    .await
    .expect("an upgrade on January 21st");

    close(&app, "2026-02-01T02:00:00Z", true).await;
    let closing = &invoices(&app, "").await[1];
    // Kind, amount and the day the line's period starts.
    let lines: Vec<String> = closing["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|line| {
            let start = line["period"]["start"].as_str().unwrap_or("");
            let day = start.get(..10).unwrap_or(start);
            format!("{} {} {day}", line["kind"], line["amount"])
        })
        .collect();
    // basic's usage for its days; 21.00 paid less its 10 used days' 10.00 back for the rest;
    // pro from the 21st (11 of 31 days of 62); February's pro fee.
    assert_eq!(
        lines,
        vec![
            r#""usage" "0.00" 2026-01-01"#,
            r#""unused_time_credit" "-11.00" 2026-01-21"#,
            r#""base_fee" "22.00" 2026-01-21"#,
            r#""usage" "0.00" 2026-01-21"#,
            r#""base_fee" "62.00" 2026-02-01"#,
        ]
    );
    assert_eq!(closing["total"], "73.00");
}
