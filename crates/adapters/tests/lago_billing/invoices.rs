//! Lago's invoices through the `InvoiceBook`: listed page by page, read whole, finalized,
//! voided and marked paid, each change audited once Lago made it.

use chrono::Utc;
use serde_json::{Value, json};
use tollgate_application::{
    AppError,
    ports::{AuditContext, AuditEntry, InvoiceBook, InvoiceChange, InvoiceFilter, InvoiceSource},
};
use tollgate_domain::{
    ErrorCode,
    billing::{InvoiceStatus, Payment, PaymentMethod},
    organization::OrganizationId,
    usage::CustomerId,
};
use uuid::Uuid;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use crate::{TestResult, assert_lago_headers, body, lago, recorded_audit};

mod filters;
mod unshowable;

const FIXTURE: &str = include_str!("../fixtures/lago/invoice_extended.json");

fn id(n: u8) -> Uuid {
    Uuid::from_u128(0x1a90_0000_0000_4000_8000_0000_0000_0000 + u128::from(n))
}

/// Lago's example invoice (`tests/fixtures/lago/`) as invoice `id(n)` in `status`.
fn invoice(n: u8, status: &str, payment_status: &str) -> Value {
    let mut answer: Value = serde_json::from_str(FIXTURE).expect("the fixture is JSON");
    answer["invoice"]["lago_id"] = json!(id(n));
    answer["invoice"]["status"] = json!(status);
    answer["invoice"]["payment_status"] = json!(payment_status);
    answer
}

async fn mount_invoice(server: &MockServer, n: u8, status: &str, payment_status: &str, times: u64) {
    Mock::given(matchers::method("GET"))
        .and(matchers::path(format!("/api/v1/invoices/{}", id(n))))
        .respond_with(ResponseTemplate::new(200).set_body_json(invoice(n, status, payment_status)))
        .up_to_n_times(times)
        .mount(server)
        .await;
}

fn audit_entry(action: &'static str, n: u8) -> AuditEntry {
    AuditEntry::success(
        &AuditContext::default(),
        action,
        Some(format!("invoice:{}", id(n))),
    )
}

fn page(ids: &[u8], next: Option<u32>) -> ResponseTemplate {
    let invoices: Vec<Value> = ids
        .iter()
        .map(|n| json!({"lago_id": id(*n), "number": "x"}))
        .collect();
    ResponseTemplate::new(200).set_body_json(json!({
        "invoices": invoices,
        "meta": {"current_page": 1, "next_page": next, "prev_page": null, "total_pages": 2, "total_count": 3},
    }))
}

#[tokio::test]
async fn invoices_are_listed_page_by_page_with_lagos_page_as_the_cursor() -> TestResult {
    let lago = lago().await?;
    let organization = OrganizationId::new();
    let book = lago.billing.invoice_book(organization, recorded_audit());
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/api/v1/invoices"))
        .and(matchers::query_param("page", "1"))
        .respond_with(page(&[1, 2], Some(2)))
        .mount(&lago.server)
        .await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/api/v1/invoices"))
        .and(matchers::query_param("page", "2"))
        .respond_with(page(&[3], None))
        .mount(&lago.server)
        .await;
    for n in 1..=3 {
        mount_invoice(&lago.server, n, "finalized", "succeeded", 10).await;
    }
    let filter = InvoiceFilter {
        customer: Some(CustomerId::parse("cust_1")?),
        status: Some(InvoiceStatus::Paid),
        ..InvoiceFilter::default()
    };

    let first = book.list(organization, &filter, None, 2).await?;
    assert_eq!(first.next.as_deref(), Some("2"));
    let second = book.list(organization, &filter, first.next, 2).await?;
    assert_eq!(second.next, None);

    let ids: Vec<Uuid> = first
        .invoices
        .iter()
        .chain(&second.invoices)
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, [id(1), id(2), id(3)]);
    let record = &first.invoices[0];
    assert_eq!(record.invoice.status(), InvoiceStatus::Paid);
    assert_eq!(record.invoice.total().to_string(), "74.69 EUR");
    assert_eq!(record.invoice.tax().to_string(), "12.45 EUR");
    // Lago's applied rate (20.0) gives its tax to the cent, so it is the invoice's rate.
    assert_eq!(
        record.invoice.tax_rate().percent().normalize().to_string(),
        "20"
    );
    assert_eq!(record.invoice.lines()[1].amount().to_string(), "12.34 EUR");
    assert_eq!(
        record.invoice.lines()[1].unit_price().to_string(),
        "0.0000025"
    );
    assert_eq!(record.subscription.as_deref(), Some("sub_1"));
    assert!(
        matches!(&record.source, InvoiceSource::Lago { payment_status: Some(s), .. } if s == "succeeded")
    );

    let calls = lago.calls().await;
    assert_eq!(
        calls[0],
        "GET /api/v1/invoices?page=1&per_page=2&external_customer_id=cust_1\
         &statuses%5B%5D=finalized&payment_statuses%5B%5D=succeeded"
    );
    // The page's invoices are read concurrently: they may arrive in either order.
    let mut details = calls[1..3].to_vec();
    details.sort();
    assert_eq!(
        details,
        [1, 2].map(|n| format!("GET /api/v1/invoices/{}", id(n)))
    );
    lago.requests().await.iter().for_each(assert_lago_headers);
    Ok(())
}

