//! Invoices as the API serves them: list, show, finalize, void, mark paid, and the PDF.
//!
//! Wherever invoices are kept (Tollgate's tables or Lago), the [`InvoiceBook`] answers; this
//! service adds the time, the audit record and the mapping of a refused transition to the
//! domain's error (answered 409 `invalid_invoice_state`).

#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use tollgate_domain::ErrorCode;
use tollgate_domain::{
    DomainError,
    billing::{FeeTiming, InvoiceLine, InvoiceStatus, LineKind, Payment},
    organization::OrganizationId,
};
use uuid::Uuid;

use crate::{
    AppError,
    ports::{
        AuditContext, AuditEntry, Clock, InvoiceBook, InvoiceChange, InvoiceDocument,
        InvoiceFilter, InvoicePage, InvoiceParties, InvoiceRecord, InvoiceRenderer,
    },
};

/// Invoices one page lists at most.
pub const MAX_PAGE: u32 = 100;

/// How far past this server's clock a recorded payment's time may lie: the operator's clock
/// may run a little ahead, but a payment later than that has not happened yet.
pub const PAYMENT_CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// What a PDF download answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvoicePdf {
    Rendered {
        record: Box<InvoiceRecord>,
        pdf: Vec<u8>,
    },
    /// No such invoice in the organization.
    NotFound,
    /// The invoice bills a customer the organization no longer knows.
    NoCustomer,
}

pub struct InvoiceService {
    book: Arc<dyn InvoiceBook>,
    parties: Arc<dyn InvoiceParties>,
    renderer: Option<Arc<dyn InvoiceRenderer>>,
    clock: Arc<dyn Clock>,
}

