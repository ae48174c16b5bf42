//! Credit notes as the API shows them: the embedded engine's own (a voided invoice's, or a
//! terminated subscription's unused days). Lago's credit notes are Lago's.

use async_trait::async_trait;
use tollgate_domain::{
    billing::{CreditNote, CreditNoteNumber},
    organization::OrganizationId,
};
use uuid::Uuid;

use crate::PortError;

/// One issued credit note and what places it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditNoteRecord {
    pub id: Uuid,
    pub organization: OrganizationId,
    pub number: CreditNoteNumber,
    /// The invoice it credits (its number is on the credit note).
    pub invoice_id: Uuid,
    pub credit_note: CreditNote,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CreditNoteBook: Send + Sync {
    /// The organization's credit note `id`; `None` for an unknown id or another
    /// organization's.
    ///
    /// # Errors
    /// `PortError` when the store fails.
    async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<CreditNoteRecord>, PortError>;

    /// The credit notes of the organization's invoice `invoice`, oldest first (none for an
    /// unknown invoice).
    ///
    /// # Errors
    /// `PortError` when the store fails.
    async fn of_invoice(
        &self,
        organization: OrganizationId,
        invoice: Uuid,
    ) -> Result<Vec<CreditNoteRecord>, PortError>;
}
