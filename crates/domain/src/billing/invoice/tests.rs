use chrono::{TimeDelta, TimeZone};
use rust_decimal::Decimal;

use super::*;
use crate::{
    billing::{BillingPeriod, LineKind},
    metering::Meter,
};

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 2, day, 9, 0, 0).unwrap()
}

fn line(cents: i64, currency: Currency) -> InvoiceLine {
    let period = BillingPeriod::new(at(1) - TimeDelta::days(31), at(1)).unwrap();
    let kind = LineKind::Usage {
        meter: Meter::Requests,
    };
    InvoiceLine::fixed(kind, period, Money::from_minor(cents, currency)).unwrap()
}

fn draft() -> Invoice {
    let customer = CustomerId::parse("cust_42").unwrap();
    let mut invoice = Invoice::draft(
        customer,
        Currency::USD,
        TaxRate::new(Decimal::from(20)).unwrap(),
    );
    invoice
        .add_lines([
            line(4900, Currency::USD),
            line(1784, Currency::USD),
            line(450, Currency::USD),
        ])
        .unwrap();
    invoice
}

fn number(sequence: u64) -> InvoiceNumber {
    InvoiceNumber::new("ACME", sequence).unwrap()
}

#[test]
fn totals_are_the_rounded_lines_plus_tax_on_the_subtotal() {
    let invoice = draft();
    assert_eq!(invoice.subtotal().to_string(), "71.34 USD");
    // 20 % of 71.34 is 14.268.
    assert_eq!(invoice.tax().to_string(), "14.27 USD");
    assert_eq!(invoice.total().to_string(), "85.61 USD");
    assert_eq!(
        (invoice.status(), invoice.number()),
        (InvoiceStatus::Draft, None)
    );
}

#[test]
fn a_draft_can_change_and_refuses_other_currencies_whole() {
    let mut invoice = draft();
    invoice.set_tax_rate(TaxRate::ZERO).unwrap();
    assert_eq!(invoice.total(), invoice.subtotal());
    let before = invoice.clone();
    let mixed = [line(100, Currency::USD), line(100, Currency::EUR)];
    assert!(matches!(
        invoice.add_lines(mixed),
        Err(DomainError::CurrencyMismatch { .. })
    ));
    assert_eq!(invoice, before, "nothing of a refused batch is added");
}

#[test]
fn finalizing_numbers_and_freezes_the_invoice() {
    let mut invoice = draft();
    invoice.finalize(number(42), at(1)).unwrap();
    assert_eq!(invoice.status(), InvoiceStatus::Finalized);
    assert_eq!(invoice.number().unwrap().to_string(), "ACME-000042");
    assert_eq!(invoice.finalized_at(), Some(at(1)));
    let frozen = invoice.clone();
    assert_eq!(
        invoice.add_line(line(1, Currency::USD)).unwrap_err(),
        DomainError::InvoiceStatus {
            action: "add lines to",
            status: "finalized"
        }
    );
    assert_eq!(
        invoice.set_tax_rate(TaxRate::ZERO).unwrap_err().to_string(),
        "cannot change the tax rate of a finalized invoice"
    );
    assert!(invoice.finalize(number(43), at(2)).is_err());
    assert_eq!(invoice, frozen);
}

#[test]
fn an_empty_draft_cannot_be_finalized() {
    let customer = CustomerId::parse("cust_42").unwrap();
    let mut invoice = Invoice::draft(customer, Currency::EUR, TaxRate::ZERO);
    assert!(matches!(
        invoice.finalize(number(1), at(1)),
        Err(DomainError::Invalid { .. })
    ));
    assert_eq!(invoice.status(), InvoiceStatus::Draft);
}

