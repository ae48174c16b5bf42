//! A subscription's open period rated to date: what its closing invoice would hold if the
//! period closed with the usage stored so far. The period close's own rules do the rating
//! ([`rules::closing_due`], [`rules::closing_invoice`]), so the estimate and the invoice that
//! follows cannot disagree on a price, an allowance or a proration; only the usage grows.
//!
//! The estimate is the period's own invoice: base fees in arrears for the whole period (what
//! will be billed), in-advance fees already billed are not repeated, a credit for unused days
//! of a phase that has ended is shown, and the next period's in-advance fee (which the real
//! closing invoice also carries) is left out: it is not this period's charge.
//!
//! With Lago as the billing engine the rating is Lago's: refused (`engine_read_unsupported`).

#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use tollgate_domain::{
    DomainError, ErrorCode,
    billing::{BillingPeriod, Currency, Invoice, MeteredUsage, TaxRate},
    organization::OrganizationId,
    usage::CustomerId,
};
use uuid::Uuid;

use super::period_close::rules;
use crate::{
    AppError,
    ports::{Clock, OpenPeriodReader},
};

/// The open period of a subscription, rated to `as_of`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUsage {
    pub customer: CustomerId,
    pub currency: Currency,
    /// What the invoice will be taxed at (the customer's rate, else the default).
    pub tax_rate: TaxRate,
    /// What the next closing invoice covers: from the last invoiced end to the cycle's end
    /// (or the termination).
    pub period: BillingPeriod,
    /// Usage counted up to here.
    pub as_of: DateTime<Utc>,
    /// The lines so far, taxed as the invoice will be; `None` when nothing is billed yet.
    pub invoice: Option<Invoice>,
}

pub struct CurrentUsageService {
    /// `None` when Lago is the billing engine.
    reader: Option<Arc<dyn OpenPeriodReader>>,
    clock: Arc<dyn Clock>,
    default_tax_rate: TaxRate,
}

impl CurrentUsageService {
    pub fn new(
        reader: Option<Arc<dyn OpenPeriodReader>>,
        clock: Arc<dyn Clock>,
        default_tax_rate: TaxRate,
    ) -> Self {
        Self {
            reader,
            clock,
            default_tax_rate,
        }
    }

    /// The open period of subscription `id`, rated to now. `None` for an unknown
    /// subscription, another organization's, or (for a customer's member, `scope`) another
    /// customer's.
    ///
    /// # Errors
    /// `engine_read_unsupported` with Lago; `subscription_terminated` (409) when every period
    /// is invoiced; `AppError::Invalid` when the plans cannot rate it; `AppError::Port`.
    pub async fn current_usage(
        &self,
        organization: OrganizationId,
        scope: Option<&str>,
        id: Uuid,
    ) -> Result<Option<CurrentUsage>, AppError> {
        let reader = self
            .reader
            .as_ref()
            .ok_or_else(|| AppError::Unprocessable {
                code: ErrorCode::EngineReadUnsupported,
                message: "Lago is the billing engine here and rates the usage itself: read the \
                      current usage from Lago"
                    .into(),
            })?;
        let Some(terms) = reader
            .terms(organization, id, self.default_tax_rate)
            .await?
        else {
            return Ok(None);
        };
        if scope.is_some_and(|customer| terms.customer.as_str() != customer) {
            return Ok(None);
        }
        let as_of = self.clock.now();
        let due = open_period(&terms)?.ok_or_else(|| AppError::Conflict {
            code: ErrorCode::SubscriptionTerminated,
            message: "the subscription is terminated and every period is invoiced".into(),
        })?;
        // Each phase's usage from its start in the period to now (none for a phase that
        // starts later: a downgrade scheduled for the period's end).
        let spans: Vec<Option<BillingPeriod>> = due
            .shares
            .iter()
            .map(|share| {
                BillingPeriod::new(share.active.start(), share.active.end().min(as_of)).ok()
            })
            .collect();
        let wanted: Vec<BillingPeriod> = spans.iter().flatten().copied().collect();
        let read = reader.usage(organization, &terms.customer, &wanted).await?;
        let mut read = read.into_iter();
        let usage: Vec<MeteredUsage> = spans
            .iter()
            .map(|span| match span {
                Some(_) => read.next().unwrap_or_default(),
                None => MeteredUsage::default(),
            })
            .collect();
        let closing = rules::closing_invoice(&terms, &due, &usage)?;
        Ok(Some(CurrentUsage {
            currency: terms.currency,
            tax_rate: terms.tax_rate,
            customer: terms.customer,
            period: due.span,
            as_of,
            invoice: closing.invoice,
        }))
    }
}

/// The period the next close will invoice, whatever its end's age, without the next
/// period's in-advance fee. `None` when nothing is left to invoice.
fn open_period(terms: &rules::SubscriptionTerms) -> Result<Option<rules::ClosingDue>, DomainError> {
    let due = rules::closing_due(terms, DateTime::<Utc>::MAX_UTC, TimeDelta::zero(), None)?;
    Ok(due.map(|due| rules::ClosingDue {
        continues: false,
        ..due
    }))
}
