//! The embedded period close on real PostgreSQL: one invoice per subscription and period
//! however many closers run and however often, late usage waited for, terminations,
//! renewals.

mod claims;
pub mod support;

use serde_json::json;

use crate::identity::support::{batch, execute, org_id};
use support::{at, close, closer, customer, invoices, plan_version, spawn, subscription, usage};

fn arrears_plan() -> serde_json::Value {
    json!({
        "base_fee": {"amount": "31.00", "timing": "in_arrears"},
        "trial_days": 0,
        "minimum_commitment": null,
        "charges": [{"meter": "requests", "free_units": "0", "minimum": null,
                     "model": {"type": "per_unit", "unit_price": "0.01"}}]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_closers_at_once_and_a_second_run_make_one_invoice_per_subscription_and_period() {
    let app = spawn().await;
    let plan = plan_version(&app, "basic", "USD", &arrears_plan()).await;
    for n in 0..6 {
        let external = format!("cust_{n}");
        let id = customer(&app, &external, "USD").await;
        let phases = [("2026-01-01T00:00:00Z", None, plan, 1, "created")];
        subscription(
            &app,
            id,
            &format!("sub_{n}"),
            "2026-01-01T00:00:00Z",
            &phases,
            None,
        )
        .await;
        usage(
            &app,
            &external,
            "2026-01-15T10:00:00Z",
            &[("requests", "100")],
        )
        .await;
        usage(
            &app,
            &external,
            "2026-02-15T10:00:00Z",
            &[("requests", "200")],
        )
        .await;
    }

    // Two closers race over the same six subscriptions (two per batch), each behind by two
    // periods (January and February).
    let (first, second) = (closer(&app, true), closer(&app, true));
    let when = Some(at("2026-03-01T02:00:00Z"));
    let (a, b) = tokio::join!(first.close_due(when), second.close_due(when));
    let (a, b) = (a.expect("closer A runs"), b.expect("closer B runs"));
    assert_eq!(a.invoices + b.invoices, 12, "{a:?} {b:?}");
    assert_eq!(a.periods + b.periods, 12);
    assert_eq!(app.count("billing_invoices").await, 12);
    let per_period = app
        .scalar_text(
            "SELECT count(*)::text AS value FROM (SELECT subscription_id, period_start
             FROM billing_invoices GROUP BY 1, 2 HAVING count(*) > 1) d",
        )
        .await;
    assert_eq!(per_period.as_deref(), Some("0"));
    // Numbers: 1 to 12, no gap, no duplicate.
    let numbers = app
        .texts("SELECT number AS value FROM billing_invoices ORDER BY sequence")
        .await;
    let expected: Vec<Option<String>> = (1..=12).map(|n| Some(format!("DEFAULT-{n:06}"))).collect();
    assert_eq!(numbers, expected);
    assert_eq!(
        app.count_where(
            "billing_subscriptions",
            "invoiced_through = '2026-03-01T00:00:00Z'"
        )
        .await,
        6
    );
    assert_eq!(
        app.count_where("audit_log", "action = 'invoice.finalize'")
            .await,
        12
    );

    // Again, and later the same day: nothing more.
    let again = close(&app, "2026-03-01T05:00:00Z", true).await;
    assert_eq!((again.invoices, again.periods), (0, 0));
    assert_eq!(app.count("billing_invoices").await, 12);

    // The unique index is the last guard, whatever a closer would try.
    let duplicate = execute(
        &app,
        "INSERT INTO billing_invoices (id, organization_id, customer_id, subscription_id,
            source, kind, period_start, period_end, status, currency, subtotal, tax, total,
            issued_at)
         SELECT gen_random_uuid(), organization_id, customer_id, subscription_id, 'embedded',
                'closing', period_start, period_end, 'draft', currency, 0, 0, 0, now()
         FROM billing_invoices LIMIT 1",
    )
    .await;
    assert!(
        duplicate.is_err(),
        "a second invoice for a period is refused"
    );

    // Each invoice bills its own month: 31.00 + 100 or 200 requests at 0.01.
    let january = invoices(&app, "customer=cust_3").await;
    let totals: Vec<&str> = january
        .iter()
        .map(|i| i["total"].as_str().expect("a total"))
        .collect();
    assert_eq!(totals, vec!["32.00", "33.00"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_period_waits_for_its_grace_and_for_usage_still_on_its_way() {
    let app = spawn().await;
    let plan = plan_version(&app, "basic", "USD", &arrears_plan()).await;
    let id = customer(&app, "cust_1", "USD").await;
    let phases = [("2026-01-01T00:00:00Z", None, plan, 1, "created")];
    subscription(&app, id, "sub_1", "2026-01-01T00:00:00Z", &phases, None).await;

    assert_eq!(close(&app, "2026-02-01T00:30:00Z", true).await.invoices, 0);

    // An event of January 31st still pending for the embedded meters holds January back.
    let org = org_id(&app, "default").await;
    batch(
        &app,
        &format!(
            "INSERT INTO usage_events (organization_id, idempotency_key, occurred_at,
                customer_id, status, prompt_tokens, completion_tokens, total_tokens,
                cached_tokens, reasoning_tokens, cost_usd, cache_hit, stream)
             VALUES ('{org}', 'late-1', '2026-01-31T23:59:00Z', 'cust_1', 'success', 1, 1, 2,
                     0, 0, 0.001, false, false);
             INSERT INTO outbox (event_id, organization_id, target)
             SELECT id, organization_id, 'embedded_meter' FROM usage_events;"
        ),
    )
    .await
    .expect("a pending event");
    assert_eq!(close(&app, "2026-02-01T02:00:00Z", true).await.invoices, 0);

    execute(&app, "UPDATE outbox SET state = 'delivered'")
        .await
        .expect("delivered");
    usage(&app, "cust_1", "2026-01-31T23:59:00Z", &[("requests", "1")]).await;
    let report = close(&app, "2026-02-01T02:00:00Z", true).await;
    assert_eq!(report.invoices, 1);
    let invoice = &invoices(&app, "").await[0];
    assert_eq!(invoice["lines"][1]["quantity"], "1");
    assert_eq!(invoice["total"], "31.01");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_termination_bills_a_final_partial_period_and_renewals_move_to_the_latest_version() {
    let app = spawn().await;
    let plan = plan_version(&app, "basic", "USD", &arrears_plan()).await;
    let ended = customer(&app, "cust_ended", "USD").await;
    let phases = [(
        "2026-01-01T00:00:00Z",
        Some("2026-01-16T00:00:00Z"),
        plan,
        1,
        "created",
    )];
    subscription(
        &app,
        ended,
        "sub_ended",
        "2026-01-01T00:00:00Z",
        &phases,
        Some("2026-01-16T00:00:00Z"),
    )
    .await;
    let renewed = customer(&app, "cust_renewed", "USD").await;
    let phases = [("2026-01-01T00:00:00Z", None, plan, 1, "created")];
    subscription(
        &app,
        renewed,
        "sub_renewed",
        "2026-01-01T00:00:00Z",
        &phases,
        None,
    )
    .await;
    // Version 2 raises the base fee; running subscriptions keep version 1 until they renew.
    let mut raised = arrears_plan();
    raised["base_fee"]["amount"] = json!("62.00");
    plan_version(&app, "basic", "USD", &raised).await;

    let report = close(&app, "2026-03-01T02:00:00Z", false).await;
    assert_eq!((report.invoices, report.renewals), (3, 1), "{report:?}");
    let ended = invoices(&app, "customer=cust_ended").await;
    assert_eq!(ended.len(), 1, "nothing after the termination");
    assert_eq!(ended[0]["period"]["end"], "2026-01-16T00:00:00Z");
    assert_eq!(
        ended[0]["lines"][0]["description"],
        "Base fee, in arrears (15 of 31 days)"
    );
    assert_eq!(ended[0]["total"], "15.00");
    assert_eq!(ended[0]["status"], "draft");
    assert_eq!(ended[0]["number"], serde_json::Value::Null);

    let renewed = invoices(&app, "customer=cust_renewed").await;
    let totals: Vec<&str> = renewed
        .iter()
        .map(|i| i["total"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        totals,
        vec!["31.00", "62.00"],
        "February is billed on version 2"
    );
    let phases = app
        .texts(
            "SELECT plan_version || ' ' || reason AS value FROM billing_subscription_phases p
             JOIN billing_subscriptions s ON s.id = p.subscription_id
             WHERE s.external_id = 'sub_renewed' ORDER BY starts_at",
        )
        .await;
    assert_eq!(
        phases,
        vec![Some("1 created".to_owned()), Some("2 renewal".to_owned())]
    );
}
