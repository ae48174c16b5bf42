//! Rating: a plan and a period's usage become invoice lines.
//!
//! Per charge: the free allowance comes off the metered quantity first, the pricing model
//! prices the rest exactly, and the result is rounded once, half-even, to the currency's minor
//! unit. Then minimums top up what fell short: each charge to its own minimum, and the usage
//! lines together (top-ups included) to the plan's minimum commitment. Minimums are per
//! period, so a partial period commits to its prorated share, as does the base fee; usage is
//! never prorated. The unused days of a base fee paid in advance are given back on a credit
//! line ([`rate_unused_time_credit`]), the only negative line, capped so that an invoice never
//! goes below zero ([`cap_credits`]).

mod credit;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
mod usage;

use rust_decimal::Decimal;

use super::{
    BillingPeriod, InvoiceLine, LineKind, Money, Plan, Proration, ProrationFactor, non_negative,
    overflow,
};
use crate::DomainError;

pub use credit::{cap_credits, rate_unused_time_credit, rate_unused_time_refund};
pub use usage::{ChargeUsage, MeteredUsage};

/// Every line `plan` bills for `period`: the base fee (if any) first, then [`rate_usage`]'s.
///
/// Which invoice the base fee line goes on is the invoicing service's choice: in advance, on
/// the invoice issued as the period opens; in arrears, with the period's usage. Its
/// [`LineKind::BaseFee`] says which.
///
/// # Errors
/// As [`rate_base_fee`] and [`rate_usage`].
pub fn rate(
    plan: &Plan,
    period: BillingPeriod,
    usage: &impl ChargeUsage,
    proration: Proration,
) -> Result<Vec<InvoiceLine>, DomainError> {
    let mut lines: Vec<InvoiceLine> = rate_base_fee(plan, period, proration)?
        .into_iter()
        .collect();
    lines.extend(rate_usage(plan, period, usage, proration)?);
    Ok(lines)
}

/// The base fee's line for `period`, prorated by calendar days for a partial one; `None` for
/// a plan without a base fee. The line's own period is what it bills: the active span of a
/// partial proration, `period` itself for a full one (`period` stays what it is prorated by).
///
/// # Errors
/// `Invalid` when a partial proration's span is not within `period`.
pub fn rate_base_fee(
    plan: &Plan,
    period: BillingPeriod,
    proration: Proration,
) -> Result<Option<InvoiceLine>, DomainError> {
    let Some(fee) = plan.base_fee() else {
        return Ok(None);
    };
    let factor = proration.factor(&period)?;
    let kind = LineKind::BaseFee {
        timing: fee.timing(),
        proration: factor,
    };
    let span = billed_span(period, proration);
    InvoiceLine::fixed(kind, span, factor.apply(fee.amount())?).map(Some)
}

/// One line per charge, in the plan's order (zero amounts included, so the invoice shows
/// what was used), then the minimum top-ups. Usage of meters the plan does not charge for
/// is not billed; a charged meter missing from `usage` was not used; failed calls count only
/// for a charge that includes them ([`ChargeUsage`]). As for
/// [`rate_base_fee`], the lines' period is the span the usage was metered over (the active
/// span of a partial proration), while minimums are prorated by `period`.
///
/// # Errors
/// `Negative` for a negative quantity, `Invalid` when a partial proration's span is not
/// within `period`, `Overflow` for quantities whose price does not fit in a decimal.
pub fn rate_usage(
    plan: &Plan,
    period: BillingPeriod,
    usage: &impl ChargeUsage,
    proration: Proration,
) -> Result<Vec<InvoiceLine>, DomainError> {
    let factor = proration.factor(&period)?;
    let span = billed_span(period, proration);
    let currency = plan.currency();
    let mut lines = Vec::with_capacity(plan.charges().len());
    for charge in plan.charges() {
        let meter = charge.meter();
        let used = usage.billed(charge);
        let used = non_negative(meter.slug(), used)?;
        let free = used.min(charge.free_units());
        let billed = used - free;
        let exact = charge.model().price(billed)?;
        let unit_price = if billed.is_zero() {
            Decimal::ZERO
        } else {
            exact
                .checked_div(billed)
                .ok_or_else(|| overflow("unit price"))?
                .normalize()
        };
        let amount = Money::new(exact, currency).round_to_minor_half_even();
        let kind = LineKind::Usage { meter };
        lines.push(InvoiceLine::new(
            kind, span, used, free, unit_price, amount,
        )?);
        if let Some(top_up) = top_up(charge.minimum(), factor, amount)? {
            lines.push(InvoiceLine::fixed(
                LineKind::ChargeMinimum { meter },
                span,
                top_up,
            )?);
        }
    }
    let charged = Money::sum(currency, lines.iter().map(InvoiceLine::amount))?;
    if let Some(top_up) = top_up(plan.minimum_commitment(), factor, charged)? {
        lines.push(InvoiceLine::fixed(
            LineKind::MinimumCommitment,
            span,
            top_up,
        )?);
    }
    Ok(lines)
}

/// The span a line rated under `proration` bills: its active span when partial (an upgrade's
/// phase shows its own days, not the whole period it is prorated against), else `period`.
fn billed_span(period: BillingPeriod, proration: Proration) -> BillingPeriod {
    match proration {
        Proration::Full => period,
        Proration::Partial { active } => active,
    }
}

/// What brings `charged` up to the prorated `minimum`, rounded; `None` when nothing is
/// missing. Both sides are rounded first, so `charged + top-up` is exactly the minimum.
fn top_up(
    minimum: Option<Money>,
    factor: ProrationFactor,
    charged: Money,
) -> Result<Option<Money>, DomainError> {
    let Some(minimum) = minimum else {
        return Ok(None);
    };
    let floor = factor.apply(minimum)?.round_to_minor_half_even();
    let missing = floor.checked_sub(charged)?;
    Ok((!missing.is_negative() && !missing.is_zero()).then_some(missing))
}