#[tokio::test]
async fn a_foreign_cursor_is_invalid_and_another_organization_sees_nothing() -> TestResult {
    let lago = lago().await?;
    let book = lago
        .billing
        .invoice_book(OrganizationId::new(), recorded_audit());
    let filter = InvoiceFilter::default();

    let bad = book
        .list(OrganizationId::new(), &filter, Some("abc".into()), 10)
        .await;
    assert!(
        matches!(bad, Err(AppError::Unprocessable { code, .. }) if code == ErrorCode::InvalidCursor),
        "{bad:?}"
    );
    let other = OrganizationId::new();
    assert!(
        book.list(other, &filter, None, 10)
            .await?
            .invoices
            .is_empty()
    );
    assert!(book.get(other, id(1)).await?.is_none());
    assert!(lago.requests().await.is_empty());
    Ok(())
}

#[tokio::test]
async fn an_unknown_invoice_is_none_and_its_changes_not_found() -> TestResult {
    let lago = lago().await?;
    let organization = OrganizationId::new();
    let audit = recorded_audit();
    let book = lago.billing.invoice_book(organization, audit.clone());
    Mock::given(matchers::any())
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"status": 404, "error": "Not Found", "code": "invoice_not_found"}),
        ))
        .mount(&lago.server)
        .await;

    assert!(book.get(organization, id(9)).await?.is_none());
    let change = book
        .finalize(
            organization,
            id(9),
            Utc::now(),
            &audit_entry("invoice.finalize", 9),
        )
        .await?;
    assert_eq!(change, InvoiceChange::NotFound);
    assert!(audit.actions().is_empty());
    Ok(())
}

