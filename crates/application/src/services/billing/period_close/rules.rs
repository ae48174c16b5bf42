//! The period close's rules, pure: which period of a subscription is due, which phases and
//! spans of usage it bills, and the invoice it gets. The store calls these inside its
//! transaction; they do no I/O.

mod invoice;

use std::sync::Arc;

use chrono::{DateTime, Datelike, Months, TimeDelta, Utc};
use tollgate_domain::{
    DomainError,
    billing::{BillingPeriod, Currency, FeeTiming, Interval, Money, Plan, TaxRate},
    usage::CustomerId,
};
use uuid::Uuid;

pub use invoice::{Closing, closing_invoice, opening_invoice};

/// A phase of a subscription: `[starts_at, ends_at)` on one plan version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseTerms {
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub plan_id: Uuid,
    pub version: i32,
    pub plan: Arc<Plan>,
}

impl PhaseTerms {
    fn covers(&self, at: DateTime<Utc>) -> bool {
        self.starts_at <= at && self.ends_at.is_none_or(|end| at < end)
    }
}

/// What the close knows of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionTerms {
    pub customer: CustomerId,
    pub currency: Currency,
    /// What its invoices are taxed at: the customer's own rate, else the default.
    pub tax_rate: TaxRate,
    pub billing_anchor: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub trial_ends_at: Option<DateTime<Utc>>,
    pub terminated_at: Option<DateTime<Utc>>,
    /// The end of the last closed period.
    pub invoiced_through: DateTime<Utc>,
    /// Whether its opening invoice (the first in-advance fee) exists.
    pub opened: bool,
    /// The in-advance base fee billed for the period to close (the cycle holding
    /// `invoiced_through`), as its invoice line says; `None` when none was billed or its
    /// invoice was voided. What an unused-time credit gives back at most.
    pub paid_in_advance: Option<Money>,
    /// Whether the invoice that billed `paid_in_advance` is finalized (or paid): a
    /// termination's unused days are then given back in full by a credit note against it,
    /// not as a credit line of the final invoice. A draft cannot be credited (it has no
    /// number yet): its fee's unused days stay a credit line, as an upgrade's do.
    pub unused_on_credit_note: bool,
    /// By start, not overlapping.
    pub phases: Vec<PhaseTerms>,
}

impl SubscriptionTerms {
    fn interval(&self) -> Option<Interval> {
        self.phases.first().map(|phase| phase.plan.interval())
    }

    fn phase_at(&self, at: DateTime<Utc>) -> Option<&PhaseTerms> {
        self.phases.iter().find(|phase| phase.covers(at))
    }

    /// The part of `span` after the trial (base fees are not charged during a trial).
    fn after_trial(&self, span: BillingPeriod) -> Option<BillingPeriod> {
        let start = self
            .trial_ends_at
            .map_or(span.start(), |end| end.max(span.start()));
        BillingPeriod::new(start, span.end()).ok()
    }
}

/// The opening invoice: the first period's in-advance base fee, issued as it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningDue {
    /// The invoice's period: from the start to the end of the first cycle.
    pub span: BillingPeriod,
    pub cycle: BillingPeriod,
    /// The billed part of it (after the trial, before a known termination).
    pub billable: BillingPeriod,
    pub plan: Arc<Plan>,
}

/// One phase's share of a closed period: the span it was active, whose usage it bills,
/// exactly (`[start, end)` to the microsecond, whatever the rollups' minutes: a call a few
/// seconds before the subscription started, or after it ended, is not its usage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseShare {
    pub phase: usize,
    pub active: BillingPeriod,
}

/// A period to close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosingDue {
    /// The whole billing cycle: what prorations divide by.
    pub cycle: BillingPeriod,
    /// What this invoice closes: from `invoiced_through` to the cycle's end, or to the
    /// termination.
    pub span: BillingPeriod,
    pub shares: Vec<PhaseShare>,
    /// Whether the subscription goes on past `span` (its next period's in-advance fee is due).
    pub continues: bool,
}

/// A renewal: the phase running at `at` ends there and one on the plan's latest version
/// starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewal {
    pub at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub plan_id: Uuid,
    pub version: i32,
}

fn out_of_range(at: DateTime<Utc>) -> DomainError {
    DomainError::OutOfRange {
        field: "billing period",
        text: at.to_string(),
    }
}

/// `anchor` moved by `cycles` intervals (backwards when negative), always from the anchor so
/// that month ends do not drift.
fn step(anchor: DateTime<Utc>, interval: Interval, cycles: i64) -> Option<DateTime<Utc>> {
    let per_cycle: i64 = match interval {
        Interval::Monthly => 1,
        Interval::Yearly => 12,
    };
    let months = u32::try_from(cycles.checked_mul(per_cycle)?.unsigned_abs()).ok()?;
    if cycles >= 0 {
        anchor.checked_add_months(Months::new(months))
    } else {
        anchor.checked_sub_months(Months::new(months))
    }
}

