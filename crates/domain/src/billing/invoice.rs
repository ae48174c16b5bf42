//! Invoices: rounded lines, a subtotal, tax and total, and a life from draft to paid or void.
//!
//! ```text
//! draft ──finalize(number, at)──▶ finalized ──mark_paid(at)──▶ paid
//!                                     │                          │
//!                                     └──────── void(at) ────────┴──▶ voided (+ credit note)
//! ```
//!
//! A draft is a work sheet: lines and tax rate may change, and it has no number, so discarding
//! it leaves no gap in the numbering (it cannot be voided). Finalizing gives it its number and
//! freezes it: every change afterwards is refused, and a mistake is corrected by voiding it,
//! which issues a [`CreditNote`] for its whole total, paid or not.

mod credit_note;
mod number;
mod payment;
#[cfg(test)]
mod properties;
mod tax;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};

pub use credit_note::{CreditNote, CreditNoteNumber, CreditReason, Credited, Settlement};
pub use number::InvoiceNumber;
pub use payment::{NetTerms, Payment, PaymentMethod};
pub use tax::TaxRate;

use super::{Currency, InvoiceLine, Money};
use crate::{DomainError, usage::CustomerId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvoiceStatus {
    Draft,
    Finalized,
    Paid,
    Voided,
}

impl InvoiceStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Finalized => "finalized",
            Self::Paid => "paid",
            Self::Voided => "voided",
        }
    }
}

/// An invoice to one customer in one currency. Its totals are kept in step with its lines:
/// `subtotal` is the exact sum of the (rounded) line amounts, `tax` the rate applied once to
/// the subtotal and rounded half-even, and `total` exactly `subtotal + tax`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    customer: CustomerId,
    currency: Currency,
    lines: Vec<InvoiceLine>,
    tax_rate: TaxRate,
    subtotal: Money,
    tax: Money,
    total: Money,
    status: InvoiceStatus,
    number: Option<InvoiceNumber>,
    finalized_at: Option<DateTime<Utc>>,
    /// Set at finalization from the payment terms; `None` for Lago's invoices, whose due
    /// dates are Lago's.
    due: Option<(NetTerms, DateTime<Utc>)>,
    paid_at: Option<DateTime<Utc>>,
    /// How it was paid, when the payment was recorded by hand.
    payment: Option<Payment>,
    voided_at: Option<DateTime<Utc>>,
}

impl Invoice {
    /// An empty draft. A stored invoice is rebuilt the same way it was made: draft, lines,
    /// then its transitions with their recorded times.
    pub fn draft(customer: CustomerId, currency: Currency, tax_rate: TaxRate) -> Self {
        let zero = Money::zero(currency);
        Self {
            customer,
            currency,
            lines: Vec::new(),
            tax_rate,
            subtotal: zero,
            tax: zero,
            total: zero,
            status: InvoiceStatus::Draft,
            number: None,
            finalized_at: None,
            due: None,
            paid_at: None,
            payment: None,
            voided_at: None,
        }
    }

    /// Adds lines to a draft, all of them or none.
    ///
    /// # Errors
    /// `InvoiceStatus` once finalized, `CurrencyMismatch` for a line in another currency,
    /// `Overflow` when the totals no longer fit in a decimal.
    pub fn add_lines(
        &mut self,
        lines: impl IntoIterator<Item = InvoiceLine>,
    ) -> Result<(), DomainError> {
        self.ensure_draft("add lines to")?;
        let mut all = self.lines.clone();
        all.extend(lines);
        self.recompute(all, self.tax_rate)
    }

    /// # Errors
    /// As [`Invoice::add_lines`].
    pub fn add_line(&mut self, line: InvoiceLine) -> Result<(), DomainError> {
        self.add_lines([line])
    }

    /// # Errors
    /// `InvoiceStatus` once finalized, `Overflow` when the tax no longer fits in a decimal.
    pub fn set_tax_rate(&mut self, tax_rate: TaxRate) -> Result<(), DomainError> {
        self.ensure_draft("change the tax rate of")?;
        self.recompute(self.lines.clone(), tax_rate)
    }

    /// Gives the draft its number and freezes it.
    ///
    /// # Errors
    /// `InvoiceStatus` unless a draft, `Invalid` for a draft without lines.
    pub fn finalize(
        &mut self,
        number: InvoiceNumber,
        at: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.ensure_draft("finalize")?;
        if self.lines.is_empty() {
            return Err(DomainError::Invalid {
                field: "invoice",
                reason: "an invoice needs at least one line to be finalized".to_owned(),
            });
        }
        self.status = InvoiceStatus::Finalized;
        self.number = Some(number);
        self.finalized_at = Some(at);
        Ok(())
    }