impl InvoiceService {
    /// `renderer` is `None` when no PDF renderer could be built (fonts missing): every other
    /// route still works, and PDFs answer unavailable.
    pub fn new(
        book: Arc<dyn InvoiceBook>,
        parties: Arc<dyn InvoiceParties>,
        renderer: Option<Arc<dyn InvoiceRenderer>>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            book,
            parties,
            renderer,
            clock,
        }
    }

    /// At most `limit` (1 to [`MAX_PAGE`]) invoices, newest first, from `cursor`.
    ///
    /// # Errors
    /// `AppError::Invalid` for a cursor the book did not hand out, `AppError::Port` when the
    /// book fails.
    pub async fn list(
        &self,
        organization: OrganizationId,
        filter: &InvoiceFilter,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<InvoicePage, AppError> {
        self.book
            .list(organization, filter, cursor, limit.clamp(1, MAX_PAGE))
            .await
    }

    /// # Errors
    /// `AppError::Port` when the book fails.
    pub async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<InvoiceRecord>, AppError> {
        Ok(self.book.get(organization, id).await?)
    }

    /// Numbers and freezes a draft. `None` for an unknown invoice.
    ///
    /// # Errors
    /// `AppError::Invalid` (a conflict) unless the invoice is a draft with lines,
    /// `AppError::Port` when the book fails.
    pub async fn finalize(
        &self,
        organization: OrganizationId,
        id: Uuid,
        context: &AuditContext,
    ) -> Result<Option<InvoiceRecord>, AppError> {
        let audit = AuditEntry::success(context, "invoice.finalize", Some(target(id)));
        let change = self
            .book
            .finalize(organization, id, self.clock.now(), &audit)
            .await?;
        settled(change)
    }

    /// Voids a finalized or paid invoice and issues its credit note. `None` for an unknown
    /// invoice.
    ///
    /// # Errors
    /// `AppError::Invalid` (a conflict) for a draft or a voided invoice, `AppError::Port` when
    /// the book fails.
    pub async fn void(
        &self,
        organization: OrganizationId,
        id: Uuid,
        context: &AuditContext,
    ) -> Result<Option<InvoiceRecord>, AppError> {
        let audit = AuditEntry::success(context, "invoice.void", Some(target(id)));
        let change = self
            .book
            .void(organization, id, self.clock.now(), &audit)
            .await?;
        settled(change)
    }

    /// Records that a finalized invoice was paid at `paid_at` by `payment` (a bank transfer
    /// seen on the statement); its receipt can be downloaded from then on. `None` for an
    /// unknown invoice.
    ///
    /// # Errors
    /// `AppError::Invalid`: a `paid_at` more than [`PAYMENT_CLOCK_SKEW`] ahead of now or
    /// before the invoice was finalized (422), or a conflict unless the invoice is finalized
    /// (409 `invoice_already_paid` when paid, `invalid_invoice_state` otherwise);
    /// `AppError::Port` when the book fails.
    pub async fn mark_paid(
        &self,
        organization: OrganizationId,
        id: Uuid,
        paid_at: DateTime<Utc>,
        payment: Payment,
        context: &AuditContext,
    ) -> Result<Option<InvoiceRecord>, AppError> {
        let now = self.clock.now();
        if now
            .checked_add_signed(PAYMENT_CLOCK_SKEW)
            .is_some_and(|latest| paid_at > latest)
        {
            return Err(AppError::Invalid(DomainError::Invalid {
                field: "paid_at",
                reason: format!("{paid_at} is in the future (it is {now})"),
            }));
        }
        let audit = AuditEntry::success(context, "invoice.paid", Some(target(id)));
        let change = self
            .book
            .mark_paid(organization, id, paid_at, &payment, &audit)
            .await?;
        settled(change)
    }

    /// The invoice as a PDF, seller and buyer included.
    ///
    /// # Errors
    /// `AppError::Port` when the book, the parties or the renderer fail (`Unavailable` when
    /// there is no renderer).
    pub async fn pdf(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<InvoicePdf, AppError> {
        self.document(organization, id, Document::Invoice).await
    }

    /// The receipt of a paid invoice as a PDF: what was paid, when, for which invoice.
    ///
    /// # Errors
    /// `AppError::Conflict` (`invoice_not_paid`) for an invoice that is not paid; otherwise as
    /// [`InvoiceService::pdf`].
    pub async fn receipt(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<InvoicePdf, AppError> {
        self.document(organization, id, Document::Receipt).await
    }

    async fn document(
        &self,
        organization: OrganizationId,
        id: Uuid,
        kind: Document,
    ) -> Result<InvoicePdf, AppError> {
        let Some(renderer) = &self.renderer else {
            return Err(AppError::Port(crate::PortError::unavailable(
                "pdf renderer",
                "no PDF renderer is configured (fonts missing?)",
            )));
        };
        let Some(record) = self.book.get(organization, id).await? else {
            return Ok(InvoicePdf::NotFound);
        };
        let status = record.invoice.status();
        if kind == Document::Receipt && status != InvoiceStatus::Paid {
            return Err(AppError::Conflict {
                code: ErrorCode::InvoiceNotPaid,
                message: format!(
                    "a receipt is for a paid invoice; this one is {}",
                    status.as_str()
                ),
            });
        }
        let customer = record.invoice.customer().clone();
        let Some((seller, buyer)) = self.parties.parties(organization, &customer).await? else {
            return Ok(InvoicePdf::NoCustomer);
        };
        let document =
            InvoiceDocument::new(seller, buyer, record.invoice.clone())?.with_period(record.period);
        let pdf = match kind {
            Document::Invoice => renderer.render_invoice(&document).await?,
            Document::Receipt => renderer.render_receipt(&document).await?,
        };
        Ok(InvoicePdf::Rendered {
            record: Box::new(record),
            pdf,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Document {
    Invoice,
    Receipt,
}

fn settled(change: InvoiceChange) -> Result<Option<InvoiceRecord>, AppError> {
    match change {
        InvoiceChange::Done(record) => Ok(Some(record)),
        InvoiceChange::NotFound => Ok(None),
        InvoiceChange::Refused(error) => Err(AppError::Invalid(error)),
    }
}

fn target(id: Uuid) -> String {
    format!("invoice:{id}")
}

/// The line as people read it: the same words on the API, the PDF and in the database.
pub fn describe(line: &InvoiceLine) -> String {
    match line.kind() {
        LineKind::BaseFee { timing, proration } => {
            let timing = match timing {
                FeeTiming::Advance => "in advance",
                FeeTiming::Arrears => "in arrears",
            };
            if proration.is_full() {
                format!("Base fee, {timing}")
            } else {
                format!(
                    "Base fee, {timing} ({} of {} days)",
                    proration.used_days(),
                    proration.period_days()
                )
            }
        }
        LineKind::Usage { meter } => format!("Usage: {}", meter.slug()),
        LineKind::ChargeMinimum { meter } => format!("Minimum for {}", meter.slug()),
        LineKind::MinimumCommitment => "Minimum commitment".to_owned(),
        LineKind::UnusedTimeCredit { proration } => format!(
            "Unused time credit ({} of {} days)",
            proration.used_days(),
            proration.period_days()
        ),
    }
}

/// A cursor this book did not hand out. Its text is not repeated: it may be anything.
pub fn invalid_cursor() -> AppError {
    AppError::Unprocessable {
        code: ErrorCode::InvalidCursor,
        message: "`cursor` is not one this list handed out; start again without it".to_owned(),
    }
}
