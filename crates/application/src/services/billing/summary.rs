//! The billing summary: per currency, what was invoiced, paid, is outstanding and was credited
//! over a span, read from the embedded ledger.
//!
//! With Lago as the system of record there is no such read: Lago's analytics
//! (`/analytics/gross_revenue`, `/analytics/invoice_collection`, `/analytics/overdue_balance`)
//! answer whole months, not an arbitrary span, and reading every invoice through its API to
//! add them up would be slow and still miss the payment times. So the summary is refused
//! there, with a code that says why, rather than answering figures that do not mean what the
//! route promises.

#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use tollgate_domain::{ErrorCode, organization::OrganizationId};

use crate::{
    AppError,
    ports::{BillingLedger, CurrencyTotals},
};

/// The longest span one summary covers: a few years of a busy ledger is still one indexed
/// aggregate, but an unbounded one is a scan nobody meant.
pub const MAX_SPAN: TimeDelta = TimeDelta::days(3_700);

pub struct BillingSummaryService {
    /// `None` when Lago is the billing engine.
    ledger: Option<Arc<dyn BillingLedger>>,
}

impl BillingSummaryService {
    pub fn new(ledger: Option<Arc<dyn BillingLedger>>) -> Self {
        Self { ledger }
    }

    /// Per currency, the totals over `[from, to)`.
    ///
    /// # Errors
    /// `Unprocessable`: `invalid_query` for an empty or too long span, `engine_read_unsupported`
    /// with Lago as the engine; `AppError::Port` when the ledger fails.
    pub async fn summary(
        &self,
        organization: OrganizationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CurrencyTotals>, AppError> {
        if from >= to || to - from > MAX_SPAN {
            return Err(AppError::Unprocessable {
                code: ErrorCode::InvalidQuery,
                message: format!(
                    "`from` must be before `to`, at most {} days before it",
                    MAX_SPAN.num_days()
                ),
            });
        }
        let ledger = self
            .ledger
            .as_ref()
            .ok_or_else(|| AppError::Unprocessable {
                code: ErrorCode::EngineReadUnsupported,
                message: "Lago is the billing engine here: its analytics answer whole months \
                      only, so there is no summary for an arbitrary span; read Lago's \
                      analytics or list the invoices"
                    .into(),
            })?;
        Ok(ledger.summary(organization, from, to).await?)
    }
}
