//! Property tests of rating: free allowances, monotonicity after rounding, minimums.

use chrono::{TimeZone, Utc};
use proptest::prelude::*;

use super::*;
use crate::billing::{
    Charge, Currency, Interval, NewPlan, PlanCode, PricingModel,
    pricing::properties::{monotonic_model, price, tiers, units},
};
use crate::metering::Meter;
use std::collections::BTreeMap;

fn january() -> BillingPeriod {
    let at = |m| Utc.with_ymd_and_hms(2025, m, 1, 0, 0, 0).unwrap();
    BillingPeriod::new(at(1), at(2)).unwrap()
}

/// Any model, volume with falling prices included.
fn any_model() -> impl Strategy<Value = PricingModel> {
    prop_oneof![
        monotonic_model(),
        tiers().prop_map(|t| PricingModel::volume(t).unwrap()),
    ]
}

/// A USD plan with one charge on `cost_usd` (the one meter every model may price).
fn plan(model: PricingModel, free: Decimal, commitment: Option<Decimal>) -> Plan {
    Plan::new(NewPlan {
        code: PlanCode::parse("p").unwrap(),
        interval: Interval::Monthly,
        currency: Currency::USD,
        base_fee: None,
        trial_days: 0,
        charges: vec![Charge::new(Meter::CostUsd, model, free, None).unwrap()],
        minimum_commitment: commitment.map(|c| Money::new(c, Currency::USD)),
    })
    .unwrap()
}

fn rated(plan: &Plan, used: Decimal) -> Vec<InvoiceLine> {
    let usage = BTreeMap::from([(Meter::CostUsd, used)]);
    rate_usage(plan, january(), &usage, Proration::Full).unwrap()
}

proptest! {
    #[test]
    fn usage_within_the_free_allowance_never_charges(
        model in any_model(),
        used in units(),
        extra in units(),
    ) {
        let lines = rated(&plan(model, used + extra, None), used);
        prop_assert_eq!(lines.len(), 1);
        prop_assert!(lines[0].amount().is_zero());
        prop_assert_eq!(lines[0].free_quantity(), used);
    }

    #[test]
    fn rounded_line_amounts_are_monotonic_in_usage(
        model in monotonic_model(),
        free in units(),
        used in units(),
        more in units(),
    ) {
        let plan = plan(model, free, None);
        let less = rated(&plan, used)[0].amount().amount();
        let most = rated(&plan, used + more)[0].amount().amount();
        prop_assert!(less <= most);
    }

    #[test]
    fn a_commitment_is_met_exactly_when_usage_falls_short(
        model in any_model(),
        used in units(),
        commitment in price(),
    ) {
        let plan = plan(model, Decimal::ZERO, Some(commitment));
        let lines = rated(&plan, used);
        let floor = Money::new(commitment, Currency::USD).round_to_minor_half_even();
        let usage_amount = lines[0].amount();
        let total = Money::sum(Currency::USD, lines.iter().map(InvoiceLine::amount)).unwrap();
        prop_assert!(lines.iter().all(|l| l.amount().is_rounded()));
        if usage_amount.amount() < floor.amount() {
            prop_assert_eq!(total, floor);
            prop_assert_eq!(lines[1].kind(), LineKind::MinimumCommitment);
        } else {
            prop_assert_eq!(lines.len(), 1);
        }
    }
}
