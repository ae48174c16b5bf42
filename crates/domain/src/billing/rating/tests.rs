use std::{collections::BTreeMap, str::FromStr};

use chrono::{TimeZone, Utc};

use super::*;
use crate::billing::{
    BaseFee, Charge, Currency, FeeTiming, Interval, NewPlan, PlanCode, Price, PricingModel, Tier,
};
use crate::metering::Meter;

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn money(text: &str, currency: Currency) -> Money {
    Money::new(dec(text), currency)
}

fn january() -> BillingPeriod {
    let at = |m| Utc.with_ymd_and_hms(2025, m, 1, 0, 0, 0).unwrap();
    BillingPeriod::new(at(1), at(2)).unwrap()
}

fn from_the_15th() -> Proration {
    let start = Utc.with_ymd_and_hms(2025, 1, 15, 14, 0, 0).unwrap();
    Proration::Partial {
        active: BillingPeriod::new(start, january().end()).unwrap(),
    }
}

fn tier(from: i64, up_to: Option<i64>, price: &str) -> Tier {
    Tier {
        from: Decimal::from(from),
        up_to: up_to.map(Decimal::from),
        unit_price: Price::new(dec(price)).unwrap(),
    }
}

fn charge(meter: Meter, model: PricingModel) -> Charge {
    Charge::new(meter, model, Decimal::ZERO, None).unwrap()
}

/// 49.00 a month in advance; input tokens in three graduated tiers; requests in packages of
/// 1,000 at 1.50; the LLM cost plus 20 %.
fn pro_plan() -> NewPlan {
    let graduated = PricingModel::graduated(vec![
        tier(0, Some(1000), "0.002"),
        tier(1000, Some(10_000), "0.0015"),
        tier(10_000, None, "0.001"),
    ])
    .unwrap();
    NewPlan {
        code: PlanCode::parse("pro").unwrap(),
        interval: Interval::Monthly,
        currency: Currency::USD,
        base_fee: Some(BaseFee::new(money("49", Currency::USD), FeeTiming::Advance).unwrap()),
        trial_days: 0,
        charges: vec![
            charge(Meter::InputTokens, graduated),
            charge(
                Meter::Requests,
                PricingModel::package(dec("1000"), dec("1.50")).unwrap(),
            ),
            charge(
                Meter::CostUsd,
                PricingModel::percentage_markup(dec("20")).unwrap(),
            ),
        ],
        minimum_commitment: None,
    }
}

fn usage(entries: &[(Meter, &str)]) -> BTreeMap<Meter, Decimal> {
    entries.iter().map(|&(meter, q)| (meter, dec(q))).collect()
}

fn amounts(lines: &[InvoiceLine]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.amount().amount().to_string())
        .collect()
}

#[test]
fn a_full_period_bills_the_fee_and_each_charge_rounded_once() {
    let plan = Plan::new(pro_plan()).unwrap();
    let used = usage(&[
        (Meter::InputTokens, "12345"),
        (Meter::Requests, "2001"),
        (Meter::CostUsd, "0.0000049999999999999996"),
        // Not charged by the plan: not billed.
        (Meter::OutputTokens, "999999"),
    ]);
    let lines = rate(&plan, january(), &used, Proration::Full).unwrap();
    // 17.845 is a tie at the cent: half-even keeps the even 4.
    assert_eq!(amounts(&lines), ["49.00", "17.84", "4.50", "0.00"]);
    assert!(matches!(
        lines[0].kind(),
        LineKind::BaseFee {
            timing: FeeTiming::Advance,
            ..
        }
    ));
    assert_eq!(lines[1].quantity(), dec("12345"));
    // 17.845 / 12,345: the average price, for display only.
    assert_eq!(lines[1].unit_price().round_dp(10), dec("0.0014455245"));
    // Three packages for 2,001 requests: 4.50 / 2,001 each.
    assert_eq!(lines[2].unit_price().round_dp(6), dec("0.002249"));
    assert_eq!(lines[3].unit_price(), dec("1.2"));
    assert!(lines.iter().all(|l| l.period() == january()));
}

