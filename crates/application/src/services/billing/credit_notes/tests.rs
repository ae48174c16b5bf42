use chrono::{TimeZone, Utc};
use tollgate_domain::billing::{
    BillingEmail, BillingPeriod, CreditNote, CreditNoteNumber, Credited, Currency, Customer,
    FeeTiming, InvoiceNumber, Money, Proration, Settlement, TaxRate,
};
use tollgate_domain::usage::CustomerId;

use super::*;
use crate::ports::{MockCreditNoteBook, MockInvoiceParties, MockInvoiceRenderer, Seller};

fn unused_days() -> InvoiceLine {
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 32).unwrap();
    let cycle = BillingPeriod::new(
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap(),
    )
    .unwrap();
    let unused = BillingPeriod::new(start, cycle.end()).unwrap();
    let proration = Proration::Partial { active: unused }
        .factor(&cycle)
        .unwrap();
    let kind = LineKind::BaseFee {
        timing: FeeTiming::Advance,
        proration,
    };
    InvoiceLine::fixed(kind, unused, Money::from_minor(4900, Currency::USD)).unwrap()
}

fn record(organization: OrganizationId, id: Uuid) -> CreditNoteRecord {
    let credited = Credited {
        invoice_number: InvoiceNumber::new("DEMO", 1).unwrap(),
        customer: CustomerId::parse("cust_1").unwrap(),
        currency: Currency::USD,
        tax_rate: TaxRate::ZERO,
        settlement: Settlement::CancelsBalance,
    };
    let issued = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    let note = CreditNote::for_lines(
        credited,
        CreditReason::UnusedTime,
        vec![unused_days()],
        issued,
    )
    .unwrap();
    CreditNoteRecord {
        id,
        organization,
        number: CreditNoteNumber::new("DEMO", 1).unwrap(),
        invoice_id: Uuid::now_v7(),
        credit_note: note,
    }
}

fn parties(customer: &'static str) -> MockInvoiceParties {
    let mut parties = MockInvoiceParties::new();
    parties.expect_parties().returning(move |_, _| {
        let buyer = Customer::new(
            CustomerId::parse(customer).unwrap(),
            "Acme",
            BillingEmail::parse("billing@acme.example").unwrap(),
            Currency::USD,
        )
        .unwrap();
        let seller = Seller {
            name: "Demo".to_owned(),
            address: None,
            postal_address: None,
            tax_id: None,
            billing_email: None,
        };
        Ok(Some((seller, buyer)))
    });
    parties
}

#[tokio::test]
async fn a_credit_note_renders_under_its_number_between_its_parties() {
    let organization = OrganizationId::new();
    let (known, unknown) = (Uuid::now_v7(), Uuid::now_v7());
    let mut book = MockCreditNoteBook::new();
    book.expect_get()
        .returning(move |organization, id| Ok((id == known).then(|| record(organization, id))));
    let mut renderer = MockInvoiceRenderer::new();
    renderer
        .expect_render_credit_note()
        .withf(|document| {
            document.number().to_string() == "CN-DEMO-000001"
                && document.customer().name() == "Acme"
                && document.credit_note().total() == Money::from_minor(4900, Currency::USD)
        })
        .times(1)
        .returning(|_| Ok(b"%PDF-1.7".to_vec()));
    let service = CreditNoteService::new(
        Arc::new(book),
        Arc::new(parties("cust_1")),
        Some(Arc::new(renderer)),
    );
    let CreditNotePdf::Rendered { record, pdf } = service.pdf(organization, known).await.unwrap()
    else {
        panic!("not rendered");
    };
    assert_eq!(record.id, known);
    assert!(pdf.starts_with(b"%PDF"));
    assert_eq!(
        service.pdf(organization, unknown).await.unwrap(),
        CreditNotePdf::NotFound
    );
}

#[tokio::test]
async fn a_credit_note_is_never_printed_under_another_customer_and_needs_a_renderer() {
    let organization = OrganizationId::new();
    let mut book = MockCreditNoteBook::new();
    book.expect_get()
        .returning(|organization, id| Ok(Some(record(organization, id))));
    let book = Arc::new(book);
    let mut renderer = MockInvoiceRenderer::new();
    renderer.expect_render_credit_note().never();
    let service = CreditNoteService::new(
        book.clone(),
        Arc::new(parties("cust_2")),
        Some(Arc::new(renderer)),
    );
    assert!(service.pdf(organization, Uuid::now_v7()).await.is_err());
    let without = CreditNoteService::new(book, Arc::new(parties("cust_1")), None);
    let refused = without.pdf(organization, Uuid::now_v7()).await.unwrap_err();
    assert!(matches!(
        refused,
        AppError::Port(PortError::Unavailable { .. })
    ));
}

#[test]
fn unused_days_are_described_as_such() {
    let line = unused_days();
    assert_eq!(
        describe_credited(CreditReason::UnusedTime, &line),
        "Unused time of the base fee paid in advance (31 of 31 days)"
    );
    assert_eq!(
        describe_credited(CreditReason::Void, &line),
        describe(&line)
    );
}
