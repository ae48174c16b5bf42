//! Credit notes as the API serves them: one, those of an invoice, and the PDF.
//!
//! They are issued by the invoice book (voiding) and the period close (a termination's unused
//! days); this service only reads and renders them.

use std::sync::Arc;

use tollgate_domain::{
    billing::{CreditReason, InvoiceLine, LineKind},
    organization::OrganizationId,
};
use uuid::Uuid;

use super::invoices::describe;
use crate::{
    AppError, PortError,
    ports::{
        CreditNoteBook, CreditNoteDocument, CreditNoteRecord, InvoiceParties, InvoiceRenderer,
    },
};

/// What a credit note's PDF download answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreditNotePdf {
    Rendered {
        record: Box<CreditNoteRecord>,
        pdf: Vec<u8>,
    },
    /// No such credit note in the organization.
    NotFound,
    /// It credits a customer the organization no longer knows.
    NoCustomer,
}

pub struct CreditNoteService {
    book: Arc<dyn CreditNoteBook>,
    parties: Arc<dyn InvoiceParties>,
    renderer: Option<Arc<dyn InvoiceRenderer>>,
}

impl CreditNoteService {
    /// `renderer` is `None` when no PDF renderer could be built: PDFs then answer
    /// unavailable.
    pub fn new(
        book: Arc<dyn CreditNoteBook>,
        parties: Arc<dyn InvoiceParties>,
        renderer: Option<Arc<dyn InvoiceRenderer>>,
    ) -> Self {
        Self {
            book,
            parties,
            renderer,
        }
    }

    /// # Errors
    /// `AppError::Port` when the book fails.
    pub async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<CreditNoteRecord>, AppError> {
        Ok(self.book.get(organization, id).await?)
    }

    /// The credit notes of invoice `invoice`, oldest first.
    ///
    /// # Errors
    /// `AppError::Port` when the book fails.
    pub async fn of_invoice(
        &self,
        organization: OrganizationId,
        invoice: Uuid,
    ) -> Result<Vec<CreditNoteRecord>, AppError> {
        Ok(self.book.of_invoice(organization, invoice).await?)
    }

    /// The credit note as a PDF, seller and buyer included.
    ///
    /// # Errors
    /// `AppError::Port` when the book, the parties or the renderer fail (`Unavailable` when
    /// there is no renderer).
    pub async fn pdf(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<CreditNotePdf, AppError> {
        let Some(renderer) = &self.renderer else {
            return Err(AppError::Port(PortError::unavailable(
                "pdf renderer",
                "no PDF renderer is configured (fonts missing?)",
            )));
        };
        let Some(record) = self.book.get(organization, id).await? else {
            return Ok(CreditNotePdf::NotFound);
        };
        let customer = record.credit_note.customer().clone();
        let Some((seller, buyer)) = self.parties.parties(organization, &customer).await? else {
            return Ok(CreditNotePdf::NoCustomer);
        };
        let document = CreditNoteDocument::new(
            seller,
            buyer,
            record.number.clone(),
            record.credit_note.clone(),
        )?;
        let pdf = renderer.render_credit_note(&document).await?;
        Ok(CreditNotePdf::Rendered {
            record: Box::new(record),
            pdf,
        })
    }
}

/// A credited line as people read it: a voided invoice's lines as the invoice says them, a
/// termination's unused days as what they are.
pub fn describe_credited(reason: CreditReason, line: &InvoiceLine) -> String {
    match (reason, line.kind()) {
        (CreditReason::UnusedTime, LineKind::BaseFee { proration, .. }) => format!(
            "Unused time of the base fee paid in advance ({} of {} days)",
            proration.used_days(),
            proration.period_days()
        ),
        _ => describe(line),
    }
}

/// What a credit note says about why it was issued, in a sentence.
pub fn reason_text(reason: CreditReason) -> &'static str {
    match reason {
        CreditReason::Void => "The invoice was voided",
        CreditReason::UnusedTime => "The subscription ended before the period it paid for",
    }
}

#[cfg(test)]
mod tests;