/// The billing cycle `[anchor + n intervals, anchor + n+1)` that contains `at`, also before the
/// anchor.
///
/// # Errors
/// `OutOfRange` past the dates chrono represents.
pub fn cycle_containing(
    anchor: DateTime<Utc>,
    interval: Interval,
    at: DateTime<Utc>,
) -> Result<BillingPeriod, DomainError> {
    let months = i64::from(at.year() - anchor.year()) * 12 + i64::from(at.month())
        - i64::from(anchor.month());
    let per_cycle = if interval == Interval::Yearly { 12 } else { 1 };
    let mut cycle = months.div_euclid(per_cycle);
    // The estimate is off by at most one (day and time within the month); a few steps settle.
    for _ in 0..4 {
        let start = step(anchor, interval, cycle).ok_or_else(|| out_of_range(at))?;
        let end = step(anchor, interval, cycle + 1).ok_or_else(|| out_of_range(at))?;
        if at < start {
            cycle -= 1;
        } else if at >= end {
            cycle += 1;
        } else {
            return BillingPeriod::new(start, end);
        }
    }
    Err(out_of_range(at))
}

/// The opening invoice due at `at`, if any: once started, before anything was closed, when the
/// first plan bills its base fee in advance and some of the first cycle is past the trial.
///
/// # Errors
/// `OutOfRange` for dates chrono cannot represent.
pub fn opening_due(
    terms: &SubscriptionTerms,
    at: DateTime<Utc>,
) -> Result<Option<OpeningDue>, DomainError> {
    if terms.opened || terms.started_at > at || terms.invoiced_through > terms.started_at {
        return Ok(None);
    }
    let Some(phase) = terms.phase_at(terms.started_at) else {
        return Ok(None);
    };
    if phase
        .plan
        .base_fee()
        .is_none_or(|fee| fee.timing() != FeeTiming::Advance)
    {
        return Ok(None);
    }
    let cycle = cycle_containing(
        terms.billing_anchor,
        phase.plan.interval(),
        terms.started_at,
    )?;
    let end = terms
        .terminated_at
        .map_or(cycle.end(), |end| end.min(cycle.end()));
    let Ok(span) = BillingPeriod::new(terms.started_at, end) else {
        return Ok(None);
    };
    let Some(billable) = terms.after_trial(span) else {
        return Ok(None);
    };
    Ok(Some(OpeningDue {
        span: BillingPeriod::new(terms.started_at, cycle.end())?,
        cycle,
        billable,
        plan: Arc::clone(&phase.plan),
    }))
}

/// The period to close at `at`, if its end is at least `grace` old and all usage before it is
/// in the rollups (`usage_complete_before`: the time of the oldest event still on its way to
/// the embedded meters, `None` when none is).
///
/// # Errors
/// `OutOfRange` for dates chrono cannot represent.
pub fn closing_due(
    terms: &SubscriptionTerms,
    at: DateTime<Utc>,
    grace: TimeDelta,
    usage_complete_before: Option<DateTime<Utc>>,
) -> Result<Option<ClosingDue>, DomainError> {
    let Some(interval) = terms.interval() else {
        return Ok(None);
    };
    let start = terms.invoiced_through;
    if terms.terminated_at.is_some_and(|end| end <= start) {
        return Ok(None);
    }
    let cycle = cycle_containing(terms.billing_anchor, interval, start)?;
    let end = terms
        .terminated_at
        .map_or(cycle.end(), |end| end.min(cycle.end()));
    let ready = end
        .checked_add_signed(grace)
        .is_some_and(|ready| ready <= at)
        && usage_complete_before.is_none_or(|oldest| end <= oldest);
    if !ready {
        return Ok(None);
    }
    let span = BillingPeriod::new(start, end)?;
    let shares = terms
        .phases
        .iter()
        .enumerate()
        .filter_map(|(phase, terms)| {
            let from = terms.starts_at.max(span.start());
            let to = terms.ends_at.map_or(span.end(), |e| e.min(span.end()));
            let active = BillingPeriod::new(from, to).ok()?;
            Some(PhaseShare { phase, active })
        })
        .collect();
    Ok(Some(ClosingDue {
        cycle,
        span,
        shares,
        continues: terms.terminated_at.is_none_or(|t| t > end),
    }))
}

/// The renewal due as `due` closes: when the subscription goes on and the phase running at
/// the next period's start is on an older version of its plan than `latest` says (and no
/// phase starts there already, a scheduled downgrade for one). Applies it to `terms`.
pub fn renew(
    terms: &mut SubscriptionTerms,
    due: &ClosingDue,
    latest: impl Fn(Uuid) -> Option<(i32, Arc<Plan>)>,
) -> Option<Renewal> {
    let at = due.span.end();
    if !due.continues || at != due.cycle.end() {
        return None;
    }
    let index = terms.phases.iter().position(|phase| phase.covers(at))?;
    let phase = &terms.phases[index];
    if phase.starts_at == at {
        return None;
    }
    let (version, plan) = latest(phase.plan_id)?;
    let same_terms =
        plan.interval() == phase.plan.interval() && plan.currency() == phase.plan.currency();
    if version <= phase.version || !same_terms {
        return None;
    }
    let renewal = Renewal {
        at,
        ends_at: phase.ends_at,
        plan_id: phase.plan_id,
        version,
    };
    let next = PhaseTerms {
        starts_at: at,
        ends_at: phase.ends_at,
        plan_id: phase.plan_id,
        version,
        plan,
    };
    terms.phases[index].ends_at = Some(at);
    terms.phases.insert(index + 1, next);
    Some(renewal)
}
