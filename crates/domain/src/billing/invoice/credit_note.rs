//! Credit notes: what cancels a finalized invoice, since a finalized invoice never changes.

use chrono::{DateTime, Utc};

use super::InvoiceNumber;
use crate::{
    billing::{InvoiceLine, Money},
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

/// The document that cancels a voided invoice: its lines and totals, in full, referring to
/// it by number. Only [`super::Invoice::void`] issues one.
///
/// A credit note's own number, where a jurisdiction requires a separate series, is allocated
/// by the store like an invoice's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditNote {
    pub(super) invoice_number: InvoiceNumber,
    pub(super) customer: CustomerId,
    pub(super) lines: Vec<InvoiceLine>,
    pub(super) subtotal: Money,
    pub(super) tax: Money,
    pub(super) total: Money,
    pub(super) issued_at: DateTime<Utc>,
    pub(super) settlement: Settlement,
}

impl CreditNote {
    pub fn invoice_number(&self) -> &InvoiceNumber {
        &self.invoice_number
    }

    pub fn customer(&self) -> &CustomerId {
        &self.customer
    }

    pub fn lines(&self) -> &[InvoiceLine] {
        &self.lines
    }

    pub fn subtotal(&self) -> Money {
        self.subtotal
    }

    pub fn tax(&self) -> Money {
        self.tax
    }

    /// The voided invoice's total, to the cent.
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
