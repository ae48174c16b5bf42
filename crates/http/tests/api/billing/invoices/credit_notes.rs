//! Credit notes: a termination's unused days of a base fee paid in advance are credited in
//! full by a numbered credit note against the invoice that billed them (never cut at the
//! final invoice's zero), with its own PDF.

use chrono::{Datelike, Months, Utc};

use super::*;

const CREDIT_NOTES: &str = "/api/billing/credit-notes";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminating_on_the_first_day_credits_the_whole_fee_by_a_numbered_credit_note() {
    let app = support::spawn().await;
    let plan = json!({
        "code": "monthly49", "name": "Monthly", "interval": "monthly", "currency": "USD",
        "base_fee": { "amount": "49.00", "timing": "in_advance" }, "trial_days": 0,
        "charges": [{ "meter": "requests",
                      "model": { "type": "per_unit", "unit_price": "0.01" } }]
    });
    let request = call(&app, Method::POST, "/api/billing/plans", WRITE_KEY).json(&plan);
    expect_status(send(request).await, 201).await;
    let customer = support::customer(&app, "cust_cn", "USD").await;
    let path = format!("/api/billing/customers/{customer}");
    let request = call(&app, Method::PATCH, &path, WRITE_KEY).json(&json!({ "tax_rate": "20" }));
    expect_status(send(request).await, 200).await;
    let body = json!({ "customer_id": customer, "plan_code": "monthly49" });
    let request = call(&app, Method::POST, "/api/billing/subscriptions", WRITE_KEY).json(&body);
    let (_, subscription) = expect_status(send(request).await, 201).await;
    let started =
        chrono::DateTime::parse_from_rfc3339(subscription["started_at"].as_str().expect("a start"))
            .expect("RFC 3339")
            .with_timezone(&Utc);

    // The opening invoice bills the first month in advance: 49.00 + 20 % = 58.80.
    let text = |at: chrono::DateTime<Utc>| at.to_rfc3339();
    support::close(&app, &text(Utc::now()), true).await;
    let opening = support::invoices(&app, "").await[0].clone();
    assert_eq!(
        (opening["number"].as_str(), opening["total"].as_str()),
        (Some("DEFAULT-000001"), Some("58.80"))
    );

    // Terminated the same day: not one day used.
    let id = subscription["id"].as_str().expect("an id");
    let terminate = format!("/api/billing/subscriptions/{id}/terminate");
    let request = call(&app, Method::POST, &terminate, WRITE_KEY).json(&json!({}));
    expect_status(send(request).await, 200).await;
    support::close(&app, &text(Utc::now() + chrono::TimeDelta::hours(2)), true).await;

    // The final invoice bills the (lack of) usage and carries no credit line...
    let all = support::invoices(&app, "").await;
    assert_eq!(all.len(), 2, "{all:#?}");
    let last = &all[1];
    let kinds: Vec<&str> = last["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|line| line["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["usage"]);
    assert_eq!(last["total"], "0.00");

    // ...the whole fee comes back, by a credit note against the opening invoice.
    let opening_id = opening["id"].as_str().expect("an id");
    let listed = get(
        &app,
        &format!("{INVOICES}/{opening_id}/credit-notes"),
        WRITE_KEY,
    )
    .await;
    let (_, listed) = expect_status(listed, 200).await;
    let notes = listed["data"].as_array().expect("a list");
    assert_eq!(notes.len(), 1, "{listed}");
    let note = &notes[0];
    let cycle_days = ((started + Months::new(1)).date_naive() - started.date_naive()).num_days();
    assert_eq!(note["number"], "CN-DEFAULT-000001");
    assert_eq!(note["reason"], "unused_time");
    assert_eq!(note["settlement"], "cancellation");
    assert_eq!(note["invoice_id"], opening["id"]);
    assert_eq!(note["invoice_number"], "DEFAULT-000001");
    assert_eq!(note["customer"], "cust_cn");
    assert_eq!(note["tax_rate"], "20");
    assert_eq!(
        (
            note["subtotal"].as_str(),
            note["tax"].as_str(),
            note["total"].as_str()
        ),
        (Some("49.00"), Some("9.80"), Some("58.80"))
    );
    let line = &note["lines"][0];
    assert_eq!(line["kind"], "base_fee");
    assert_eq!(line["amount"], "49.00");
    assert_eq!(line["proration"]["used_days"], cycle_days);
    assert_eq!(line["proration"]["period_days"], cycle_days);
    assert_eq!(
        line["description"],
        format!("Unused time of the base fee paid in advance ({cycle_days} of {cycle_days} days)")
    );
    let note_id = note["id"].as_str().expect("an id");
    let (_, shown) = expect_status(
        get(&app, &format!("{CREDIT_NOTES}/{note_id}"), WRITE_KEY).await,
        200,
    )
    .await;
    assert_eq!(&shown, note);
    assert_eq!(
        app.count_where(
            "audit_log",
            &format!("action = 'credit_note.issue' AND target = 'credit_note:{note_id}'")
        )
        .await,
        1
    );

    // Its own PDF, named and numbered as the credit note.
    let response = get(&app, &format!("{CREDIT_NOTES}/{note_id}/pdf"), WRITE_KEY).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(
        disposition.contains("CN-DEFAULT-000001.pdf"),
        "{disposition}"
    );
    let pdf = response.bytes().await.expect("a body");
    assert!(pdf.starts_with(b"%PDF"));
    let file = std::env::temp_dir().join(format!("tollgate-{note_id}.pdf"));
    std::fs::write(&file, &pdf).expect("the PDF is written");
    let output = std::process::Command::new("pdftotext")
        .args(["-layout", file.to_str().expect("a path"), "-"])
        .output()
        .expect("pdftotext runs");
    let _ = std::fs::remove_file(&file);
    let pdf = String::from_utf8_lossy(&output.stdout);
    let year = started.year().to_string();
    for expected in [
        "Credit note",
        "CN-DEFAULT-000001",
        "DEFAULT-000001",
        "Unused time",
        "49.00",
        "9.80",
        "58.80",
        "Customer cust_cn",
        &year,
    ] {
        assert!(pdf.contains(expected), "`{expected}` missing from:\n{pdf}");
    }

    // A partly credited invoice is not voided: that would credit the unused days twice.
    let refused = post(&app, &format!("{INVOICES}/{opening_id}/void"), WRITE_KEY).await;
    expect_error(refused, 409, "invalid_invoice_state").await;
    assert_eq!(app.count("billing_credit_notes").await, 1);

    // Issued is final, in the database too; other organizations see none of it.
    let changed = execute(
        &app,
        "UPDATE billing_credit_notes SET total = 0, subtotal = 0",
    )
    .await;
    assert!(changed.is_err(), "a credit note changed");
    create_org(&app, "other").await;
    api_key(&app, "other", OTHER_KEY, "billing:read").await;
    for path in [
        format!("{CREDIT_NOTES}/{note_id}"),
        format!("{CREDIT_NOTES}/{note_id}/pdf"),
        format!("{INVOICES}/{opening_id}/credit-notes"),
        format!("{CREDIT_NOTES}/nope"),
    ] {
        expect_error(get(&app, &path, OTHER_KEY).await, 404, "not_found").await;
    }
}
