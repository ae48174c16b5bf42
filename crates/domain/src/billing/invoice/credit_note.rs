//! Credit notes: what cancels all or part of a finalized invoice, since a finalized invoice
//! never changes.

use std::fmt;

use chrono::{DateTime, Utc};

use super::{InvoiceNumber, TaxRate};
use crate::{
    DomainError,
    billing::{Currency, InvoiceLine, Money},
    usage::CustomerId,
};

/// What the customer is owed once the credit note is issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// The invoice was not paid: the credit note cancels what was due, nothing moves.
    CancelsBalance,
    /// The invoice was paid: the amount goes back to the customer (refund or credit balance,
    /// the payment side's call).
    RefundDue,
}

impl Settlement {
    /// `RefundDue` when the credited invoice was paid.
    pub fn for_invoice(paid: bool) -> Self {
        if paid {
            Self::RefundDue
        } else {
            Self::CancelsBalance
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::RefundDue => "refund",
            Self::CancelsBalance => "cancellation",
        }
    }
}

/// Why a credit note was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditReason {
    /// The invoice was voided: every line of it is credited.
    Void,
    /// A subscription ended before the period its base fee was paid in advance for: the
    /// unused days of that fee are credited.
    UnusedTime,
}

impl CreditReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Void => "void",
            Self::UnusedTime => "unused_time",
        }
    }

    /// # Errors
    /// `Invalid` for anything but the names [`CreditReason::as_str`] gives.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        [Self::Void, Self::UnusedTime]
            .into_iter()
            .find(|reason| reason.as_str() == text)
            .ok_or_else(|| DomainError::Invalid {
                field: "credit note reason",
                reason: format!("`{}` is not void or unused_time", crate::error::cut(text)),
            })
    }
}

/// A credit note's own number, from the organization's series of credit notes (apart from
/// its invoices', as many jurisdictions require): `CN-` and an invoice number's form,
/// `CN-ACME-000001`. Allocated by the store like an invoice's, gapless.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditNoteNumber(InvoiceNumber);

impl CreditNoteNumber {
    const PREFIX: &'static str = "CN-";

    /// # Errors
    /// As [`InvoiceNumber::new`].
    pub fn new(prefix: &str, sequence: u64) -> Result<Self, DomainError> {
        InvoiceNumber::new(prefix, sequence).map(Self)
    }

    /// Reads a number in its printed form only (`CN-ACME-000001`).
    ///
    /// # Errors
    /// `Invalid` for anything this type's `Display` would not print.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let invalid = || DomainError::Invalid {
            field: "credit note number",
            reason: format!(
                "`{}` is not a credit note number like CN-ACME-000001",
                crate::error::cut(text)
            ),
        };
        let rest = text.strip_prefix(Self::PREFIX).ok_or_else(invalid)?;
        InvoiceNumber::parse(rest).map(Self).map_err(|_| invalid())
    }

    pub fn sequence(&self) -> u64 {
        self.0.sequence()
    }
}

impl fmt::Display for CreditNoteNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", Self::PREFIX, self.0)
    }
}

/// The document that credits an invoice, referring to it by number: every line of a voided
/// invoice ([`super::Invoice::void`]), or a part of one (the unused days of a fee paid in
/// advance, [`CreditNote::for_lines`]). Its lines are what is credited, in positive amounts,
/// taxed at the credited invoice's rate, so that a credit note of a whole invoice is exactly
/// its total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditNote {
    pub(super) invoice_number: InvoiceNumber,
    pub(super) customer: CustomerId,
    pub(super) reason: CreditReason,
    pub(super) lines: Vec<InvoiceLine>,
    pub(super) tax_rate: TaxRate,
    pub(super) subtotal: Money,
    pub(super) tax: Money,
    pub(super) total: Money,
    pub(super) issued_at: DateTime<Utc>,
    pub(super) settlement: Settlement,
}

/// What a credit note credits: which invoice, of whom, taxed at what, and whether it was paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credited {
    pub invoice_number: InvoiceNumber,
    pub customer: CustomerId,
    pub currency: Currency,
    pub tax_rate: TaxRate,
    pub settlement: Settlement,
}

