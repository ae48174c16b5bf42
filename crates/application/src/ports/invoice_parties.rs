//! Who an invoice is from and to, as its document prints them.

use async_trait::async_trait;
use tollgate_domain::{billing::Customer, organization::OrganizationId, usage::CustomerId};

use super::Seller;
use crate::PortError;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait InvoiceParties: Send + Sync {
    /// The organization as seller (its display name, else its name; its billing contact's
    /// e-mail) and the stored customer `customer`; `None` when the organization has no such
    /// customer.
    ///
    /// # Errors
    /// `PortError` when the store fails.
    async fn parties(
        &self,
        organization: OrganizationId,
        customer: &CustomerId,
    ) -> Result<Option<(Seller, Customer)>, PortError>;
}
