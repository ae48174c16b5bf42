//! What was invoiced, paid, is outstanding and was credited over a span, per currency: the
//! dashboard's billing cards.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tollgate_domain::{billing::Money, organization::OrganizationId};

use crate::PortError;

/// One currency's totals over `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyTotals {
    /// Invoices finalized in the span (whatever became of them since).
    pub invoiced: Money,
    /// Payments recorded in the span (`mark-paid`'s paid-at time).
    pub paid: Money,
    /// What finalized invoices still asked at `to`: finalized before it, neither paid nor
    /// voided by then, less what credit notes issued by then cancelled of them.
    pub outstanding: Money,
    /// Credit notes issued in the span.
    pub credited: Money,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait BillingLedger: Send + Sync {
    /// Per currency the organization bills in, the totals over `[from, to)`; currencies with
    /// nothing to show (all four zero) are left out. In currency code order.
    ///
    /// # Errors
    /// `PortError` when the ledger cannot be read.
    async fn summary(
        &self,
        organization: OrganizationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CurrencyTotals>, PortError>;
}
