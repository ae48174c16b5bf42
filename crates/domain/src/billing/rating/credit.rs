//! Credits for the unused part of a base fee paid in advance (a plan change or a termination
//! before the period's end), and the cap that keeps an invoice from going below zero.

use rust_decimal::Decimal;

use super::super::{
    BillingPeriod, FeeTiming, InvoiceLine, LineKind, Money, Plan, Proration, ProrationFactor,
};
use crate::DomainError;

/// What `paid` for `period` less the used days' own fee leaves unused, with the unused span's
/// days; `None` when nothing is.
fn unused_part(
    plan: &Plan,
    period: BillingPeriod,
    paid: Money,
    used: Option<BillingPeriod>,
    unused: BillingPeriod,
) -> Result<Option<(Money, ProrationFactor)>, DomainError> {
    let Some(fee) = plan.base_fee() else {
        return Ok(None);
    };
    let used_cost = match used {
        Some(active) => Proration::Partial { active }
            .factor(&period)?
            .apply(fee.amount())?
            .round_to_minor_half_even(),
        None => Money::zero(fee.amount().currency()),
    };
    let credit = paid.checked_sub(used_cost)?;
    if credit.is_negative() || credit.is_zero() {
        return Ok(None);
    }
    let days = Proration::Partial { active: unused }.factor(&period)?;
    Ok(Some((credit, days)))
}

/// The credit line for what `plan`'s base fee, paid in advance for `period`, was not used
/// for: `paid` (the amount its in-advance line billed) less what the days actually used cost,
/// `used` (`None`: none), prorated and rounded once, half-even, exactly as a base fee line for
/// those days alone would be. So the used days end up costing exactly their own prorated fee
/// and the credit is never more than was paid. `unused` is the span credited (from the change
/// to the period's end): the line's period, and the days its proration names. `None` when nothing is given back:
/// no base fee, nothing paid, or the used days cost all of it.
///
/// Subtracting from the rounded `paid` rather than rounding the unused days' share on its own
/// keeps "used days + credit = paid" exact: two separate roundings could be a cent off.
///
/// # Errors
/// `Invalid` when a span is not within `period`, `CurrencyMismatch` when `paid` is not in the
/// plan's currency.
pub fn rate_unused_time_credit(
    plan: &Plan,
    period: BillingPeriod,
    paid: Money,
    used: Option<BillingPeriod>,
    unused: BillingPeriod,
) -> Result<Option<InvoiceLine>, DomainError> {
    let Some((credit, proration)) = unused_part(plan, period, paid, used, unused)? else {
        return Ok(None);
    };
    let kind = LineKind::UnusedTimeCredit { proration };
    let given_back = Money::new(-credit.amount(), credit.currency());
    // The line's period is the span it gives back, as a prorated fee line's is its own span.
    InvoiceLine::fixed(kind, unused, given_back).map(Some)
}

/// The same unused part as [`rate_unused_time_credit`], as the line of a credit note against
/// the invoice that billed the fee: the part of that in-advance fee given back, for the
/// unused days (`proration`), a positive amount like every line of a credit note. Exactly
/// the amount the credit line would give back, never cut.
///
/// # Errors
/// As [`rate_unused_time_credit`].
pub fn rate_unused_time_refund(
    plan: &Plan,
    period: BillingPeriod,
    paid: Money,
    used: Option<BillingPeriod>,
    unused: BillingPeriod,
) -> Result<Option<InvoiceLine>, DomainError> {
    let Some((credit, proration)) = unused_part(plan, period, paid, used, unused)? else {
        return Ok(None);
    };
    let kind = LineKind::BaseFee {
        timing: FeeTiming::Advance,
        proration,
    };
    InvoiceLine::new(
        kind,
        unused,
        Decimal::ONE,
        Decimal::ZERO,
        credit.amount(),
        credit,
    )
    .map(Some)
}