#[tokio::test]
async fn a_draft_is_finalized_in_lago_then_audited() -> TestResult {
    let lago = lago().await?;
    let organization = OrganizationId::new();
    let audit = recorded_audit();
    let book = lago.billing.invoice_book(organization, audit.clone());
    mount_invoice(&lago.server, 1, "draft", "pending", 1).await;
    Mock::given(matchers::method("PUT"))
        .and(matchers::path(format!(
            "/api/v1/invoices/{}/finalize",
            id(1)
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(invoice(1, "finalized", "pending")))
        .expect(1)
        .mount(&lago.server)
        .await;

    let change = book
        .finalize(
            organization,
            id(1),
            Utc::now(),
            &audit_entry("invoice.finalize", 1),
        )
        .await?;
    let InvoiceChange::Done(record) = change else {
        panic!("expected Done, got {change:?}");
    };
    assert_eq!(record.invoice.status(), InvoiceStatus::Finalized);
    assert_eq!(
        record.invoice.number().map(ToString::to_string).as_deref(),
        Some("LAG-1234-001-000002")
    );
    assert_eq!(
        audit.actions(),
        [format!("invoice.finalize invoice:{}", id(1))]
    );
    Ok(())
}

#[tokio::test]
async fn a_change_the_invoice_state_forbids_is_refused_without_a_call() -> TestResult {
    let lago = lago().await?;
    let organization = OrganizationId::new();
    let audit = recorded_audit();
    let book = lago.billing.invoice_book(organization, audit.clone());
    mount_invoice(&lago.server, 1, "finalized", "pending", 10).await;
    mount_invoice(&lago.server, 2, "draft", "pending", 10).await;

    let again = book
        .finalize(
            organization,
            id(1),
            Utc::now(),
            &audit_entry("invoice.finalize", 1),
        )
        .await?;
    assert!(
        matches!(again, InvoiceChange::Refused(ref e) if e.code() == "invalid_invoice_state"),
        "{again:?}"
    );
    let draft = book
        .void(
            organization,
            id(2),
            Utc::now(),
            &audit_entry("invoice.void", 2),
        )
        .await?;
    assert!(matches!(draft, InvoiceChange::Refused(_)), "{draft:?}");
    assert!(lago.calls().await.iter().all(|c| c.starts_with("GET")));
    assert!(audit.actions().is_empty());
    Ok(())
}

#[tokio::test]
async fn voiding_a_paid_invoice_asks_lago_for_a_credit_note_refunding_it_whole() -> TestResult {
    let lago = lago().await?;
    let organization = OrganizationId::new();
    let book = lago.billing.invoice_book(organization, recorded_audit());
    mount_invoice(&lago.server, 1, "finalized", "succeeded", 1).await;
    mount_invoice(&lago.server, 2, "finalized", "pending", 1).await;
    for n in [1, 2] {
        Mock::given(matchers::method("POST"))
            .and(matchers::path(format!("/api/v1/invoices/{}/void", id(n))))
            .respond_with(ResponseTemplate::new(200).set_body_json(invoice(
                n,
                "voided",
                if n == 1 { "succeeded" } else { "pending" },
            )))
            .mount(&lago.server)
            .await;
    }

    let paid = book
        .void(
            organization,
            id(1),
            Utc::now(),
            &audit_entry("invoice.void", 1),
        )
        .await?;
    let InvoiceChange::Done(record) = paid else {
        panic!("{paid:?}")
    };
    assert_eq!(record.invoice.status(), InvoiceStatus::Voided);
    assert_eq!(
        record.credit_note.map(|n| n.total().to_string()).as_deref(),
        Some("74.69 EUR")
    );
    book.void(
        organization,
        id(2),
        Utc::now(),
        &audit_entry("invoice.void", 2),
    )
    .await?;

    let posts: Vec<_> = lago
        .requests()
        .await
        .into_iter()
        .filter(|r| r.method.as_str() == "POST")
        .collect();
    assert_eq!(
        body(&posts[0]),
        json!({"generate_credit_note": true, "refund_amount": 7469})
    );
    assert!(
        posts[1].body.is_empty(),
        "an unpaid invoice is voided without a body"
    );
    Ok(())
}

#[tokio::test]
async fn a_refusal_after_a_lost_answer_is_recognised_as_done() -> TestResult {
    let lago = lago().await?;
    let organization = OrganizationId::new();
    let audit = recorded_audit();
    let book = lago.billing.invoice_book(organization, audit.clone());
    mount_invoice(&lago.server, 1, "finalized", "pending", 1).await;
    mount_invoice(&lago.server, 1, "voided", "pending", 1).await;
    Mock::given(matchers::method("POST"))
        .respond_with(ResponseTemplate::new(405).set_body_json(
            json!({"status": 405, "error": "Method Not Allowed", "code": "not_voidable"}),
        ))
        .mount(&lago.server)
        .await;

    let change = book
        .void(
            organization,
            id(1),
            Utc::now(),
            &audit_entry("invoice.void", 1),
        )
        .await?;
    assert!(
        matches!(change, InvoiceChange::Done(ref r) if r.invoice.status() == InvoiceStatus::Voided)
    );
    assert_eq!(audit.actions().len(), 1);
    Ok(())
}

#[tokio::test]
async fn marking_paid_sets_lagos_payment_status() -> TestResult {
    let lago = lago().await?;
    let organization = OrganizationId::new();
    let book = lago.billing.invoice_book(organization, recorded_audit());
    mount_invoice(&lago.server, 1, "finalized", "pending", 1).await;
    Mock::given(matchers::method("PUT"))
        .and(matchers::path(format!("/api/v1/invoices/{}", id(1))))
        .respond_with(ResponseTemplate::new(200).set_body_json(invoice(
            1,
            "finalized",
            "succeeded",
        )))
        .expect(1)
        .mount(&lago.server)
        .await;

    let change = book
        .mark_paid(
            organization,
            id(1),
            Utc::now(),
            &Payment::new(PaymentMethod::BankTransfer, Some("SEPA 42"))?,
            &audit_entry("invoice.mark_paid", 1),
        )
        .await?;
    assert!(
        matches!(change, InvoiceChange::Done(ref r) if r.invoice.status() == InvoiceStatus::Paid)
    );
    let put = lago
        .requests()
        .await
        .into_iter()
        .find(|r| r.method.as_str() == "PUT")
        .expect("a PUT");
    assert_eq!(
        body(&put),
        json!({"invoice": {"payment_status": "succeeded"}})
    );
    Ok(())
}
