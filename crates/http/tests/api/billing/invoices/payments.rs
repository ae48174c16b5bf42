//! Payments recorded by hand (`mark-paid`) and due dates from the payment terms: the
//! customer's, else the organization's, else 30 days, read when the invoice is finalized.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

use super::*;

/// The invoice `id`'s customer's id, found by its external id.
async fn customer_of(app: &TestApp, invoice: &Value) -> String {
    let customers = send(call(app, Method::GET, "/api/billing/customers", WRITE_KEY)).await;
    let (_, listed) = expect_status(customers, 200).await;
    listed["data"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["external_id"] == invoice["customer"]))
        .map(|c| c["id"].as_str().expect("an id").to_owned())
        .expect("the invoice's customer")
}

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a time"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

fn text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn mark_paid(app: &TestApp, id: &str, bearer: &str, body: &Value) -> reqwest::Response {
    let path = format!("{INVOICES}/{id}/mark-paid");
    send(call(app, Method::POST, &path, bearer).json(body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_are_due_on_the_customers_terms_else_the_organizations_else_thirty_days() {
    let app = drafts(3).await;
    let all = support::invoices(&app, "").await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    // Out of range terms are refused, by the settings and by the customers alike.
    for days in [json!(366), json!(-1)] {
        let request = call(&app, Method::PATCH, "/api/settings", &owner)
            .json(&json!({ "net_terms_days": days }));
        expect_error(send(request).await, 422, "out_of_range").await;
    }
    let cust_0 = customer_of(&app, &all[0]).await;
    let path = format!("/api/billing/customers/{cust_0}");
    let request =
        call(&app, Method::PATCH, &path, WRITE_KEY).json(&json!({ "net_terms_days": 400 }));
    expect_error(send(request).await, 422, "out_of_range").await;

    // cust_0 pays at 10 days, the organization's other customers at 45; before the settings
    // say so, at 30.
    let request =
        call(&app, Method::PATCH, &path, WRITE_KEY).json(&json!({ "net_terms_days": 10 }));
    let (_, changed) = expect_status(send(request).await, 200).await;
    assert_eq!(changed["net_terms_days"], 10);
    let first = &all[2];
    let id = first["id"].as_str().expect("an id");
    let (_, finalized) = expect_status(
        post(&app, &format!("{INVOICES}/{id}/finalize"), WRITE_KEY).await,
        200,
    )
    .await;
    assert_eq!(finalized["net_terms_days"], 30, "{finalized}");
    assert_eq!(
        time(&finalized["due_at"]) - time(&finalized["finalized_at"]),
        TimeDelta::days(30)
    );
    let request =
        call(&app, Method::PATCH, "/api/settings", &owner).json(&json!({ "net_terms_days": 45 }));
    let (_, saved) = expect_status(send(request).await, 200).await;
    assert_eq!(saved["net_terms_days"], 45);
    for (invoice, days) in [(&all[0], 10), (&all[1], 45)] {
        let id = invoice["id"].as_str().expect("an id");
        let (_, finalized) = expect_status(
            post(&app, &format!("{INVOICES}/{id}/finalize"), WRITE_KEY).await,
            200,
        )
        .await;
        assert_eq!(finalized["net_terms_days"], days, "{finalized}");
        assert_eq!(
            time(&finalized["due_at"]) - time(&finalized["finalized_at"]),
            TimeDelta::days(days)
        );
    }
    // A finalized invoice keeps its terms: changing the settings does not move its due date,
    // nor can the database be made to.
    let request =
        call(&app, Method::PATCH, "/api/settings", &owner).json(&json!({ "net_terms_days": 0 }));
    expect_status(send(request).await, 200).await;
    let (_, shown) =
        expect_status(get(&app, &format!("{INVOICES}/{id}"), WRITE_KEY).await, 200).await;
    assert_eq!(shown["net_terms_days"], 30);
    let moved = execute(
        &app,
        "UPDATE billing_invoices SET due_at = due_at + interval '1 day'",
    )
    .await;
    assert!(moved.is_err(), "a finalized invoice's due date moved");

    // The PDF says when it is due.
    let due = time(&shown["due_at"]).format("%Y-%m-%d").to_string();
    let response = get(&app, &format!("{INVOICES}/{id}/pdf"), WRITE_KEY).await;
    let pdf = pdf_text(response, id).await;
    assert!(
        pdf.contains("Due date") && pdf.contains(&due),
        "{due} missing from:\n{pdf}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_period_close_finalizes_on_the_customers_terms() {
    let app = support::spawn().await;
    let definition = json!({
        "base_fee": {"amount": "31.00", "timing": "in_arrears"},
        "trial_days": 0, "minimum_commitment": null, "charges": []
    });
    let plan = support::plan_version(&app, "basic", "USD", &definition).await;
    let customer = support::customer(&app, "cust_terms", "USD").await;
    let path = format!("/api/billing/customers/{customer}");
    let request = call(&app, Method::PATCH, &path, WRITE_KEY).json(&json!({ "net_terms_days": 0 }));
    expect_status(send(request).await, 200).await;
    let phases = [("2026-01-01T00:00:00Z", None, plan, 1, "created")];
    support::subscription(
        &app,
        customer,
        "sub_terms",
        "2026-01-01T00:00:00Z",
        &phases,
        None,
    )
    .await;
    support::close(&app, "2026-02-01T02:00:00Z", true).await;
    let invoice = &support::invoices(&app, "").await[0];
    assert_eq!(invoice["net_terms_days"], 0);
    assert_eq!(
        invoice["due_at"], invoice["finalized_at"],
        "net 0: due on issue"
    );
    assert_eq!(invoice["issued_at"], invoice["finalized_at"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_is_recorded_once_with_its_method_and_reference_and_its_receipt_shows_them() {
    let app = drafts(1).await;
    let id = support::invoices(&app, "").await[0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    // A draft is not payable.
    let cash = json!({ "paid_at": text(Utc::now()), "method": "cash" });
    let draft = mark_paid(&app, &id, WRITE_KEY, &cash).await;
    expect_error(draft, 409, "invalid_invoice_state").await;
    let (_, finalized) = expect_status(
        post(&app, &format!("{INVOICES}/{id}/finalize"), WRITE_KEY).await,
        200,
    )
    .await;

    // The money arrived a second after the invoice was issued.
    let now = Utc::now();
    let transfer = json!({
        "paid_at": text(time(&finalized["finalized_at"]) + TimeDelta::seconds(1)),
        "method": "bank_transfer",
        "reference": "SEPA DEFAULT-000001 Acme",
    });
    // Refused payments change nothing.
    let viewer = member(&app, "default", "viewer-1", Role::Viewer).await;
    expect_error(
        mark_paid(&app, &id, &viewer, &transfer).await,
        403,
        "forbidden",
    )
    .await;
    let refusals = [
        (
            json!({"paid_at": text(now + TimeDelta::hours(1)), "method": "cash"}),
            422,
            "invalid_value",
        ),
        (
            json!({"paid_at": text(time(&finalized["finalized_at"]) - TimeDelta::days(1)),
                "method": "cash"}),
            422,
            "invalid_value",
        ),
        (
            json!({"paid_at": text(now), "method": "paypal"}),
            422,
            "invalid_value",
        ),
        (
            json!({"paid_at": text(now), "method": "check", "reference": "9".repeat(201)}),
            422,
            "value_too_long",
        ),
        (
            json!({"paid_at": text(now), "method": "check", "reference": "  "}),
            422,
            "empty_value",
        ),
        (
            json!({"paid_at": text(now), "method": "check", "reference": "a\u{0}b"}),
            422,
            "invalid_text",
        ),
        (
            json!({"paid_at": text(now), "method": "check", "amount": "32.00"}),
            400,
            "invalid_json",
        ),
        (
            json!({"paid_at": "yesterday", "method": "check"}),
            400,
            "invalid_json",
        ),
        (json!({"method": "check"}), 400, "invalid_json"),
    ];
    for (body, status, code) in &refusals {
        let response = mark_paid(&app, &id, WRITE_KEY, body).await;
        let (_, answer) = expect_status(response, *status).await;
        assert_eq!(answer["error"]["code"], *code, "{body}: {answer}");
        let message = answer["error"]["message"].as_str().expect("a message");
        assert!(!message.contains(&"9".repeat(65)), "echoed: {message}");
    }
    let receipt = format!("{INVOICES}/{id}/receipt");
    expect_error(
        get(&app, &receipt, WRITE_KEY).await,
        409,
        "invoice_not_paid",
    )
    .await;
    assert_eq!(
        app.count_where("billing_invoices", "status = 'paid'").await,
        0
    );
    assert_eq!(
        app.count_where("audit_log", "action = 'invoice.paid'")
            .await,
        0
    );

    let (_, paid) = expect_status(mark_paid(&app, &id, WRITE_KEY, &transfer).await, 200).await;
    assert_eq!(paid["status"], "paid");
    assert_eq!(time(&paid["paid_at"]), time(&transfer["paid_at"]));
    assert_eq!(paid["payment_method"], "bank_transfer");
    assert_eq!(paid["payment_reference"], "SEPA DEFAULT-000001 Acme");
    let (_, shown) =
        expect_status(get(&app, &format!("{INVOICES}/{id}"), WRITE_KEY).await, 200).await;
    assert_eq!(shown, paid, "what mark-paid answered is what is stored");
    assert_eq!(
        app.count_where(
            "audit_log",
            &format!("action = 'invoice.paid' AND target = 'invoice:{id}'")
        )
        .await,
        1
    );

    // Paying twice is its own conflict, and the stored payment cannot be rewritten.
    let again = mark_paid(&app, &id, WRITE_KEY, &transfer).await;
    expect_error(again, 409, "invoice_already_paid").await;
    let rewritten = execute(
        &app,
        "UPDATE billing_invoices SET payment_reference = 'other'",
    )
    .await;
    assert!(rewritten.is_err(), "a recorded payment was rewritten");

    let response = get(&app, &receipt, WRITE_KEY).await;
    assert_eq!(response.status(), 200);
    let pdf = pdf_text(response, &id).await;
    let day = time(&transfer["paid_at"]).format("%Y-%m-%d").to_string();
    for expected in [
        "Receipt",
        "DEFAULT-000001",
        "Paid on",
        &day,
        "Bank transfer",
        "SEPA DEFAULT-000001 Acme",
        "32.00",
    ] {
        assert!(pdf.contains(expected), "`{expected}` missing from:\n{pdf}");
    }

    // A paid invoice can still be voided (a credit note owes the money back), and is then no
    // longer payable.
    let (_, voided) = expect_status(
        post(&app, &format!("{INVOICES}/{id}/void"), WRITE_KEY).await,
        200,
    )
    .await;
    assert_eq!(voided["credit_note"]["settlement"], "refund");
    let after_void = mark_paid(&app, &id, WRITE_KEY, &transfer).await;
    expect_error(after_void, 409, "invalid_invoice_state").await;
    assert_eq!(voided["payment_reference"], "SEPA DEFAULT-000001 Acme");
}
