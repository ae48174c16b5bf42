//! Invoices as the API shows them, wherever they are kept: Tollgate's own tables in embedded
//! mode, Lago's API when Lago is the system of record. Both answer with the same records, so
//! one API, one PDF renderer and one set of tests serve both.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tollgate_domain::{
    DomainError,
    billing::{BillingPeriod, CreditNote, CurrencyCode, Invoice, InvoiceStatus, Payment},
    organization::OrganizationId,
    usage::CustomerId,
};
use uuid::Uuid;

use super::AuditEntry;
use crate::PortError;

/// Where an invoice lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvoiceSource {
    /// Made by Tollgate's period close.
    Embedded,
    /// Lago's, with Lago's id and payment status (`pending`, `succeeded`, `failed`).
    Lago {
        lago_id: Uuid,
        payment_status: Option<String>,
    },
}

/// One invoice: the domain [`Invoice`] (lines, totals, status, number, transition times) and
/// what places it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRecord {
    /// The id the API knows it by (in Lago mode, Lago's `lago_id`).
    pub id: Uuid,
    pub organization: OrganizationId,
    /// The subscription's external id, when the invoice bills one.
    pub subscription: Option<String>,
    pub source: InvoiceSource,
    pub period: BillingPeriod,
    pub issued_at: DateTime<Utc>,
    pub invoice: Invoice,
    /// Issued when a finalized invoice was voided.
    pub credit_note: Option<CreditNote>,
}

/// Which invoices a list holds: all of them when every field is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceFilter {
    pub customer: Option<CustomerId>,
    pub status: Option<InvoiceStatus>,
    pub currency: Option<CurrencyCode>,
    /// Issued at or after.
    pub issued_from: Option<DateTime<Utc>>,
    /// Issued before: the end is exclusive, so a range of whole days in any zone is the first
    /// instant of the day after the last one.
    pub issued_before: Option<DateTime<Utc>>,
    /// Drafts left out, whatever `status` says: what a customer is shown, since a draft can
    /// still change and has no number yet.
    pub issued_only: bool,
}

/// One page of invoices, newest first; `next` is the opaque cursor of the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoicePage {
    pub invoices: Vec<InvoiceRecord>,
    pub next: Option<String>,
}

/// What a state change answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "one answer per API call, moved once: boxing would only add an allocation"
)]
pub enum InvoiceChange {
    Done(InvoiceRecord),
    NotFound,
    /// The invoice's state does not allow it (finalizing a voided invoice...).
    Refused(DomainError),
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait InvoiceBook: Send + Sync {
    /// At most `limit` invoices matching `filter`, from `cursor` (the first page when `None`).
    ///
    /// # Errors
    /// `Invalid` for a cursor this book did not hand out; `PortError` when the backing system
    /// fails.
    async fn list(
        &self,
        organization: OrganizationId,
        filter: &InvoiceFilter,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<InvoicePage, crate::AppError>;

    /// The organization's invoice `id`; `None` for an unknown id or another organization's.
    ///
    /// # Errors
    /// `PortError` when the backing system fails.
    async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<InvoiceRecord>, PortError>;

    /// Finalizes a draft: it takes the organization's next invoice number (no gaps) and never
    /// changes again. The audit record is written with the change.
    ///
    /// # Errors
    /// `PortError` when the backing system fails.
    async fn finalize(
        &self,
        organization: OrganizationId,
        id: Uuid,
        at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<InvoiceChange, PortError>;

    /// Voids a finalized or paid invoice and issues its credit note.
    ///
    /// # Errors
    /// `PortError` when the backing system fails.
    async fn void(
        &self,
        organization: OrganizationId,
        id: Uuid,
        at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<InvoiceChange, PortError>;

    /// Records a finalized invoice as paid at `at`, by `payment` (a book that cannot keep how
    /// an invoice was paid, Lago's, records the payment alone).
    ///
    /// # Errors
    /// `PortError` when the backing system fails.
    async fn mark_paid(
        &self,
        organization: OrganizationId,
        id: Uuid,
        at: DateTime<Utc>,
        payment: &Payment,
        audit: &AuditEntry,
    ) -> Result<InvoiceChange, PortError>;
}