#[test]
fn only_a_finalized_invoice_is_paid_and_not_before_it_was_finalized() {
    let mut invoice = draft();
    assert!(matches!(
        invoice.mark_paid(at(2)),
        Err(DomainError::InvoiceStatus { .. })
    ));
    invoice.finalize(number(1), at(2)).unwrap();
    assert!(matches!(
        invoice.mark_paid(at(1)),
        Err(DomainError::Invalid { .. })
    ));
    invoice.mark_paid(at(3)).unwrap();
    assert_eq!(
        (invoice.status(), invoice.paid_at()),
        (InvoiceStatus::Paid, Some(at(3)))
    );
    assert_eq!(
        invoice.mark_paid(at(4)).unwrap_err().to_string(),
        "cannot pay a paid invoice"
    );
    assert!(invoice.add_line(line(1, Currency::USD)).is_err());
}

#[test]
fn voiding_a_finalized_invoice_issues_a_credit_note_for_its_total() {
    let mut invoice = draft();
    invoice.finalize(number(7), at(1)).unwrap();
    let note = invoice.void(at(5)).unwrap();
    assert_eq!(invoice.status(), InvoiceStatus::Voided);
    assert_eq!(invoice.voided_at(), Some(at(5)));
    assert_eq!(note.invoice_number(), &number(7));
    assert_eq!(note.customer(), invoice.customer());
    assert_eq!(
        (note.subtotal(), note.tax(), note.total()),
        (invoice.subtotal(), invoice.tax(), invoice.total())
    );
    assert_eq!(note.lines(), invoice.lines());
    assert_eq!(
        (note.issued_at(), note.settlement()),
        (at(5), Settlement::CancelsBalance)
    );
    assert!(invoice.void(at(6)).is_err(), "voided once");
    assert!(invoice.mark_paid(at(6)).is_err());
}

#[test]
fn voiding_a_paid_invoice_owes_the_money_back() {
    let mut invoice = draft();
    invoice.finalize(number(8), at(1)).unwrap();
    invoice.mark_paid(at(2)).unwrap();
    let note = invoice.void(at(3)).unwrap();
    assert_eq!(note.settlement(), Settlement::RefundDue);
    assert_eq!(note.total().to_string(), "85.61 USD");
}

#[test]
fn a_draft_is_discarded_not_voided() {
    let mut invoice = draft();
    assert_eq!(
        invoice.void(at(1)).unwrap_err().to_string(),
        "cannot void a draft invoice"
    );
    let mut invoice = draft();
    invoice.finalize(number(9), at(2)).unwrap();
    assert!(matches!(
        invoice.void(at(1)),
        Err(DomainError::Invalid { .. })
    ));
    assert_eq!(invoice.status(), InvoiceStatus::Finalized);
}

#[test]
fn finalizing_on_terms_sets_the_due_date_and_a_recorded_payment_keeps_its_method() {
    let mut invoice = draft();
    assert_eq!((invoice.due_at(), invoice.net_terms()), (None, None));
    let terms = NetTerms::new(14).unwrap();
    invoice.finalize_on_terms(number(3), at(2), terms).unwrap();
    assert_eq!(invoice.due_at(), Some(at(16)));
    assert_eq!(invoice.net_terms(), Some(terms));
    assert!(
        invoice.finalize_on_terms(number(4), at(3), terms).is_err(),
        "finalized once"
    );
    let transfer = Payment::new(PaymentMethod::BankTransfer, Some("SEPA 2026-02-03")).unwrap();
    assert!(
        matches!(
            invoice.record_payment(at(1), transfer.clone()),
            Err(DomainError::Invalid { .. })
        ),
        "paid before it was issued"
    );
    assert_eq!(invoice.payment(), None, "a refused payment records nothing");
    invoice.record_payment(at(3), transfer.clone()).unwrap();
    assert_eq!(invoice.payment(), Some(&transfer));
    assert_eq!(invoice.paid_at(), Some(at(3)));
    let again = invoice.record_payment(at(4), transfer).unwrap_err();
    assert_eq!(again.code(), crate::ErrorCode::InvoiceAlreadyPaid);
    let mut draft = draft();
    let refused = draft
        .record_payment(at(4), Payment::new(PaymentMethod::Cash, None).unwrap())
        .unwrap_err();
    assert_eq!(refused.code(), crate::ErrorCode::InvalidInvoiceState);
}