#[test]
fn unused_meters_bill_zero_lines() {
    let plan = Plan::new(pro_plan()).unwrap();
    let lines = rate_usage(
        &plan,
        january(),
        &BTreeMap::<Meter, Decimal>::new(),
        Proration::Full,
    )
    .unwrap();
    assert_eq!(amounts(&lines), ["0.00", "0.00", "0.00"]);
    assert!(lines.iter().all(|l| l.unit_price().is_zero()));
}

#[test]
fn a_partial_period_prorates_the_base_fee_by_days_but_not_usage() {
    let plan = Plan::new(pro_plan()).unwrap();
    let used = usage(&[(Meter::Requests, "1000")]);
    let lines = rate(&plan, january(), &used, from_the_15th()).unwrap();
    // 49 × 17 / 31 = 26.870967...
    assert_eq!(amounts(&lines), ["26.87", "0.00", "1.50", "0.00"]);
    let LineKind::BaseFee { proration, .. } = lines[0].kind() else {
        panic!("the base fee comes first");
    };
    assert_eq!((proration.used_days(), proration.period_days()), (17, 31));
    // Each line names the days it bills, not the whole period it is prorated against.
    let Proration::Partial { active } = from_the_15th() else {
        panic!("a partial proration");
    };
    assert!(lines.iter().all(|l| l.period() == active));
}

#[test]
fn the_free_allowance_comes_off_before_pricing() {
    let mut plan = pro_plan();
    plan.charges = vec![
        Charge::new(
            Meter::Requests,
            PricingModel::per_unit(dec("0.01")).unwrap(),
            dec("1000"),
            None,
        )
        .unwrap(),
    ];
    let plan = Plan::new(plan).unwrap();
    let rated = |q| {
        rate_usage(
            &plan,
            january(),
            &usage(&[(Meter::Requests, q)]),
            Proration::Full,
        )
    };
    let within = rated("800").unwrap();
    assert_eq!(amounts(&within), ["0.00"]);
    assert_eq!(within[0].free_quantity(), dec("800"));
    let beyond = rated("1500").unwrap();
    assert_eq!(amounts(&beyond), ["5.00"]);
    assert_eq!(
        (
            beyond[0].quantity(),
            beyond[0].free_quantity(),
            beyond[0].unit_price()
        ),
        (dec("1500"), dec("1000"), dec("0.01"))
    );
}

#[test]
fn a_charge_below_its_minimum_is_topped_up_prorated_for_a_partial_period() {
    let mut plan = pro_plan();
    plan.base_fee = None;
    let package = PricingModel::package(dec("1000"), dec("1.50")).unwrap();
    let minimum = Some(money("10", Currency::USD));
    plan.charges = vec![Charge::new(Meter::Requests, package, Decimal::ZERO, minimum).unwrap()];
    let plan = Plan::new(plan).unwrap();
    let used = usage(&[(Meter::Requests, "2001")]);
    let lines = rate(&plan, january(), &used, Proration::Full).unwrap();
    assert_eq!(amounts(&lines), ["4.50", "5.50"]);
    assert_eq!(
        lines[1].kind(),
        LineKind::ChargeMinimum {
            meter: Meter::Requests
        }
    );
    // 10 × 17 / 31 = 5.48387...: the half month commits to 5.48.
    let lines = rate(&plan, january(), &used, from_the_15th()).unwrap();
    assert_eq!(amounts(&lines), ["4.50", "0.98"]);
    let used = usage(&[(Meter::Requests, "7000")]);
    assert_eq!(
        amounts(&rate(&plan, january(), &used, Proration::Full).unwrap()),
        ["10.50"]
    );
}

