//! The period close's store: one transaction per batch claims the candidate subscriptions
//! (`FOR UPDATE SKIP LOCKED`), reads their terms and their usage (one statement each for the
//! whole batch), applies the pure rules of
//! [`tollgate_application::services::billing::period_close::rules`], and writes the invoices, their
//! lines, the advanced cursors, the renewals and the audit records. The unique index on
//! (subscription, period start, kind) refuses a second invoice for a period whatever happens.

mod claim;
mod current;
mod terms;
mod usage;
mod write;

use std::{
    borrow::Cow,
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tollgate_application::{
    PortError,
    ports::{BatchOutcome, CloseCursor, CloseRequest, PeriodCloseStore},
    services::billing::period_close::rules::{
        self, ClosingDue, OpeningDue, Renewal, SubscriptionTerms,
    },
};
use tollgate_domain::{
    DomainError,
    billing::{Invoice, InvoiceLine, MeteredUsage, Plan},
};
use uuid::Uuid;

use super::{PgPool, transaction};
use claim::Candidate;
use usage::UsageSpan;
use write::{Closed, Unused};

pub struct PgPeriodCloseStore {
    pool: PgPool,
    /// Invoices written since this store last refreshed the planner's statistics.
    written_since_analyze: Arc<AtomicU64>,
}

/// A month-end close writes thousands of invoices in a minute, faster than autovacuum
/// refreshes the statistics: planned against a table it still believes empty, the claim's
/// per-subscription lookups scan all invoices once per subscription, and each claim takes
/// seconds instead of milliseconds (measured: a 10,000-subscription close went from 18 s to
/// 58 s). So the store analyzes the invoice tables itself every this many invoices.
const ANALYZE_EVERY_INVOICES: u64 = 2_000;

impl PgPeriodCloseStore {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            written_since_analyze: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Refreshes the statistics of the invoice tables once enough invoices were written, in a
    /// transaction of its own (ANALYZE's lock is then held for a moment, not for a batch).
    async fn refresh_statistics(&self) -> Result<(), PortError> {
        if self.written_since_analyze.load(Ordering::Relaxed) < ANALYZE_EVERY_INVOICES {
            return Ok(());
        }
        self.written_since_analyze.store(0, Ordering::Relaxed);
        transaction(&self.pool, |connection| {
            Box::pin(async move {
                diesel_async::RunQueryDsl::execute(
                    diesel::sql_query("ANALYZE billing_invoices, billing_invoice_lines"),
                    connection,
                )
                .await
                .map(|_| ())
            })
        })
        .await
    }
}

/// A claimed subscription's due work, before its usage is read.
struct Due {
    candidate: usize,
    terms: SubscriptionTerms,
    opening: Option<OpeningDue>,
    closing: Option<ClosingDue>,
    renewal: Option<Renewal>,
    /// Where its closing shares' usage sits in the batch's usage read.
    usage_from: usize,
}

/// What is due of `candidate` (its index in the batch) at the request's time, renewal applied
/// to its terms; `usage_from` is set once its usage spans are queued.
fn plan(
    (index, candidate): (usize, &Candidate),
    terms: Result<SubscriptionTerms, DomainError>,
    request: &CloseRequest,
    pending_since: &HashMap<Uuid, DateTime<Utc>>,
    latest: &HashMap<Uuid, (i32, Arc<Plan>)>,
) -> Result<Due, DomainError> {
    let mut terms = terms?;
    let opening = rules::opening_due(&terms, request.at)?;
    let pending = pending_since.get(&candidate.organization_id).copied();
    let closing = rules::closing_due(&terms, request.at, request.grace, pending)?;
    let renewal = closing
        .as_ref()
        .and_then(|due| rules::renew(&mut terms, due, |plan| latest.get(&plan).cloned()));
    Ok(Due {
        candidate: index,
        terms,
        opening,
        closing,
        renewal,
        usage_from: 0,
    })
}

/// What the rules issue for one claimed subscription: its opening and closing invoices, and
/// the unused days of a terminated subscription's fee paid in advance, for a credit note.
struct Issued {
    opening: Option<Invoice>,
    closing: Option<Invoice>,
    unused: Option<Unused>,
}

fn invoices(due: &Due, usage: &[MeteredUsage], auto_finalize: bool) -> Result<Issued, DomainError> {
    let opening = due
        .opening
        .as_ref()
        .map(|opening| rules::opening_invoice(&due.terms, opening))
        .transpose()?
        .flatten();
    // An opening invoice written in this same batch paid the first period's fee in advance:
    // the closing of that period credits its unused days from it (the claim could not read it).
    let paid_now = opening
        .as_ref()
        .and_then(|invoice| invoice.lines().first())
        .map(InvoiceLine::amount);
    // That opening invoice is finalized with this batch when the close finalizes: then it
    // can be credited like a stored one.
    let from_opening = due.terms.paid_in_advance.is_none() && paid_now.is_some();
    let terms = match (&due.terms.paid_in_advance, paid_now) {
        (None, Some(paid)) => Cow::Owned(SubscriptionTerms {
            paid_in_advance: Some(paid),
            unused_on_credit_note: auto_finalize,
            ..due.terms.clone()
        }),
        _ => Cow::Borrowed(&due.terms),
    };
    let closing = due
        .closing
        .as_ref()
        .map(|closing| {
            let to = due.usage_from + closing.shares.len();
            let usage = usage.get(due.usage_from..to).unwrap_or(&[]);
            rules::closing_invoice(&terms, closing, usage)
        })
        .transpose()?;
    let (closing, unused) = closing.map_or((None, None), |c| (c.invoice, c.unused));
    Ok(Issued {
        opening,
        closing,
        unused: unused.map(|line| Unused {
            line,
            customer: terms.customer.clone(),
            currency: terms.currency,
            from_opening,
        }),
    })
}

#[async_trait]
impl PeriodCloseStore for PgPeriodCloseStore {
    async fn close_batch(
        &self,
        request: &CloseRequest,
        after: Option<CloseCursor>,
    ) -> Result<BatchOutcome, PortError> {
        let request = CloseRequest {
            at: super::invoices::stored_time(request.at),
            ..*request
        };
        self.refresh_statistics().await?;
        let written_since_analyze = Arc::clone(&self.written_since_analyze);
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let candidates = claim::claim(connection, &request, after).await?;
                let mut outcome = BatchOutcome {
                    claimed: u32::try_from(candidates.len()).unwrap_or(u32::MAX),
                    next: (candidates.len() >= usize::try_from(request.batch).unwrap_or(0))
                        .then(|| candidates.last().map(Candidate::cursor))
                        .flatten(),
                    ..BatchOutcome::default()
                };
                if candidates.is_empty() {
                    return Ok(outcome);
                }
                let mut terms =
                    terms::terms(connection, &candidates, request.default_tax_rate).await?;
                let mut organizations: Vec<Uuid> =
                    candidates.iter().map(|c| c.organization_id).collect();
                organizations.sort_unstable();
                organizations.dedup();
                let pending = claim::usage_pending_since(connection, &organizations).await?;

                let mut dues = Vec::new();
                let mut spans = Vec::new();
                for (index, candidate) in candidates.iter().enumerate() {
                    let Some(found) = terms.subscriptions.remove(&candidate.id) else {
                        continue;
                    };
                    match plan((index, candidate), found, &request, &pending, &terms.latest) {
                        Ok(mut due) => {
                            if due.opening.is_none() && due.closing.is_none() {
                                continue;
                            }
                            due.usage_from = spans.len();
                            for share in due.closing.iter().flat_map(|c| &c.shares) {
                                spans.push(UsageSpan {
                                    organization: candidate.organization_id,
                                    customer: due.terms.customer.as_str().to_owned(),
                                    span: share.active,
                                });
                            }
                            dues.push(due);
                        }
                        Err(error) => {
                            outcome.failed += 1;
                            tracing::warn!(subscription = %candidate.id, %error,
                                "cannot close this subscription's period");
                        }
                    }
                }
                let usage = usage::read(connection, &spans).await?;

                let mut closed = Vec::with_capacity(dues.len());
                for due in &dues {
                    let candidate = &candidates[due.candidate];
                    match invoices(due, &usage, request.auto_finalize) {
                        Ok(issued) => closed.push(Closed {
                            candidate,
                            opening: issued.opening.zip(due.opening.as_ref().map(|o| o.span)),
                            closing: issued.closing.zip(due.closing.as_ref().map(|c| c.span)),
                            unused: issued.unused,
                            through: due.closing.as_ref().map(|c| c.span.end()),
                            renewal: due.renewal.clone(),
                        }),
                        Err(error) => {
                            outcome.failed += 1;
                            tracing::warn!(subscription = %candidate.id, %error,
                                "cannot rate this subscription's period");
                        }
                    }
                }
                let written = write::write(connection, &request, closed).await?;
                written_since_analyze.fetch_add(u64::from(written.invoices), Ordering::Relaxed);
                outcome.periods = written.periods;
                outcome.invoices = written.invoices;
                outcome.renewals = written.renewals;
                Ok(outcome)
            })
        })
        .await
    }
}
