//! `/api/billing/invoices` on real PostgreSQL: the life of an invoice (draft, finalized with
//! its number, voided with its credit note), refused transitions answered 409 with nothing
//! written, gapless numbers under concurrent finalizes, access rules, paging, and the PDF.

mod credit_notes;
mod filters;
mod parties;
mod payments;
mod portal;
mod summary;
mod webhook_events;

use std::process::Command;

use reqwest::Method;
use serde_json::{Value, json};
use tollgate_domain::access::Role;

use super::{OTHER_KEY, WRITE_KEY, api_key, period_close::support};
use crate::{
    helpers::TestApp,
    identity::support::{call, create_org, execute, expect_error, expect_status, member, send},
};

const INVOICES: &str = "/api/billing/invoices";

/// An app with `count` draft invoices for January (one per customer `cust_<n>`), made by the
/// period close with `auto_finalize` off; 100 requests at 0.01 and a 31.00 base fee each.
async fn drafts(count: usize) -> TestApp {
    let app = support::spawn().await;
    let definition = json!({
        "base_fee": {"amount": "31.00", "timing": "in_arrears"},
        "trial_days": 0, "minimum_commitment": null,
        "charges": [{"meter": "requests", "free_units": "0", "minimum": null,
                     "model": {"type": "per_unit", "unit_price": "0.01"}}]
    });
    let plan = support::plan_version(&app, "basic", "USD", &definition).await;
    for n in 0..count {
        let external = format!("cust_{n}");
        let id = support::customer(&app, &external, "USD").await;
        let phases = [("2026-01-01T00:00:00Z", None, plan, 1, "created")];
        let sub = format!("sub_{n}");
        support::subscription(&app, id, &sub, "2026-01-01T00:00:00Z", &phases, None).await;
        support::usage(
            &app,
            &external,
            "2026-01-20T08:00:00Z",
            &[("requests", "100")],
        )
        .await;
    }
    let report = support::close(&app, "2026-02-01T02:00:00Z", false).await;
    assert_eq!(report.invoices as usize, count);
    app
}

async fn post(app: &TestApp, path: &str, bearer: &str) -> reqwest::Response {
    send(call(app, Method::POST, path, bearer)).await
}

