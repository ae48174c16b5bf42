//! The embedded period close: every ended billing period of every subscription gets exactly
//! one invoice, made from its phases' plans and the embedded usage rollups.
//!
//! A pass claims subscriptions in batches (`FOR UPDATE SKIP LOCKED`: any number of replicas
//! and of `tollgate billing close` runs may overlap, each subscription is closed by one of
//! them) and, for a whole batch in one transaction: rates each due period, writes its invoice
//! (draft, or finalized with its gapless number when `billing.auto_finalize`), advances
//! `invoiced_through` and renews the plan version. The unique index on (subscription, period
//! start, kind) is the last guard: a second invoice for one period cannot be stored.
//!
//! # The rules ([`rules`])
//!
//! - **Periods** are `[anchor + n intervals, anchor + n+1)`. The period after
//!   `invoiced_through` closes once it has ended; a terminated subscription's last period ends
//!   at the termination (prorated). A subscription behind by several periods catches up, one
//!   invoice per period, within the same pass.
//! - **Late usage**: a period is closed only when its end is `billing.close_grace_secs` old
//!   (default 1 h) **and** no event of the organization from before that end is still pending
//!   for the embedded meters (dead letters do not hold billing back: they need an operator).
//!   Usage is billed exactly over each phase's `[start, end)`: whole days, hours and minutes
//!   from the rollups (by bucket start), the partial minutes at its ends from the stored
//!   events, so each event counts once and none from outside the phase.
//! - **Base fees in arrears** are billed on the closing invoice of the period they pay for,
//!   prorated by the days of each phase.
//! - **Base fees in advance** are billed at the start of the period they pay for: the first
//!   period's on an *opening* invoice issued as the subscription starts (prorated from the
//!   start), every later period's on the closing invoice of the period before it (which is
//!   issued as that period starts). A phase that begins mid-period (an upgrade) is billed its
//!   prorated in-advance fee on the period's closing invoice. A phase paid in advance that
//!   ends before the period's end gets its unused days back, worth what its in-advance line
//!   billed (read from the stored invoice) less the used days' own prorated fee, so the used
//!   days cost exactly that fee: a termination's by a credit note against the invoice that
//!   billed the fee, in full (when that invoice is finalized); an upgrade's on its closing
//!   invoice, an `unused_time_credit` line, the only negative line, capped so that the
//!   invoice's subtotal never goes below zero (what is cut off is not carried over). A trial's
//!   days are not charged a base fee (nor credited); usage during a trial is.
//! - **Plan changes**: each phase of the period is rated with `rate()` on its own plan version
//!   for its own days (an upgrade mid-period gives two prorated phases on one invoice). At
//!   each period's end a running subscription moves onto its plan's latest version (a
//!   `renewal` phase); downgrades scheduled by the subscription API as a phase starting at the
//!   period's end apply by themselves.
//! - **Tax**: each invoice is taxed at its customer's rate, else at
//!   `billing.default_tax_rate_percent`, once on the subtotal (half-even); the rate is kept
//!   on the invoice, so a later change of either applies to later invoices only.

pub mod rules;
#[cfg(test)]
mod tests;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::watch;
use tollgate_domain::billing::TaxRate;

use crate::{
    PortError,
    ports::{BatchOutcome, Clock, CloseRequest, PeriodCloseStore},
};

/// How the close runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodCloseSettings {
    pub grace: TimeDelta,
    pub batch: u32,
    pub auto_finalize: bool,
    /// The rate of customers without one of their own.
    pub default_tax_rate: TaxRate,
    /// Between passes of the scheduled close.
    pub every: Duration,
}

/// What one pass did, summed over its batches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CloseReport {
    pub passes: u32,
    pub batches: u32,
    pub claimed: u32,
    pub periods: u32,
    pub invoices: u32,
    pub renewals: u32,
    pub failed: u32,
}

impl CloseReport {
    fn add(&mut self, batch: &BatchOutcome) {
        self.batches += 1;
        self.claimed += batch.claimed;
        self.periods += batch.periods;
        self.invoices += batch.invoices;
        self.renewals += batch.renewals;
        self.failed += batch.failed;
    }
}

pub struct PeriodCloseService {
    store: Arc<dyn PeriodCloseStore>,
    clock: Arc<dyn Clock>,
    settings: PeriodCloseSettings,
}

impl PeriodCloseService {
    pub fn new(
        store: Arc<dyn PeriodCloseStore>,
        clock: Arc<dyn Clock>,
        settings: PeriodCloseSettings,
    ) -> Self {
        Self {
            store,
            clock,
            settings,
        }
    }

    /// One pass: closes everything due at `at` (now when `None`), batch after batch, until no
    /// candidate is left.
    ///
    /// # Errors
    /// The store's error; batches committed before it stay committed.
    pub async fn close_due(&self, at: Option<DateTime<Utc>>) -> Result<CloseReport, PortError> {
        let request = CloseRequest {
            at: at.unwrap_or_else(|| self.clock.now()),
            grace: self.settings.grace,
            batch: self.settings.batch.max(1),
            auto_finalize: self.settings.auto_finalize,
            default_tax_rate: self.settings.default_tax_rate,
        };
        let mut report = CloseReport::default();
        // A subscription behind by several periods closes one per pass (its cursor moves
        // behind the pass's): passes repeat until one finds nothing more to do.
        loop {
            let pass = self.pass(&request).await?;
            report.passes += 1;
            report.batches += pass.batches;
            report.claimed += pass.claimed;
            report.periods += pass.periods;
            report.invoices += pass.invoices;
            report.renewals += pass.renewals;
            report.failed += pass.failed;
            if pass.periods == 0 && pass.invoices == 0 {
                return Ok(report);
            }
        }
    }

    async fn pass(&self, request: &CloseRequest) -> Result<CloseReport, PortError> {
        let mut report = CloseReport::default();
        let mut after = None;
        loop {
            let batch = self.store.close_batch(request, after).await?;
            report.add(&batch);
            match batch.next {
                Some(next) => after = Some(next),
                None => return Ok(report),
            }
        }
    }

    /// Passes every `settings.every` until `shutdown` turns true; a failed pass is logged and
    /// retried at the next tick (nothing of a failed batch was written).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            match self.close_due(None).await {
                Ok(report) if report.invoices > 0 || report.failed > 0 => {
                    tracing::info!(?report, "billing periods closed");
                }
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "the period close failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(self.settings.every) => {}
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() {
                        return;
                    }
                }
            }
        }
    }
}
