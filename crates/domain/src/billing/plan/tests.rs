use chrono::TimeZone;
use rust_decimal::Decimal;

use super::*;
use crate::metering::Meter;

fn usd(cents: i64) -> Money {
    Money::from_minor(cents, Currency::USD)
}

fn new_plan(currency: Currency) -> NewPlan {
    NewPlan {
        code: PlanCode::parse("pro").unwrap(),
        interval: Interval::Monthly,
        currency,
        base_fee: None,
        trial_days: 14,
        charges: vec![],
        minimum_commitment: None,
    }
}

fn charge(meter: Meter, model: PricingModel) -> Charge {
    Charge::new(meter, model, Decimal::ZERO, None).unwrap()
}

#[test]
fn plan_codes_are_short_url_safe_words() {
    assert_eq!(
        PlanCode::parse("team-2025_v1.2").unwrap().as_str(),
        "team-2025_v1.2"
    );
    assert!(matches!(
        PlanCode::parse(""),
        Err(DomainError::Empty { .. })
    ));
    assert!(matches!(
        PlanCode::parse("pro plan"),
        Err(DomainError::Invalid { .. })
    ));
    assert!(matches!(
        PlanCode::parse(&"p".repeat(65)),
        Err(DomainError::TooLong { .. })
    ));
    // `pro__v2` would be the engine's name of version 2 of `pro`.
    assert!(matches!(
        PlanCode::parse("pro__v2"),
        Err(DomainError::Invalid { .. })
    ));
}

#[test]
fn every_amount_in_a_plan_is_in_its_currency() {
    let mut plan = new_plan(Currency::EUR);
    plan.base_fee = Some(BaseFee::new(usd(1000), FeeTiming::Advance).unwrap());
    assert_eq!(
        Plan::new(plan).unwrap_err(),
        DomainError::CurrencyMismatch {
            expected: "EUR".into(),
            found: "USD".into()
        }
    );
    let mut plan = new_plan(Currency::EUR);
    plan.minimum_commitment = Some(usd(1000));
    assert!(matches!(
        Plan::new(plan),
        Err(DomainError::CurrencyMismatch { .. })
    ));
    let mut plan = new_plan(Currency::EUR);
    let per_unit = PricingModel::per_unit(Decimal::ONE).unwrap();
    plan.charges =
        vec![Charge::new(Meter::Requests, per_unit, Decimal::ZERO, Some(usd(5))).unwrap()];
    assert!(matches!(
        Plan::new(plan),
        Err(DomainError::CurrencyMismatch { .. })
    ));
}

#[test]
fn a_markup_on_the_usd_llm_cost_needs_a_usd_plan() {
    let markup = PricingModel::percentage_markup(Decimal::from(20)).unwrap();
    let mut plan = new_plan(Currency::EUR);
    plan.charges = vec![charge(Meter::CostUsd, markup.clone())];
    assert!(matches!(
        Plan::new(plan),
        Err(DomainError::CurrencyMismatch { .. })
    ));
    let mut plan = new_plan(Currency::USD);
    plan.charges = vec![charge(Meter::CostUsd, markup)];
    assert_eq!(Plan::new(plan).unwrap().charges().len(), 1);
}

#[test]
fn plans_refuse_double_charges_negative_fees_and_endless_trials() {
    let per_unit = PricingModel::per_unit(Decimal::ONE).unwrap();
    let mut plan = new_plan(Currency::USD);
    plan.charges = vec![
        charge(Meter::Requests, per_unit.clone()),
        charge(Meter::Requests, per_unit),
    ];
    assert!(matches!(
        Plan::new(plan),
        Err(DomainError::Invalid {
            field: "charges",
            ..
        })
    ));
    assert!(BaseFee::new(usd(-1), FeeTiming::Arrears).is_err());
    let mut plan = new_plan(Currency::USD);
    plan.minimum_commitment = Some(usd(-1));
    assert!(matches!(Plan::new(plan), Err(DomainError::Negative { .. })));
    let mut plan = new_plan(Currency::USD);
    plan.trial_days = 400;
    assert!(Plan::new(plan).is_err());
}

#[test]
fn trials_end_after_their_days_and_customers_pay_in_the_plans_currency() {
    let plan = Plan::new(new_plan(Currency::USD)).unwrap();
    let start = Utc.with_ymd_and_hms(2025, 1, 20, 9, 0, 0).unwrap();
    assert_eq!(
        plan.trial_end(start),
        Utc.with_ymd_and_hms(2025, 2, 3, 9, 0, 0).unwrap()
    );
    assert!(plan.ensure_currency(Currency::USD).is_ok());
    assert!(matches!(
        plan.ensure_currency(Currency::GBP),
        Err(DomainError::CurrencyMismatch { .. })
    ));
}