/// `lines` with their credits capped so that their sum is never below zero: credits are
/// taken in order while the other lines cover them; a credit that nothing covers any more is
/// reduced (or dropped when nothing of it is left). What is cut off is not carried over to a
/// later invoice (a known limitation: an invoice's subtotal is never negative).
///
/// # Errors
/// `Overflow` past what a decimal holds, `CurrencyMismatch` for lines in several currencies.
pub fn cap_credits(lines: Vec<InvoiceLine>) -> Result<Vec<InvoiceLine>, DomainError> {
    let Some(currency) = lines.first().map(|line| line.amount().currency()) else {
        return Ok(lines);
    };
    let mut left = Money::sum(
        currency,
        lines
            .iter()
            .filter(|line| !line.kind().is_credit())
            .map(InvoiceLine::amount),
    )?;
    let mut capped = Vec::with_capacity(lines.len());
    for line in lines {
        if !line.kind().is_credit() {
            capped.push(line);
            continue;
        }
        let wanted = Money::new(-line.amount().amount(), line.amount().currency());
        let after = left.checked_sub(wanted)?;
        if !after.is_negative() {
            left = after;
            capped.push(line);
        } else if !left.is_zero() && !left.is_negative() {
            let given_back = Money::new(-left.amount(), currency);
            capped.push(InvoiceLine::fixed(line.kind(), line.period(), given_back)?);
            left = Money::zero(currency);
        }
    }
    Ok(capped)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeDelta, TimeZone, Utc};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::*;
    use crate::{
        billing::{BaseFee, Currency, FeeTiming, Interval, NewPlan, PlanCode, rate_base_fee},
        metering::Meter,
    };

    fn day(d: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap() + TimeDelta::days(d)
    }

    fn span(from: i64, to: i64) -> BillingPeriod {
        BillingPeriod::new(day(from), day(to)).unwrap()
    }

    fn usd(text: &str) -> Money {
        Money::new(text.parse().unwrap(), Currency::USD)
    }

    fn plan(fee: Money) -> Plan {
        Plan::new(NewPlan {
            code: PlanCode::parse("basic").unwrap(),
            interval: Interval::Monthly,
            currency: Currency::USD,
            base_fee: Some(BaseFee::new(fee, FeeTiming::Advance).unwrap()),
            trial_days: 0,
            charges: Vec::new(),
            minimum_commitment: None,
        })
        .unwrap()
    }

    fn fee_for(plan: &Plan, active: BillingPeriod) -> Money {
        rate_base_fee(plan, span(0, 31), Proration::Partial { active })
            .unwrap()
            .unwrap()
            .amount()
    }

    #[test]
    fn the_unused_days_give_back_what_was_paid_less_the_used_days_fee() {
        let basic = plan(usd("100"));
        // Paid 100.00 for January; used 10 of 31 days: 32.258… -> 32.26; back 67.74.
        let line = rate_unused_time_credit(
            &basic,
            span(0, 31),
            usd("100"),
            Some(span(0, 10)),
            span(10, 31),
        )
        .unwrap()
        .unwrap();
        assert_eq!(line.amount(), usd("-67.74"));
        assert_eq!(line.unit_price(), "-67.74".parse::<Decimal>().unwrap());
        let LineKind::UnusedTimeCredit { proration } = line.kind() else {
            panic!("{:?}", line.kind());
        };
        assert_eq!((proration.used_days(), proration.period_days()), (21, 31));
        assert_eq!(
            line.period(),
            span(10, 31),
            "the line names the days it credits"
        );
        // 21/31 of 100 alone would round to 67.74 too, but the credit is never more than
        // was paid: a fee paid for only 5 days (16.13) gives back at most that.
        let short = rate_unused_time_credit(&basic, span(0, 31), usd("16.13"), None, span(0, 31))
            .unwrap()
            .unwrap();
        assert_eq!(short.amount(), usd("-16.13"));
        // The used days cost all that was paid: nothing back.
        assert_eq!(
            rate_unused_time_credit(
                &basic,
                span(0, 31),
                usd("16.13"),
                Some(span(0, 5)),
                span(5, 31)
            ),
            Ok(None)
        );
    }

    #[test]
    fn a_termination_on_the_first_day_gives_the_whole_fee_back_on_a_credit_note_line() {
        let basic = plan(usd("49"));
        // Started and terminated within January 1st: no day used, all 31 unused.
        let start = day(0) + TimeDelta::hours(10);
        let end = start + TimeDelta::seconds(32);
        let used = BillingPeriod::new(start, end).unwrap();
        let unused = BillingPeriod::new(end, day(31)).unwrap();
        let line = rate_unused_time_refund(&basic, span(0, 31), usd("49"), Some(used), unused)
            .unwrap()
            .unwrap();
        assert_eq!(line.amount(), usd("49.00"));
        let LineKind::BaseFee { timing, proration } = line.kind() else {
            panic!("{:?}", line.kind());
        };
        assert_eq!(timing, FeeTiming::Advance);
        assert_eq!((proration.used_days(), proration.period_days()), (31, 31));
        assert_eq!(line.period(), unused);
        // Ten days used: what the credit line would give back, positive.
        let refund = rate_unused_time_refund(
            &basic,
            span(0, 31),
            usd("49"),
            Some(span(0, 10)),
            span(10, 31),
        )
        .unwrap()
        .unwrap();
        let credit = rate_unused_time_credit(
            &basic,
            span(0, 31),
            usd("49"),
            Some(span(0, 10)),
            span(10, 31),
        )
        .unwrap()
        .unwrap();
        // 49 x 10 / 31 = 15.806... -> 15.81 used, 33.19 back.
        assert_eq!(refund.amount(), usd("33.19"));
        assert_eq!(refund.amount().amount(), -credit.amount().amount());
    }

    #[test]
    fn credits_beyond_the_other_lines_are_cut_off_at_a_zero_subtotal() {
        let january = span(0, 31);
        let usage = |amount: &str| {
            let kind = LineKind::Usage {
                meter: Meter::Requests,
            };
            InvoiceLine::new(
                kind,
                january,
                Decimal::ONE,
                Decimal::ZERO,
                Decimal::ZERO,
                usd(amount),
            )
            .unwrap()
        };
        let credit = rate_unused_time_credit(
            &plan(usd("100")),
            january,
            usd("100"),
            Some(span(0, 10)),
            span(10, 31),
        )
        .unwrap()
        .unwrap();
        let kept = cap_credits(vec![usage("80"), credit.clone()]).unwrap();
        assert_eq!(kept[1], credit, "covered: kept whole");
        let capped = cap_credits(vec![usage("3.50"), credit.clone()]).unwrap();
        assert_eq!(capped[1].amount(), usd("-3.50"));
        assert_eq!(capped[1].kind(), credit.kind());
        let sum = Money::sum(Currency::USD, capped.iter().map(InvoiceLine::amount)).unwrap();
        assert!(sum.is_zero());
        let dropped = cap_credits(vec![usage("0"), credit]).unwrap();
        assert_eq!(
            dropped.len(),
            1,
            "nothing to credit against: no credit line"
        );
    }

    proptest! {
        /// For any fee and any day of the change, the used days' own prorated fee plus the
        /// credit is exactly what was paid, to the minor unit, and the credit never exceeds it.
        #[test]
        fn used_days_plus_the_credit_is_exactly_what_was_paid(
            cents in 1_i64..100_000_000,
            paid_from in 0_i64..31,
            change in 1_i64..31,
        ) {
            prop_assume!(paid_from < change);
            let basic = plan(Money::from_minor(cents, Currency::USD));
            let paid = fee_for(&basic, span(paid_from, 31));
            let used = span(paid_from, change);
            let credit = rate_unused_time_credit(&basic, span(0, 31), paid, Some(used), span(change, 31))
                .unwrap()
                .map_or(Money::zero(Currency::USD), |line| line.amount());
            prop_assert!(!credit.amount().is_sign_positive() || credit.is_zero());
            let used_fee = fee_for(&basic, used);
            prop_assert_eq!(used_fee.checked_sub(credit).unwrap(), paid);
            // One rounding of the unused share alone is at most a cent away.
            let alone = fee_for(&basic, span(change, 31));
            prop_assert!((alone.amount() + credit.amount()).abs() <= Decimal::new(1, 2));
        }
    }
}