impl CreditNote {
    /// A credit note of `lines` of the invoice `credited` describes, issued at `issued_at`:
    /// the lines' sum, the invoice's tax rate applied once to it (half-even), and the total.
    /// Also how a stored credit note is read back.
    ///
    /// # Errors
    /// `Invalid` without lines, `CurrencyMismatch` for a line in another currency than the
    /// invoice's, `Overflow` past what a decimal holds.
    pub fn for_lines(
        credited: Credited,
        reason: CreditReason,
        lines: Vec<InvoiceLine>,
        issued_at: DateTime<Utc>,
    ) -> Result<Self, DomainError> {
        if lines.is_empty() {
            return Err(DomainError::Invalid {
                field: "credit note",
                reason: "a credit note credits at least one line".to_owned(),
            });
        }
        let subtotal = Money::sum(credited.currency, lines.iter().map(InvoiceLine::amount))?;
        let tax = credited.tax_rate.tax_on(subtotal)?;
        let total = subtotal.checked_add(tax)?;
        Ok(Self {
            invoice_number: credited.invoice_number,
            customer: credited.customer,
            reason,
            lines,
            tax_rate: credited.tax_rate,
            subtotal,
            tax,
            total,
            issued_at,
            settlement: credited.settlement,
        })
    }

    pub fn invoice_number(&self) -> &InvoiceNumber {
        &self.invoice_number
    }

    pub fn customer(&self) -> &CustomerId {
        &self.customer
    }

    pub fn reason(&self) -> CreditReason {
        self.reason
    }

    pub fn currency(&self) -> Currency {
        self.total.currency()
    }

    pub fn lines(&self) -> &[InvoiceLine] {
        &self.lines
    }

    pub fn tax_rate(&self) -> TaxRate {
        self.tax_rate
    }

    pub fn subtotal(&self) -> Money {
        self.subtotal
    }

    pub fn tax(&self) -> Money {
        self.tax
    }

    /// What is credited, tax included (a voided invoice's whole total, to the cent).
    pub fn total(&self) -> Money {
        self.total
    }

    pub fn issued_at(&self) -> DateTime<Utc> {
        self.issued_at
    }

    pub fn settlement(&self) -> Settlement {
        self.settlement
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone};
    use rust_decimal::Decimal;

    use super::*;
    use crate::billing::{BillingPeriod, FeeTiming, LineKind, Proration};

    fn credited(rate: &str, paid: bool) -> Credited {
        Credited {
            invoice_number: InvoiceNumber::new("ACME", 7).unwrap(),
            customer: CustomerId::parse("cust_1").unwrap(),
            currency: Currency::USD,
            tax_rate: TaxRate::parse(rate).unwrap(),
            settlement: Settlement::for_invoice(paid),
        }
    }

    fn unused_days(amount: i64) -> InvoiceLine {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let period = BillingPeriod::new(start, start + TimeDelta::days(31)).unwrap();
        let kind = LineKind::BaseFee {
            timing: FeeTiming::Advance,
            proration: Proration::Full.factor(&period).unwrap(),
        };
        InvoiceLine::fixed(kind, period, Money::from_minor(amount, Currency::USD)).unwrap()
    }

    #[test]
    fn a_partial_credit_note_is_taxed_at_the_credited_invoices_rate() {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 32).unwrap();
        let note = CreditNote::for_lines(
            credited("20", true),
            CreditReason::UnusedTime,
            vec![unused_days(4900)],
            at,
        )
        .unwrap();
        assert_eq!(note.subtotal().to_string(), "49.00 USD");
        assert_eq!(note.tax().to_string(), "9.80 USD");
        assert_eq!(note.total().amount(), Decimal::new(5880, 2));
        assert_eq!(note.settlement(), Settlement::RefundDue);
        assert_eq!(note.reason(), CreditReason::UnusedTime);
        assert_eq!(note.invoice_number().to_string(), "ACME-000007");
        assert!(
            CreditNote::for_lines(credited("0", false), CreditReason::Void, vec![], at).is_err()
        );
    }

    #[test]
    fn numbers_are_cn_and_an_invoice_numbers_form() {
        let number = CreditNoteNumber::new("demo-co", 1).unwrap();
        assert_eq!(number.to_string(), "CN-DEMO-CO-000001");
        assert_eq!(CreditNoteNumber::parse("CN-DEMO-CO-000001"), Ok(number));
        for text in ["DEMO-CO-000001", "CN-DEMO-CO-1", "cn-DEMO-000001", "CN-"] {
            assert!(CreditNoteNumber::parse(text).is_err(), "{text}");
        }
        assert_eq!(
            CreditReason::parse("unused_time"),
            Ok(CreditReason::UnusedTime)
        );
        assert!(CreditReason::parse("gift").is_err());
    }
}