#[test]
fn usage_below_the_plans_commitment_is_topped_up_to_it() {
    let mut plan = pro_plan();
    plan.minimum_commitment = Some(money("50", Currency::USD));
    let plan = Plan::new(plan).unwrap();
    let used = usage(&[(Meter::InputTokens, "12345"), (Meter::Requests, "2001")]);
    let lines = rate(&plan, january(), &used, Proration::Full).unwrap();
    // The base fee does not count towards the commitment: 17.84 + 4.50 + 0.00 + 27.66 = 50.
    assert_eq!(amounts(&lines), ["49.00", "17.84", "4.50", "0.00", "27.66"]);
    assert_eq!(lines[4].kind(), LineKind::MinimumCommitment);
    let used = usage(&[(Meter::InputTokens, "50000")]);
    let lines = rate_usage(&plan, january(), &used, Proration::Full).unwrap();
    assert_eq!(amounts(&lines), ["55.50", "0.00", "0.00"]);
}

#[test]
fn yen_lines_round_to_whole_yen() {
    let mut plan = pro_plan();
    plan.currency = Currency::JPY;
    plan.base_fee = Some(BaseFee::new(money("4900", Currency::JPY), FeeTiming::Arrears).unwrap());
    plan.charges = vec![charge(
        Meter::Requests,
        PricingModel::per_unit(dec("0.5")).unwrap(),
    )];
    let plan = Plan::new(plan).unwrap();
    let used = usage(&[(Meter::Requests, "25")]);
    // 12.5 yen: half-even to 12; 4900 × 17 / 31 = 2687.096...
    let lines = rate(&plan, january(), &used, from_the_15th()).unwrap();
    assert_eq!(amounts(&lines), ["2687", "12"]);
}

#[test]
fn bad_usage_and_bad_proration_are_refused() {
    let plan = Plan::new(pro_plan()).unwrap();
    let negative = usage(&[(Meter::Requests, "-1")]);
    assert_eq!(
        rate(&plan, january(), &negative, Proration::Full).unwrap_err(),
        DomainError::Negative {
            field: "requests",
            value: "-1".into()
        }
    );
    let february = BillingPeriod::of_cycle(january().start(), Interval::Monthly, 1).unwrap();
    let outside = Proration::Partial { active: february };
    assert!(matches!(
        rate(
            &plan,
            january(),
            &BTreeMap::<Meter, Decimal>::new(),
            outside
        ),
        Err(DomainError::Invalid {
            field: "proration",
            ..
        })
    ));
}

#[test]
fn failed_calls_are_billed_only_by_charges_that_include_them() {
    // A provider 500 that still reported 4,000 prompt tokens, beside 1,000 successful ones.
    let used = MeteredUsage {
        succeeded: usage(&[(Meter::InputTokens, "1000"), (Meter::Requests, "1")]),
        failed: usage(&[(Meter::InputTokens, "4000"), (Meter::Requests, "1")]),
    };
    let per_token = |include: bool| {
        Charge::new(
            Meter::InputTokens,
            PricingModel::per_unit(dec("0.001")).unwrap(),
            Decimal::ZERO,
            None,
        )
        .unwrap()
        .including_failures(include)
    };
    let plan_with = |include: bool| {
        Plan::new(NewPlan {
            base_fee: None,
            charges: vec![per_token(include)],
            ..pro_plan()
        })
        .unwrap()
    };

    let by_default = rate_usage(&plan_with(false), january(), &used, Proration::Full).unwrap();
    assert_eq!(amounts(&by_default), ["1.00"]);
    assert_eq!(by_default[0].quantity(), dec("1000"));

    let including = rate_usage(&plan_with(true), january(), &used, Proration::Full).unwrap();
    assert_eq!(amounts(&including), ["5.00"]);
    assert_eq!(including[0].quantity(), dec("5000"));

    let only_failed = MeteredUsage {
        failed: used.failed.clone(),
        ..MeteredUsage::default()
    };
    assert_eq!(
        amounts(&rate_usage(&plan_with(false), january(), &only_failed, Proration::Full).unwrap()),
        ["0.00"],
        "a period of failed calls only costs nothing"
    );
}
