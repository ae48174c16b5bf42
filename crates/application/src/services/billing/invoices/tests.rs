use chrono::{TimeZone, Utc};
use tollgate_domain::{
    DomainError,
    billing::{
        BillingEmail, BillingPeriod, Currency, Customer, Invoice, InvoiceStatus, PaymentMethod,
        TaxRate,
    },
    usage::CustomerId,
};

use super::*;
use crate::ports::{
    InvoiceSource, MockClock, MockInvoiceBook, MockInvoiceParties, MockInvoiceRenderer, Seller,
};

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 1, 9, 0, 0).unwrap()
}

fn clock() -> Arc<MockClock> {
    let mut clock = MockClock::new();
    clock.expect_now().returning(at);
    Arc::new(clock)
}

fn record(organization: OrganizationId, id: Uuid) -> InvoiceRecord {
    let customer = CustomerId::parse("cust_1").unwrap();
    let period = BillingPeriod::new(
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap(),
    )
    .unwrap();
    InvoiceRecord {
        id,
        organization,
        subscription: None,
        source: InvoiceSource::Embedded,
        period,
        issued_at: at(),
        invoice: Invoice::draft(customer, Currency::EUR, TaxRate::ZERO),
        credit_note: None,
    }
}

fn service(book: MockInvoiceBook) -> InvoiceService {
    InvoiceService::new(
        Arc::new(book),
        Arc::new(MockInvoiceParties::new()),
        None,
        clock(),
    )
}

#[tokio::test]
async fn finalizing_passes_the_time_and_the_audit_record_and_answers_the_books_verdict() {
    let organization = OrganizationId::new();
    let (done, refused, missing) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let mut book = MockInvoiceBook::new();
    book.expect_finalize()
        .withf(move |_, id, when, audit| {
            *when == at()
                && audit.action == "invoice.finalize"
                && audit.target == Some(format!("invoice:{id}"))
        })
        .times(3)
        .returning(move |organization, id, _, _| {
            Ok(if id == done {
                InvoiceChange::Done(record(organization, id))
            } else if id == refused {
                InvoiceChange::Refused(DomainError::InvoiceStatus {
                    action: "finalize",
                    status: "voided",
                })
            } else {
                InvoiceChange::NotFound
            })
        });
    let service = service(book);
    let context = AuditContext::default();

    let finalized = service
        .finalize(organization, done, &context)
        .await
        .unwrap();
    assert_eq!(finalized.map(|r| r.id), Some(done));
    let error = service
        .finalize(organization, refused, &context)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, AppError::Invalid(e) if e.is_conflict() && e.code() == "invalid_invoice_state")
    );
    assert!(
        service
            .finalize(organization, missing, &context)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn voids_and_payments_are_audited_under_their_own_actions() {
    let organization = OrganizationId::new();
    let id = Uuid::now_v7();
    let mut book = MockInvoiceBook::new();
    book.expect_void()
        .withf(|_, _, _, audit| audit.action == "invoice.void")
        .times(1)
        .returning(|organization, id, _, _| Ok(InvoiceChange::Done(record(organization, id))));
    book.expect_mark_paid()
        .withf(|_, _, _, payment, audit| {
            audit.action == "invoice.paid" && payment.reference() == Some("SEPA 42")
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(InvoiceChange::NotFound));
    let service = service(book);
    let context = AuditContext::default();
    assert!(
        service
            .void(organization, id, &context)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        service
            .mark_paid(organization, id, at(), transfer(), &context)
            .await
            .unwrap()
            .is_none()
    );
}

fn transfer() -> Payment {
    Payment::new(PaymentMethod::BankTransfer, Some("SEPA 42")).unwrap()
}

#[tokio::test]
async fn a_payment_is_recorded_at_its_own_time_but_never_in_the_future() {
    let organization = OrganizationId::new();
    let id = Uuid::now_v7();
    let yesterday = at() - TimeDelta::days(1);
    let mut book = MockInvoiceBook::new();
    // Only the two plausible times reach the book: a payment seen yesterday, and one a few
    // minutes "ahead" of a clock that runs behind the operator's.
    book.expect_mark_paid()
        .withf(move |_, _, paid_at, payment, _| {
            (*paid_at == yesterday || *paid_at == at() + PAYMENT_CLOCK_SKEW)
                && payment.method() == PaymentMethod::BankTransfer
        })
        .times(2)
        .returning(|organization, id, _, _, _| Ok(InvoiceChange::Done(record(organization, id))));
    let service = service(book);
    let context = AuditContext::default();
    for paid_at in [yesterday, at() + PAYMENT_CLOCK_SKEW] {
        let recorded = service
            .mark_paid(organization, id, paid_at, transfer(), &context)
            .await
            .unwrap();
        assert!(recorded.is_some());
    }
    let tomorrow = at() + PAYMENT_CLOCK_SKEW + TimeDelta::seconds(1);
    let refused = service
        .mark_paid(organization, id, tomorrow, transfer(), &context)
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            AppError::Invalid(DomainError::Invalid {
                field: "paid_at",
                ..
            })
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn pages_are_bounded() {
    let mut book = MockInvoiceBook::new();
    book.expect_list()
        .withf(|_, _, cursor, limit| cursor.as_deref() == Some("c") && *limit == MAX_PAGE)
        .times(1)
        .returning(|_, _, _, _| {
            Ok(InvoicePage {
                invoices: vec![],
                next: None,
            })
        });
    let page = service(book)
        .list(
            OrganizationId::new(),
            &InvoiceFilter::default(),
            Some("c".to_owned()),
            10_000,
        )
        .await
        .unwrap();
    assert!(page.invoices.is_empty());
}

#[tokio::test]
async fn a_pdf_shows_the_invoice_between_its_seller_and_its_stored_customer() {
    let organization = OrganizationId::new();
    let id = Uuid::now_v7();
    let mut book = MockInvoiceBook::new();
    book.expect_get()
        .returning(|organization, id| Ok(Some(record(organization, id))));
    let mut parties = MockInvoiceParties::new();
    parties
        .expect_parties()
        .withf(|_, customer| customer.as_str() == "cust_1")
        .returning(|_, customer| {
            let seller = Seller {
                name: "Demo Co".to_owned(),
                address: None,
                postal_address: None,
                tax_id: None,
                billing_email: None,
            };
            let email = BillingEmail::parse("ap@acme.example").unwrap();
            let buyer = Customer::new(customer.clone(), "Acme", email, Currency::EUR).unwrap();
            Ok(Some((seller, buyer)))
        });
    let mut renderer = MockInvoiceRenderer::new();
    renderer
        .expect_render_invoice()
        .withf(move |document| {
            document.seller().name == "Demo Co"
                && document.customer().name() == "Acme"
                && document.invoice().status() == InvoiceStatus::Draft
                && document.period() == Some(record(OrganizationId::new(), id).period)
        })
        .times(1)
        .returning(|_| Ok(b"%PDF-1.4".to_vec()));
    let service = InvoiceService::new(
        Arc::new(book),
        Arc::new(parties),
        Some(Arc::new(renderer)),
        clock(),
    );
    match service.pdf(organization, id).await.unwrap() {
        InvoicePdf::Rendered { record, pdf } => {
            assert_eq!(record.id, id);
            assert_eq!(pdf, b"%PDF-1.4");
        }
        other => panic!("expected a PDF, got {other:?}"),
    }
}

#[tokio::test]
async fn without_a_renderer_pdfs_are_unavailable() {
    let error = service(MockInvoiceBook::new())
        .pdf(OrganizationId::new(), Uuid::now_v7())
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        AppError::Port(crate::PortError::Unavailable { .. })
    ));
}
