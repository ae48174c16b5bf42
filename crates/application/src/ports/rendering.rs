//! Rendering invoices and receipts as documents (PDF) to send to customers or download.
//!
//! The renderer only lays out what it is given: every figure comes from the domain
//! [`Invoice`], already rounded and totalled there, so a document can never disagree with the
//! invoice it shows.

use async_trait::async_trait;
use tollgate_domain::{
    DomainError,
    billing::{
        Address, BillingEmail, BillingPeriod, CreditNote, CreditNoteNumber, Customer, Invoice,
        TaxId,
    },
};

use crate::PortError;

/// Who issues the invoice: the organization, as its invoices name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seller {
    /// The organization's legal or trading name.
    pub name: String,
    pub address: Option<Address>,
    /// The address as the settings' billing contact holds it: free text, printed line by
    /// line when there is no structured `address`.
    pub postal_address: Option<String>,
    /// VAT, GST, EIN...: many jurisdictions require the seller's on every invoice.
    pub tax_id: Option<TaxId>,
    /// Where customers write about their invoices.
    pub billing_email: Option<BillingEmail>,
}

/// Everything an invoice or receipt document shows: the seller, the buyer (the billed
/// [`Customer`]: name, address, tax id, billing e-mail, and the time zone its dates are shown
/// in) and the [`Invoice`] itself (number, dates, lines, totals, status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceDocument {
    seller: Seller,
    customer: Customer,
    invoice: Invoice,
    /// The span the invoice bills, as stored with it (and shown in its JSON); `None`: the
    /// span of its lines.
    period: Option<BillingPeriod>,
}

impl InvoiceDocument {
    /// # Errors
    /// `Invalid` when `invoice` bills another customer than `customer`: the document would
    /// print one customer's charges under another's name.
    pub fn new(seller: Seller, customer: Customer, invoice: Invoice) -> Result<Self, DomainError> {
        if invoice.customer() != customer.external_id() {
            return Err(DomainError::Invalid {
                field: "invoice document",
                reason: format!(
                    "the invoice bills customer `{}`, not `{}`",
                    tollgate_domain::error::cut(invoice.customer().as_str()),
                    tollgate_domain::error::cut(customer.external_id().as_str())
                ),
            });
        }
        Ok(Self {
            seller,
            customer,
            invoice,
            period: None,
        })
    }

    /// The document prints `period` as the invoice's, the one its JSON says: the lines' own
    /// spans may reach past it (a credit for the unused rest of a cycle, a fee for the next).
    #[must_use]
    pub fn with_period(mut self, period: BillingPeriod) -> Self {
        self.period = Some(period);
        self
    }

    pub fn period(&self) -> Option<BillingPeriod> {
        self.period
    }

    pub fn seller(&self) -> &Seller {
        &self.seller
    }

    pub fn customer(&self) -> &Customer {
        &self.customer
    }

    pub fn invoice(&self) -> &Invoice {
        &self.invoice
    }
}

/// Everything a credit note's document shows: seller and buyer as on the invoice it credits,
/// its own number, and the credit note (the invoice's number, lines, totals, why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditNoteDocument {
    seller: Seller,
    customer: Customer,
    number: CreditNoteNumber,
    credit_note: CreditNote,
}

impl CreditNoteDocument {
    /// # Errors
    /// `Invalid` when the credit note credits another customer than `customer`.
    pub fn new(
        seller: Seller,
        customer: Customer,
        number: CreditNoteNumber,
        credit_note: CreditNote,
    ) -> Result<Self, DomainError> {
        if credit_note.customer() != customer.external_id() {
            return Err(DomainError::Invalid {
                field: "credit note document",
                reason: format!(
                    "the credit note credits customer `{}`, not `{}`",
                    credit_note.customer().as_str(),
                    customer.external_id().as_str()
                ),
            });
        }
        Ok(Self {
            seller,
            customer,
            number,
            credit_note,
        })
    }

    pub fn seller(&self) -> &Seller {
        &self.seller
    }

    pub fn customer(&self) -> &Customer {
        &self.customer
    }

    pub fn number(&self) -> &CreditNoteNumber {
        &self.number
    }

    pub fn credit_note(&self) -> &CreditNote {
        &self.credit_note
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait InvoiceRenderer: Send + Sync {
    /// The invoice as a PDF: seller, buyer, number, dates, one row per line, subtotal, tax,
    /// total and payment status. A draft renders too (marked as such, without a number), for
    /// previews.
    ///
    /// # Errors
    /// `PortError::Internal` when the document cannot be laid out or written.
    async fn render_invoice(&self, document: &InvoiceDocument) -> Result<Vec<u8>, PortError>;

    /// The receipt for a paid invoice as a PDF: the invoice's figures, the amount paid and the
    /// date it was paid.
    ///
    /// # Errors
    /// `PortError::Internal` for an invoice that is not paid (a receipt is proof of payment),
    /// or when the document cannot be laid out or written.
    async fn render_receipt(&self, document: &InvoiceDocument) -> Result<Vec<u8>, PortError>;

    /// The credit note as a PDF: seller, buyer, its number and the invoice it credits, why,
    /// one row per credited line, subtotal, tax and total.
    ///
    /// # Errors
    /// `PortError::Internal` when the document cannot be laid out or written.
    async fn render_credit_note(&self, document: &CreditNoteDocument)
    -> Result<Vec<u8>, PortError>;
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use tollgate_domain::{
        billing::{Currency, TaxRate},
        usage::CustomerId,
    };

    use super::*;

    fn customer(id: &str) -> Customer {
        Customer::new(
            CustomerId::parse(id).unwrap(),
            "Acme Corp",
            BillingEmail::parse("billing@acme.example").unwrap(),
            Currency::EUR,
        )
        .unwrap()
    }

    #[test]
    fn a_document_shows_an_invoice_under_its_own_customer_only() {
        let seller = Seller {
            name: "Demo Co".to_owned(),
            address: None,
            postal_address: None,
            tax_id: None,
            billing_email: None,
        };
        let rate = TaxRate::new(Decimal::from(20)).unwrap();
        let invoice = Invoice::draft(CustomerId::parse("cust_1").unwrap(), Currency::EUR, rate);
        let document =
            InvoiceDocument::new(seller.clone(), customer("cust_1"), invoice.clone()).unwrap();
        assert_eq!(document.customer().name(), "Acme Corp");
        assert_eq!(document.invoice(), &invoice);
        assert!(matches!(
            InvoiceDocument::new(seller, customer("cust_2"), invoice),
            Err(DomainError::Invalid {
                field: "invoice document",
                ..
            })
        ));
    }
}
