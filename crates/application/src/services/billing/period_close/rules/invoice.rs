//! The invoices of the period close: which lines each due period gets, in which order.

use chrono::{DateTime, Utc};
use tollgate_domain::{
    DomainError,
    billing::{
        BillingPeriod, FeeTiming, Invoice, InvoiceLine, MeteredUsage, Money, Plan, Proration,
        cap_credits, rate_base_fee, rate_unused_time_credit, rate_unused_time_refund, rate_usage,
    },
};

use super::{ClosingDue, OpeningDue, SubscriptionTerms, cycle_containing};

fn proration(cycle: BillingPeriod, active: BillingPeriod) -> Proration {
    if active == cycle {
        Proration::Full
    } else {
        Proration::Partial { active }
    }
}

/// The opening invoice's draft: one line, the first period's in-advance fee, prorated.
///
/// # Errors
/// As [`rate_base_fee`] and [`Invoice::add_lines`] (a plan in another currency than the
/// customer's).
pub fn opening_invoice(
    terms: &SubscriptionTerms,
    due: &OpeningDue,
) -> Result<Option<Invoice>, DomainError> {
    let line = rate_base_fee(&due.plan, due.cycle, proration(due.cycle, due.billable))?;
    draft(terms, line.into_iter().collect())
}

/// What closing a period issues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    /// The closing invoice's draft; `None` when there is nothing to bill.
    pub invoice: Option<Invoice>,
    /// A termination's unused days of the fee paid in advance, in full, for a credit note
    /// against the invoice that billed it (see [`SubscriptionTerms::unused_on_credit_note`]).
    pub unused: Option<InvoiceLine>,
}

/// The closing invoice's draft, lines in this order: per phase, its base fee (in arrears; or
/// in advance for a phase that began during the period: an upgrade's new plan, which its
/// opening or the previous close did not bill) then its usage lines, then, for the phase
/// whose fee was paid in advance and that ended before the period's end (an upgrade or a
/// termination), the credit of its unused days; last, the next period's in-advance fee when
/// the subscription goes on. Credits are capped so that the subtotal is never negative.
/// A termination's unused days, when the invoice that billed them can be credited, are not a
/// line but [`Closing::unused`], never cut.
/// `usage[i]` is the usage of `due.shares[i]`, failed calls apart (billed only by the charges
/// that include them). The invoice is `None` when there is nothing to bill.
///
/// # Errors
/// As [`rate_base_fee`], [`rate_usage`] and [`Invoice::add_lines`].
pub fn closing_invoice(
    terms: &SubscriptionTerms,
    due: &ClosingDue,
    usage: &[MeteredUsage],
) -> Result<Closing, DomainError> {
    let empty = MeteredUsage::default();
    let mut lines = Vec::new();
    let mut unused = None;
    for (index, share) in due.shares.iter().enumerate() {
        let phase = &terms.phases[share.phase];
        let plan = &phase.plan;
        let paid_ahead = phase.starts_at <= due.span.start() || phase.starts_at == terms.started_at;
        let billed_now = match plan.base_fee().map(|fee| fee.timing()) {
            Some(FeeTiming::Arrears) => true,
            Some(FeeTiming::Advance) => !paid_ahead,
            None => false,
        };
        if billed_now && let Some(billable) = terms.after_trial(share.active) {
            lines.extend(rate_base_fee(
                plan,
                due.cycle,
                proration(due.cycle, billable),
            )?);
        }
        let used = usage.get(index).unwrap_or(&empty);
        lines.extend(rate_usage(
            plan,
            due.cycle,
            used,
            proration(due.cycle, share.active),
        )?);
        let paid_in_advance =
            paid_ahead && plan.base_fee().map(|fee| fee.timing()) == Some(FeeTiming::Advance);
        if paid_in_advance
            && share.active.end() < due.cycle.end()
            && let Some(paid) = terms.paid_in_advance
        {
            let terminated = terms.terminated_at == Some(share.active.end());
            if terminated && terms.unused_on_credit_note {
                unused = unused_time(terms, due, share.active, paid, plan, Credit::Note)?;
            } else {
                lines.extend(unused_time(
                    terms,
                    due,
                    share.active,
                    paid,
                    plan,
                    Credit::Line,
                )?);
            }
        }
    }
    if due.continues
        && due.span.end() == due.cycle.end()
        && let Some(line) = next_in_advance(terms, due.cycle.end())?
    {
        lines.push(line);
    }
    Ok(Closing {
        invoice: draft(terms, cap_credits(lines)?)?,
        unused,
    })
}

/// Where unused days are given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Credit {
    /// A negative line of the closing invoice.
    Line,
    /// A credit note's line.
    Note,
}

/// What is given back for the days of `cycle` after `active` ends that `paid` (the fee billed
/// in advance on the phase's plan) paid for: what was paid less what the used days cost.
fn unused_time(
    terms: &SubscriptionTerms,
    due: &ClosingDue,
    active: BillingPeriod,
    paid: Money,
    plan: &Plan,
    credit: Credit,
) -> Result<Option<InvoiceLine>, DomainError> {
    let unused = BillingPeriod::new(active.end(), due.cycle.end())?;
    // Trial days were not paid for, so they are neither used nor credited.
    let used = terms.after_trial(active);
    let unused = terms.after_trial(unused).unwrap_or(unused);
    match credit {
        Credit::Line => rate_unused_time_credit(plan, due.cycle, paid, used, unused),
        Credit::Note => rate_unused_time_refund(plan, due.cycle, paid, used, unused),
    }
}

/// The in-advance fee of the cycle starting at `at`, on the plan running then.
fn next_in_advance(
    terms: &SubscriptionTerms,
    at: DateTime<Utc>,
) -> Result<Option<InvoiceLine>, DomainError> {
    let Some(phase) = terms.phase_at(at) else {
        return Ok(None);
    };
    let plan = &phase.plan;
    if plan
        .base_fee()
        .is_none_or(|fee| fee.timing() != FeeTiming::Advance)
    {
        return Ok(None);
    }
    let cycle = cycle_containing(terms.billing_anchor, plan.interval(), at)?;
    let end = terms
        .terminated_at
        .map_or(cycle.end(), |t| t.min(cycle.end()));
    let Some(billable) = BillingPeriod::new(at, end)
        .ok()
        .and_then(|span| terms.after_trial(span))
    else {
        return Ok(None);
    };
    rate_base_fee(plan, cycle, proration(cycle, billable))
}

fn draft(
    terms: &SubscriptionTerms,
    lines: Vec<InvoiceLine>,
) -> Result<Option<Invoice>, DomainError> {
    if lines.is_empty() {
        return Ok(None);
    }
    let mut invoice = Invoice::draft(terms.customer.clone(), terms.currency, terms.tax_rate);
    invoice.add_lines(lines)?;
    Ok(Some(invoice))
}