async fn get(app: &TestApp, path: &str, bearer: &str) -> reqwest::Response {
    send(call(app, Method::GET, path, bearer)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invoice_is_finalized_then_voided_with_its_credit_note_and_refused_moves_answer_409() {
    let app = drafts(1).await;
    let id = support::invoices(&app, "").await[0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let path = format!("{INVOICES}/{id}");
    let (_, draft) = expect_status(get(&app, &path, WRITE_KEY).await, 200).await;
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["number"], Value::Null);
    assert_eq!(draft["customer"], "cust_0");
    assert_eq!(draft["subscription"], "sub_0");
    assert_eq!(draft["subtotal"], "32.00");
    assert_eq!(draft["lines"][1]["unit_price"], "0.01");

    // A viewer reads but does not change.
    let viewer = member(&app, "default", "viewer-1", Role::Viewer).await;
    expect_status(get(&app, &path, &viewer).await, 200).await;
    expect_error(
        post(&app, &format!("{path}/finalize"), &viewer).await,
        403,
        "forbidden",
    )
    .await;

    let (_, finalized) = expect_status(
        post(&app, &format!("{path}/finalize"), WRITE_KEY).await,
        200,
    )
    .await;
    assert_eq!(finalized["status"], "finalized");
    assert_eq!(finalized["number"], "DEFAULT-000001");
    assert!(finalized["finalized_at"].is_string());
    let (_, shown) = expect_status(get(&app, &path, WRITE_KEY).await, 200).await;
    assert_eq!(shown, finalized, "what finalize answered is what is stored");

    // Finalized is frozen, in the API and in the database.
    let refused = post(&app, &format!("{path}/finalize"), WRITE_KEY).await;
    expect_error(refused, 409, "invalid_invoice_state").await;
    let frozen = execute(&app, "UPDATE billing_invoices SET total = 1, subtotal = 1").await;
    assert!(frozen.is_err());
    // Nor can a line be slipped in afterwards, or the invoice go back to draft.
    let added = execute(
        &app,
        "INSERT INTO billing_invoice_lines (invoice_id, organization_id, position, kind,
            description, period_start, period_end, quantity, unit_price, amount)
         SELECT id, organization_id, 99, 'usage', 'extra', period_start, period_end, 1, 5, 5
         FROM billing_invoices",
    )
    .await;
    assert!(added.is_err(), "a line added to a finalized invoice");
    let backwards = execute(&app, "UPDATE billing_invoices SET status = 'draft'").await;
    assert!(backwards.is_err(), "a finalized invoice went back to draft");

    let (_, voided) =
        expect_status(post(&app, &format!("{path}/void"), WRITE_KEY).await, 200).await;
    assert_eq!(voided["status"], "voided");
    assert_eq!(voided["credit_note"]["invoice_number"], "DEFAULT-000001");
    assert_eq!(voided["credit_note"]["total"], "32.00");
    assert_eq!(voided["credit_note"]["settlement"], "cancellation");
    assert_eq!(app.count("billing_credit_notes").await, 1);
    let (_, shown) = expect_status(get(&app, &path, WRITE_KEY).await, 200).await;
    assert_eq!(shown["credit_note"], voided["credit_note"]);
    // The credit note is a document of its own, numbered from the credit notes' series.
    let (_, notes) = expect_status(
        get(&app, &format!("{path}/credit-notes"), WRITE_KEY).await,
        200,
    )
    .await;
    let note = &notes["data"][0];
    assert_eq!(note["number"], "CN-DEFAULT-000001");
    assert_eq!(note["reason"], "void");
    assert_eq!(note["total"], "32.00");
    assert_eq!(note["lines"].as_array().map(Vec::len), Some(2));

    for action in ["void", "finalize"] {
        let refused = post(&app, &format!("{path}/{action}"), WRITE_KEY).await;
        expect_error(refused, 409, "invalid_invoice_state").await;
    }
    let revived = execute(&app, "UPDATE billing_invoices SET status = 'paid'").await;
    assert!(revived.is_err(), "a voided invoice became paid");
    assert_eq!(app.count("billing_credit_notes").await, 1);
    assert_eq!(
        app.count_where("audit_log", "action = 'invoice.finalize'")
            .await,
        1
    );
    assert_eq!(
        app.count_where("audit_log", "action = 'invoice.void'")
            .await,
        1
    );
    assert_eq!(
        app.scalar_text("SELECT last_sequence::text AS value FROM billing_invoice_sequences")
            .await
            .as_deref(),
        Some("1"),
        "refused finalizes took no number"
    );

    // Unknown, malformed and other organizations' invoices are not found.
    let missing = format!("{INVOICES}/{}", uuid::Uuid::now_v7());
    expect_error(get(&app, &missing, WRITE_KEY).await, 404, "not_found").await;
    expect_error(
        get(&app, &format!("{INVOICES}/nope"), WRITE_KEY).await,
        404,
        "not_found",
    )
    .await;
    create_org(&app, "other").await;
    api_key(&app, "other", OTHER_KEY, "billing:read,billing:write").await;
    expect_error(get(&app, &path, OTHER_KEY).await, 404, "not_found").await;
    let other = post(&app, &format!("{path}/void"), OTHER_KEY).await;
    expect_error(other, 404, "not_found").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_finalizes_take_the_numbers_one_to_n_without_gap_or_duplicate() {
    const N: usize = 8;
    let app = drafts(N).await;
    let ids: Vec<String> = support::invoices(&app, "")
        .await
        .iter()
        .map(|i| i["id"].as_str().expect("an id").to_owned())
        .collect();
    let answers = futures_util::future::join_all(ids.iter().map(|id| {
        let path = format!("{INVOICES}/{id}/finalize");
        let request = call(&app, Method::POST, &path, WRITE_KEY);
        async move { expect_status(send(request).await, 200).await.1 }
    }))
    .await;
    let mut numbers: Vec<String> = answers
        .iter()
        .map(|a| a["number"].as_str().expect("a number").to_owned())
        .collect();
    numbers.sort();
    let expected: Vec<String> = (1..=N).map(|n| format!("DEFAULT-{n:06}")).collect();
    assert_eq!(numbers, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_are_listed_newest_first_by_cursor_and_filtered() {
    let app = drafts(3).await;
    let all = support::invoices(&app, "").await;
    let newest = all[2]["id"].clone();
    let (_, first) = expect_status(
        get(&app, &format!("{INVOICES}?limit=2"), WRITE_KEY).await,
        200,
    )
    .await;
    assert_eq!(first["data"][0]["id"], newest);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let next = format!("{INVOICES}?limit=2&cursor={cursor}");
    let (_, second) = expect_status(get(&app, &next, WRITE_KEY).await, 200).await;
    assert_eq!(second["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(second["data"][0]["id"], all[0]["id"]);
    assert_eq!(second["next_cursor"], Value::Null);

    assert_eq!(support::invoices(&app, "customer=cust_1").await.len(), 1);
    assert_eq!(support::invoices(&app, "status=draft").await.len(), 3);
    assert!(support::invoices(&app, "status=paid").await.is_empty());
    let bad = get(&app, &format!("{INVOICES}?status=lost"), WRITE_KEY).await;
    expect_error(bad, 422, "invalid_value").await;
    let bad = get(&app, &format!("{INVOICES}?cursor=zzz"), WRITE_KEY).await;
    expect_error(bad, 422, "invalid_cursor").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pdf_shows_the_invoices_number_lines_and_total() {
    let app = drafts(1).await;
    let id = support::invoices(&app, "").await[0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    expect_status(
        post(&app, &format!("{INVOICES}/{id}/finalize"), WRITE_KEY).await,
        200,
    )
    .await;
    let response = get(&app, &format!("{INVOICES}/{id}/pdf"), WRITE_KEY).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    let disposition = headers["content-disposition"].to_str().expect("text");
    assert!(disposition.contains("DEFAULT-000001.pdf"), "{disposition}");
    let text = pdf_text(response, &id).await;
    for expected in [
        "DEFAULT-000001",
        "Base fee",
        "requests",
        "31.00",
        "1.00",
        "32.00",
    ] {
        assert!(
            text.contains(expected),
            "`{expected}` missing from:\n{text}"
        );
    }
    assert!(
        text.contains("Customer cust_0"),
        "the buyer is named:\n{text}"
    );
}

/// The text `pdftotext` reads from the PDF in `response`.
async fn pdf_text(response: reqwest::Response, id: &str) -> String {
    let pdf = response.bytes().await.expect("a body");
    let file = std::env::temp_dir().join(format!("tollgate-{id}-{}.pdf", uuid::Uuid::now_v7()));
    std::fs::write(&file, &pdf).expect("the PDF is written");
    let output = Command::new("pdftotext")
        .args(["-layout", file.to_str().expect("a path"), "-"])
        .output()
        .expect("pdftotext runs (deploy/dev/ensure-tools.sh installs it)");
    let _ = std::fs::remove_file(&file);
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_is_issued_once_the_invoice_is_paid() {
    let app = drafts(1).await;
    let id = support::invoices(&app, "").await[0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let receipt = format!("{INVOICES}/{id}/receipt");
    expect_error(
        get(&app, &receipt, WRITE_KEY).await,
        409,
        "invoice_not_paid",
    )
    .await;
    expect_status(
        post(&app, &format!("{INVOICES}/{id}/finalize"), WRITE_KEY).await,
        200,
    )
    .await;
    expect_error(
        get(&app, &receipt, WRITE_KEY).await,
        409,
        "invoice_not_paid",
    )
    .await;

    // Payment is recorded by the payment provider's integration; here, straight in the table.
    execute(
        &app,
        &format!(
            "UPDATE billing_invoices SET status = 'paid', paid_at = now()
             WHERE id = '{id}'"
        ),
    )
    .await
    .expect("the invoice is marked paid");
    let response = get(&app, &receipt, WRITE_KEY).await;
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(
        disposition.contains("receipt-DEFAULT-000001.pdf"),
        "{disposition}"
    );
    let text = pdf_text(response, &id).await;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    for expected in ["Receipt", "DEFAULT-000001", "Paid on", &today, "32.00"] {
        assert!(
            text.contains(expected),
            "`{expected}` missing from:\n{text}"
        );
    }
    let unknown = format!("{INVOICES}/{}/receipt", uuid::Uuid::now_v7());
    expect_error(get(&app, &unknown, WRITE_KEY).await, 404, "not_found").await;
}