    /// [`Invoice::finalize`], due `terms` after `at`: the day it is issued with its number is
    /// the day the customer can first pay it, whenever its draft was made.
    ///
    /// # Errors
    /// As [`Invoice::finalize`].
    pub fn finalize_on_terms(
        &mut self,
        number: InvoiceNumber,
        at: DateTime<Utc>,
        terms: NetTerms,
    ) -> Result<(), DomainError> {
        self.finalize(number, at)?;
        self.due = Some((terms, terms.due(at)));
        Ok(())
    }

    /// # Errors
    /// `InvoiceStatus` unless finalized, `Invalid` for a time before the finalization.
    pub fn mark_paid(&mut self, at: DateTime<Utc>) -> Result<(), DomainError> {
        if self.status != InvoiceStatus::Finalized {
            return Err(self.refused("pay"));
        }
        self.ensure_after_finalization("paid", at)?;
        self.status = InvoiceStatus::Paid;
        self.paid_at = Some(at);
        Ok(())
    }

    /// [`Invoice::mark_paid`] with how it was paid (a transfer the operator saw arrive).
    ///
    /// # Errors
    /// As [`Invoice::mark_paid`].
    pub fn record_payment(
        &mut self,
        at: DateTime<Utc>,
        payment: Payment,
    ) -> Result<(), DomainError> {
        self.mark_paid(at)?;
        self.payment = Some(payment);
        Ok(())
    }

    /// Voids a finalized or paid invoice and issues the credit note that cancels it: the same
    /// lines and total, owed back to the customer if the invoice was paid.
    ///
    /// # Errors
    /// `InvoiceStatus` for a draft (discard it instead) or an already voided invoice, `Invalid`
    /// for a time before the finalization.
    pub fn void(&mut self, at: DateTime<Utc>) -> Result<CreditNote, DomainError> {
        let settlement = match self.status {
            InvoiceStatus::Finalized => credit_note::Settlement::CancelsBalance,
            InvoiceStatus::Paid => credit_note::Settlement::RefundDue,
            InvoiceStatus::Draft | InvoiceStatus::Voided => return Err(self.refused("void")),
        };
        self.ensure_after_finalization("voided", at)?;
        let Some(invoice_number) = self.number.clone() else {
            // Finalized and paid invoices always have a number (see `finalize`).
            return Err(self.refused("void"));
        };
        self.status = InvoiceStatus::Voided;
        self.voided_at = Some(at);
        Ok(CreditNote {
            invoice_number,
            customer: self.customer.clone(),
            reason: credit_note::CreditReason::Void,
            lines: self.lines.clone(),
            tax_rate: self.tax_rate,
            subtotal: self.subtotal,
            tax: self.tax,
            total: self.total,
            issued_at: at,
            settlement,
        })
    }

    pub fn customer(&self) -> &CustomerId {
        &self.customer
    }

    pub fn currency(&self) -> Currency {
        self.currency
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

    pub fn total(&self) -> Money {
        self.total
    }

    pub fn status(&self) -> InvoiceStatus {
        self.status
    }

    /// `None` while a draft.
    pub fn number(&self) -> Option<&InvoiceNumber> {
        self.number.as_ref()
    }

    pub fn finalized_at(&self) -> Option<DateTime<Utc>> {
        self.finalized_at
    }

    /// The payment terms it was finalized on; `None` while a draft or when the engine (Lago)
    /// keeps the due date.
    pub fn net_terms(&self) -> Option<NetTerms> {
        self.due.map(|(terms, _)| terms)
    }

    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        self.due.map(|(_, at)| at)
    }

    pub fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.paid_at
    }

    /// How it was paid; `None` unless the payment was recorded with its method.
    pub fn payment(&self) -> Option<&Payment> {
        self.payment.as_ref()
    }

    pub fn voided_at(&self) -> Option<DateTime<Utc>> {
        self.voided_at
    }

    /// Replaces lines, rate and totals together, or leaves the invoice as it was.
    fn recompute(&mut self, lines: Vec<InvoiceLine>, tax_rate: TaxRate) -> Result<(), DomainError> {
        let subtotal = Money::sum(self.currency, lines.iter().map(InvoiceLine::amount))?;
        let tax = tax_rate.tax_on(subtotal)?;
        let total = subtotal.checked_add(tax)?;
        self.total = total;
        self.subtotal = subtotal;
        self.tax = tax;
        self.tax_rate = tax_rate;
        self.lines = lines;
        Ok(())
    }

    fn ensure_draft(&self, action: &'static str) -> Result<(), DomainError> {
        if self.status == InvoiceStatus::Draft {
            Ok(())
        } else {
            Err(self.refused(action))
        }
    }

    fn ensure_after_finalization(
        &self,
        event: &'static str,
        at: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        match self.finalized_at {
            Some(finalized_at) if at < finalized_at => Err(DomainError::Invalid {
                field: "invoice",
                reason: format!("{event} at {at}, before it was finalized at {finalized_at}"),
            }),
            _ => Ok(()),
        }
    }

    fn refused(&self, action: &'static str) -> DomainError {
        DomainError::InvoiceStatus {
            action,
            status: self.status.as_str(),
        }
    }
}
