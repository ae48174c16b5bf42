//! `GET /api/billing/summary`: per currency, invoiced (finalized in the span), paid (recorded
//! in it), outstanding at its end and credited in it, from the embedded ledger; in Lago mode
//! refused with its code.

use chrono::{SecondsFormat, TimeDelta, Utc};
use wiremock::MockServer;

use super::*;
use crate::billing::lago_mode;

fn text(at: chrono::DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

async fn summary(app: &TestApp, from: &str, to: &str, bearer: &str) -> reqwest::Response {
    let path = format!(
        "/api/billing/summary?from={}&to={}",
        urlencode(from),
        urlencode(to)
    );
    get(app, &path, bearer).await
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summary_sums_the_ledger_per_currency_as_of_the_spans_end() {
    // Three drafts of 32.00 USD (a 31.00 fee and 100 requests at 0.01), none taxed.
    let app = drafts(3).await;
    let start = Utc::now() - TimeDelta::hours(1);
    let ids: Vec<String> = support::invoices(&app, "")
        .await
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    for id in &ids {
        expect_status(
            post(&app, &format!("{INVOICES}/{id}/finalize"), WRITE_KEY).await,
            200,
        )
        .await;
    }
    // One paid a minute from now (within the skew a payment may have), one voided (unpaid:
    // its credit note cancels it), one left to pay.
    let paid_at = Utc::now() + TimeDelta::minutes(1);
    let request = call(
        &app,
        Method::POST,
        &format!("{INVOICES}/{}/mark-paid", ids[0]),
        WRITE_KEY,
    )
    .json(&json!({"paid_at": text(paid_at), "method": "bank_transfer"}));
    expect_status(send(request).await, 200).await;
    expect_status(
        post(&app, &format!("{INVOICES}/{}/void", ids[1]), WRITE_KEY).await,
        200,
    )
    .await;

    let viewer = member(&app, "default", "vera", Role::Viewer).await;
    let end = text(Utc::now() + TimeDelta::hours(1));
    let (_, body) = expect_status(summary(&app, &text(start), &end, &viewer).await, 200).await;
    assert_eq!(
        body["data"],
        json!([{"currency": "USD", "invoiced": "96.00", "paid": "32.00",
                "outstanding": "32.00", "credited": "32.00"}])
    );

    // Before the payment arrived, the paid invoice was still outstanding.
    let before_payment = text(paid_at - TimeDelta::seconds(20));
    let (_, body) = expect_status(
        summary(&app, &text(start), &before_payment, WRITE_KEY).await,
        200,
    )
    .await;
    assert_eq!(body["data"][0]["paid"], "0.00");
    assert_eq!(body["data"][0]["outstanding"], "64.00");

    // A span before any of it: nothing to show.
    let (_, body) = expect_status(
        summary(
            &app,
            "2025-01-01T00:00:00Z",
            "2025-02-01T00:00:00Z",
            WRITE_KEY,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(body["data"], json!([]));

    for (from, to) in [
        ("2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z"),
        ("2000-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
    ] {
        expect_error(
            summary(&app, from, to, WRITE_KEY).await,
            400,
            "invalid_query",
        )
        .await;
    }
    expect_error(
        get(
            &app,
            "/api/billing/summary?from=2026-01-01T00:00:00Z",
            WRITE_KEY,
        )
        .await,
        400,
        "invalid_query",
    )
    .await;
    crate::identity::support::batch(
        &app,
        "INSERT INTO memberships (organization_id, subject, role, customer_id)
         SELECT id, 'carla', 'customer', 'cust_0' FROM organizations WHERE slug = 'default'",
    )
    .await
    .unwrap();
    let customer = crate::identity::support::token(&app, "carla", "default", Role::Customer).await;
    expect_error(
        summary(&app, &text(start), &end, &customer).await,
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_lago_mode_the_summary_is_refused_with_its_code_and_lago_is_not_called() {
    let lago = MockServer::start().await;
    let app = lago_mode::spawn(lago.uri()).await;
    let response = summary(
        &app,
        "2026-01-01T00:00:00Z",
        "2026-02-01T00:00:00Z",
        WRITE_KEY,
    )
    .await;
    expect_error(response, 422, "engine_read_unsupported").await;
    // Only the readiness probe reached it: no invoice or analytics read.
    let asked: Vec<String> = lago
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| r.url.path().to_owned())
        .filter(|path| path.contains("invoices") || path.contains("analytics"))
        .collect();
    assert!(asked.is_empty(), "{asked:?}");
}
