//! Invoice webhooks keep `billing_invoices` (`source = 'lago'`) and its lines up to date, once
//! per unique key, never backwards.

use super::{
    LAGO_INVOICE_ID, add_customer, invoice_webhook, new_key, post_hmac, post_jwt, spawn_lago,
};
use crate::helpers::TestApp;

/// The view's row as `status|payment_status|number|subtotal|tax|total|paid|voided`.
async fn invoice_row(app: &TestApp) -> Option<String> {
    let rows = app
        .texts(&format!(
            "SELECT concat_ws('|', status, payment_status, coalesce(number, '-'), subtotal,
                tax, total, paid_at IS NOT NULL, voided_at IS NOT NULL) AS value
             FROM billing_invoices WHERE lago_id = '{LAGO_INVOICE_ID}'"
        ))
        .await;
    rows.into_iter().next().flatten()
}

async fn audit_records(app: &TestApp) -> i64 {
    app.count_where("audit_log", "action = 'billing.lago_webhook'")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoice_webhooks_create_pay_and_void_the_invoice_in_the_view() {
    let (app, lago) = spawn_lago(|_| {}).await;
    let customer = add_customer(&app, "cust_0001").await;

    let created = invoice_webhook("invoice.created", "finalized", "pending");
    let (status, body) = post_hmac(&app, &new_key(), &created).await;
    assert_eq!(
        (status, &body["status"]),
        (200, &"applied".into()),
        "{body}"
    );
    assert_eq!(
        invoice_row(&app).await.as_deref(),
        Some("finalized|pending|ACME-202601-001|42.00|8.40|50.40|f|f")
    );
    let placed = app
        .scalar_text(&format!(
            "SELECT concat_ws('|', id = lago_id, source, kind, customer_id::text = '{customer}',
                subscription_id IS NULL, currency, period_start, period_end, issued_at,
                finalized_at IS NOT NULL) AS value
             FROM billing_invoices WHERE lago_id = '{LAGO_INVOICE_ID}'"
        ))
        .await;
    assert_eq!(
        placed.as_deref(),
        Some(
            "t|lago|other|t|t|USD|2026-01-01 00:00:00+00|2026-02-01 00:00:00+00|\
             2026-02-01 00:00:00+00|t"
        )
    );
    let lines = app
        .texts(&format!(
            "SELECT concat_ws('|', position, kind, coalesce(meter, '-'), description, quantity,
                unit_price, amount, coalesce(fee_timing, '-'), period_end) AS value
             FROM billing_invoice_lines WHERE invoice_id = '{LAGO_INVOICE_ID}' ORDER BY position"
        ))
        .await;
    assert_eq!(
        lines,
        vec![
            Some("1|base_fee|-|Pro plan|1.0|12.0|12.00|in_arrears|2026-02-01 00:00:00+00".into()),
            Some(
                "2|usage|input_tokens|Input tokens (1M)|1500000|0.00002|30.00|-|\
                 2026-02-01 00:00:00+00"
                    .into()
            ),
        ]
    );

    // Paid (signed with a JWT this time: the endpoint takes either).
    let paid = invoice_webhook("invoice.payment_status_updated", "finalized", "succeeded");
    let (status, body) = post_jwt(&app, &lago, &new_key(), &paid).await;
    assert_eq!(
        (status, &body["status"]),
        (200, &"applied".into()),
        "{body}"
    );
    assert_eq!(
        invoice_row(&app).await.as_deref(),
        Some("paid|succeeded|ACME-202601-001|42.00|8.40|50.40|t|f")
    );

    let voided = invoice_webhook("invoice.voided", "voided", "succeeded");
    let (status, body) = post_hmac(&app, &new_key(), &voided).await;
    assert_eq!(
        (status, &body["status"]),
        (200, &"applied".into()),
        "{body}"
    );
    assert_eq!(
        invoice_row(&app).await.as_deref(),
        Some("voided|succeeded|ACME-202601-001|42.00|8.40|50.40|t|t")
    );

    // A late retry of the first webhook (another unique key) cannot move it back.
    let (status, body) = post_hmac(&app, &new_key(), &created).await;
    assert_eq!(
        (status, &body["status"]),
        (200, &"unchanged".into()),
        "{body}"
    );
    assert!(
        invoice_row(&app)
            .await
            .is_some_and(|row| row.starts_with("voided|"))
    );

    assert_eq!(app.count("billing_invoices").await, 1);
    assert_eq!(
        app.count("billing_invoice_lines").await,
        2,
        "lines written once"
    );
    assert_eq!(app.count("lago_webhook_receipts").await, 4);
    assert_eq!(
        audit_records(&app).await,
        3,
        "one per change, none for the stale one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_of_a_unique_key_is_acknowledged_and_changes_nothing() {
    let (app, _lago) = spawn_lago(|_| {}).await;
    add_customer(&app, "cust_0001").await;
    let key = new_key();
    let created = invoice_webhook("invoice.created", "finalized", "pending");
    let (status, body) = post_hmac(&app, &key, &created).await;
    assert_eq!(
        (status, &body["status"]),
        (200, &"applied".into()),
        "{body}"
    );

    // The same key again, even with another (validly signed) body: nothing changes.
    let paid = invoice_webhook("invoice.payment_status_updated", "finalized", "succeeded");
    for body in [&created, &paid] {
        let (status, answer) = post_hmac(&app, &key, body).await;
        assert_eq!(
            (status, &answer["status"]),
            (200, &"duplicate".into()),
            "{answer}"
        );
    }
    assert_eq!(
        invoice_row(&app).await.as_deref(),
        Some("finalized|pending|ACME-202601-001|42.00|8.40|50.40|f|f")
    );
    assert_eq!(app.count("lago_webhook_receipts").await, 1);
    assert_eq!(audit_records(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_replays_of_one_key_are_applied_once() {
    let (app, _lago) = spawn_lago(|_| {}).await;
    add_customer(&app, "cust_0001").await;
    let key = new_key();
    let created = invoice_webhook("invoice.created", "finalized", "pending");
    let answers =
        futures_util::future::join_all((0..8).map(|_| post_hmac(&app, &key, &created))).await;
    let mut outcomes: Vec<String> = answers
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 200, "{body}");
            body["status"].as_str().expect("a status").to_owned()
        })
        .collect();
    outcomes.sort();
    let mut expected = vec!["duplicate".to_owned(); 7];
    expected.insert(0, "applied".to_owned());
    assert_eq!(outcomes, expected);
    assert_eq!(app.count("lago_webhook_receipts").await, 1);
    assert_eq!(app.count("billing_invoice_lines").await, 2);
    assert_eq!(audit_records(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_customer_is_acknowledged_counted_and_logged() {
    let (app, _lago) = spawn_lago(|_| {}).await;
    let created = invoice_webhook("invoice.created", "finalized", "pending");
    let (status, body) = post_hmac(&app, &new_key(), &created).await;
    assert_eq!(
        (status, &body["status"]),
        (200, &"unknown_customer".into()),
        "{body}"
    );
    assert_eq!(app.count("billing_invoices").await, 0);
    assert_eq!(
        app.count("lago_webhook_receipts").await,
        1,
        "Lago need not retry"
    );
    let metrics = app.get("/metrics").await.text().await.expect("the metrics");
    assert!(
        metrics.contains(r#"tollgate_lago_webhooks_total{outcome="unknown_customer"} 1"#),
        "{metrics}"
    );
    assert!(crate::helpers::captured_logs().contains("names something Tollgate does not know"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_follows_lago_until_it_is_deleted() {
    let (app, _lago) = spawn_lago(|_| {}).await;
    add_customer(&app, "cust_0001").await;
    let mut drafted = invoice_webhook("invoice.drafted", "draft", "pending");
    let (status, body) = post_hmac(&app, &new_key(), &drafted).await;
    assert_eq!(
        (status, &body["status"]),
        (200, &"applied".into()),
        "{body}"
    );
    assert_eq!(
        invoice_row(&app).await.as_deref(),
        Some("draft|pending|-|42.00|8.40|50.40|f|f"),
        "a draft's placeholder number is not kept"
    );
    // The draft grows (usage keeps coming): its lines are replaced.
    drafted["invoice"]["fees"][1]["amount_cents"] = 4000.into();
    drafted["invoice"]["total_amount_cents"] = 6040.into();
    let (status, _) = post_hmac(&app, &new_key(), &drafted).await;
    assert_eq!(status, 200);
    assert_eq!(
        app.scalar_text("SELECT sum(amount)::text AS value FROM billing_invoice_lines")
            .await
            .as_deref(),
        Some("52.00")
    );
    let deleted = invoice_webhook("invoice.deleted", "deleted", "pending");
    let (status, body) = post_hmac(&app, &new_key(), &deleted).await;
    assert_eq!(
        (status, &body["status"]),
        (200, &"applied".into()),
        "{body}"
    );
    assert_eq!(app.count("billing_invoices").await, 0);
    assert_eq!(app.count("billing_invoice_lines").await, 0);
}
