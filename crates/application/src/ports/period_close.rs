//! The period close's store: it claims due subscriptions, rates their ended periods with the
//! pure rules of [`crate::services::billing::period_close::rules`], and writes each invoice with the
//! subscription's advanced cursor in one transaction.

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use tollgate_domain::{
    billing::{BillingPeriod, MeteredUsage, TaxRate},
    organization::OrganizationId,
    usage::CustomerId,
};
use uuid::Uuid;

use crate::{PortError, services::billing::period_close::rules::SubscriptionTerms};

/// One pass's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseRequest {
    /// Periods ended at least `grace` before this are closed.
    pub at: DateTime<Utc>,
    /// How long after a period's end its usage may still arrive (LiteLLM retries, the
    /// dispatcher's lag): a period is closed only once it is this old.
    pub grace: TimeDelta,
    /// Subscriptions claimed per transaction.
    pub batch: u32,
    /// Finalize (number) the invoices as they are made, as Lago does; else leave drafts.
    pub auto_finalize: bool,
    /// The rate of customers without one of their own (`billing.default_tax_rate_percent`).
    pub default_tax_rate: TaxRate,
}

/// Where a pass resumes: subscriptions are taken by (`invoiced_through`, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseCursor {
    pub invoiced_through: DateTime<Utc>,
    pub subscription: Uuid,
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Subscriptions claimed (some may have had nothing due).
    pub claimed: u32,
    /// Periods closed (the cursor advanced), with or without an invoice.
    pub periods: u32,
    /// Invoices written (opening and closing).
    pub invoices: u32,
    /// Subscriptions moved onto their plan's latest version.
    pub renewals: u32,
    /// Subscriptions whose terms could not be rated (logged; retried on the next pass).
    pub failed: u32,
    /// Where the next batch starts; `None` once no candidate is left.
    pub next: Option<CloseCursor>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PeriodCloseStore: Send + Sync {
    /// Claims up to `request.batch` candidate subscriptions after `after` (skipping those
    /// another closer holds), closes what is due of each, and commits.
    ///
    /// # Errors
    /// `PortError` when the database fails: nothing of the batch is written.
    async fn close_batch(
        &self,
        request: &CloseRequest,
        after: Option<CloseCursor>,
    ) -> Result<BatchOutcome, PortError>;
}

/// Reading one subscription's open period for its usage to date: the same terms and usage
/// the close reads, without claiming anything.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OpenPeriodReader: Send + Sync {
    /// The organization's subscription `id` as the close sees it (taxed at the customer's
    /// rate, else `default_tax_rate`); `None` for an unknown id or another organization's.
    ///
    /// # Errors
    /// `PortError` when the database fails or its plans cannot be read.
    async fn terms(
        &self,
        organization: OrganizationId,
        id: Uuid,
        default_tax_rate: TaxRate,
    ) -> Result<Option<SubscriptionTerms>, PortError>;

    /// `customer`'s usage over each of `spans`, in order, read as the close reads it.
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn usage(
        &self,
        organization: OrganizationId,
        customer: &CustomerId,
        spans: &[BillingPeriod],
    ) -> Result<Vec<MeteredUsage>, PortError>;
}
