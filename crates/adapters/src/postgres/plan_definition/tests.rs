use std::str::FromStr;

use serde_json::json;

use super::*;

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn tier(from: &str, up_to: Option<&str>, price: &str) -> Tier {
    Tier {
        from: dec(from),
        up_to: up_to.map(dec),
        unit_price: Price::new(dec(price)).unwrap(),
    }
}

fn plan_with(currency: Currency, charges: Vec<Charge>) -> Plan {
    Plan::new(NewPlan {
        code: PlanCode::parse("pro-2025").unwrap(),
        interval: Interval::Monthly,
        currency,
        base_fee: Some(
            BaseFee::new(Money::new(dec("49.00"), currency), FeeTiming::Advance).unwrap(),
        ),
        trial_days: 14,
        charges,
        minimum_commitment: Some(Money::new(dec("100.00"), currency)),
    })
    .unwrap()
}

fn charge(meter: Meter, model: PricingModel) -> Charge {
    Charge::new(meter, model, Decimal::ZERO, None).unwrap()
}

fn round_trip(plan: &Plan) -> Plan {
    let definition = encode_definition(plan);
    decode_plan(
        plan.code().as_str(),
        plan.interval().as_str(),
        plan.currency().code(),
        &definition,
    )
    .unwrap()
}

#[test]
fn the_documented_format_is_what_is_written() {
    let plan = plan_with(
        Currency::USD,
        vec![
            Charge::new(
                Meter::InputTokens,
                PricingModel::per_unit(dec("0.000002")).unwrap(),
                dec("1000"),
                Some(Money::new(dec("5.00"), Currency::USD)),
            )
            .unwrap(),
            charge(
                Meter::OutputTokens,
                PricingModel::graduated(vec![
                    tier("0", Some("1000000"), "0.000002"),
                    tier("1000000", None, "0.0000015"),
                ])
                .unwrap(),
            ),
            charge(
                Meter::Requests,
                PricingModel::package(dec("1000"), dec("0.50")).unwrap(),
            )
            .including_failures(true),
            charge(
                Meter::CostUsd,
                PricingModel::percentage_markup(dec("20")).unwrap(),
            ),
        ],
    );
    assert_eq!(round_trip(&plan), plan, "include_failures comes back");
    assert_eq!(
        encode_definition(&plan),
        json!({
            "base_fee": {"amount": "49.00", "timing": "in_advance"},
            "trial_days": 14,
            "minimum_commitment": "100.00",
            "charges": [
                {"meter": "input_tokens", "free_units": "1000", "minimum": "5.00",
                 "model": {"type": "per_unit", "unit_price": "0.000002"},
                 "include_failures": false},
                {"meter": "output_tokens", "free_units": "0", "minimum": null,
                 "model": {"type": "graduated", "tiers": [
                     {"up_to": "1000000", "unit_price": "0.000002"},
                     {"up_to": null, "unit_price": "0.0000015"}]},
                 "include_failures": false},
                {"meter": "requests", "free_units": "0", "minimum": null,
                 "model": {"type": "package", "size": "1000", "price": "0.50"},
                 "include_failures": true},
                {"meter": "cost_usd", "free_units": "0", "minimum": null,
                 "model": {"type": "percentage_markup", "percent": "20"},
                 "include_failures": false}
            ]
        })
    );
}

#[test]
fn every_pricing_model_round_trips_to_the_digit() {
    let tiers = || {
        vec![
            tier("0", Some("1000.5"), "0.0000025"),
            tier("1000.5", Some("10000"), "0.0000000000000000000001"),
            tier("10000", None, "0"),
        ]
    };
    let models = [
        (
            Meter::InputTokens,
            PricingModel::per_unit(dec("0.0000025")).unwrap(),
        ),
        (
            Meter::OutputTokens,
            PricingModel::graduated(tiers()).unwrap(),
        ),
        (Meter::CachedTokens, PricingModel::volume(tiers()).unwrap()),
        (
            Meter::Requests,
            PricingModel::package(dec("0.3"), dec("1.50")).unwrap(),
        ),
        (
            Meter::CostUsd,
            PricingModel::percentage_markup(dec("12.5")).unwrap(),
        ),
    ];
    for (meter, model) in models {
        let plan = plan_with(Currency::USD, vec![charge(meter, model)]);
        assert_eq!(round_trip(&plan), plan);
    }
    let everything = plan_with(
        Currency::USD,
        vec![
            Charge::new(
                Meter::InputTokens,
                PricingModel::volume(tiers()).unwrap(),
                dec("0.000001"),
                Some(Money::new(dec("0.001"), Currency::USD)),
            )
            .unwrap(),
            charge(
                Meter::CostUsd,
                PricingModel::percentage_markup(Decimal::ZERO).unwrap(),
            ),
        ],
    );
    let back = round_trip(&everything);
    assert_eq!(back, everything);
    // Scale survives too: `49.00` stays `49.00`, not `49`.
    assert_eq!(
        back.base_fee().unwrap().amount().amount().to_string(),
        "49.00"
    );
}

#[test]
fn plans_without_fee_or_commitment_and_in_arrears_round_trip() {
    let usage_only = Plan::new(NewPlan {
        code: PlanCode::parse("payg").unwrap(),
        interval: Interval::Yearly,
        currency: Currency::JPY,
        base_fee: None,
        trial_days: 0,
        charges: vec![],
        minimum_commitment: None,
    })
    .unwrap();
    assert_eq!(round_trip(&usage_only), usage_only);
    let arrears = Plan::new(NewPlan {
        code: PlanCode::parse("arrears").unwrap(),
        interval: Interval::Monthly,
        currency: Currency::EUR,
        base_fee: Some(
            BaseFee::new(Money::new(dec("10"), Currency::EUR), FeeTiming::Arrears).unwrap(),
        ),
        trial_days: 366,
        charges: vec![],
        minimum_commitment: None,
    })
    .unwrap();
    assert_eq!(
        encode_definition(&arrears)["base_fee"]["timing"],
        "in_arrears"
    );
    assert_eq!(round_trip(&arrears), arrears);
}

#[test]
fn a_currency_outside_the_known_list_keeps_its_minor_units() {
    let tnd = Currency::with_minor_units("TND", 3).unwrap();
    let plan = plan_with(tnd, vec![]);
    let definition = encode_definition(&plan);
    assert_eq!(definition["currency_minor_units"], 3);
    let back = round_trip(&plan);
    assert_eq!(back.currency().minor_units(), 3);
    assert_eq!(back, plan);
    // Known currencies do not carry it: the documented format is all they need.
    assert!(
        encode_definition(&plan_with(Currency::USD, vec![]))
            .get("currency_minor_units")
            .is_none()
    );
}

#[test]
fn malformed_definitions_are_refused_with_what_is_wrong() {
    let base = encode_definition(&plan_with(Currency::USD, vec![]));
    let decode = |definition: &Value| decode_plan("pro", "monthly", "USD", definition);
    let mut number = base.clone();
    number["minimum_commitment"] = json!(100.5);
    assert!(matches!(
        decode(&number),
        Err(DomainError::Invalid {
            field: "plan definition",
            ..
        })
    ));
    let mut garbage = base.clone();
    garbage["minimum_commitment"] = json!("a lot");
    assert!(matches!(
        decode(&garbage),
        Err(DomainError::NotANumber { .. })
    ));
    let mut unknown_model = base.clone();
    unknown_model["charges"] = json!([{"meter": "requests", "free_units": "0", "minimum": null,
        "model": {"type": "flat", "price": "1"}}]);
    assert!(decode(&unknown_model).is_err());
    let mut unknown_meter = base.clone();
    unknown_meter["charges"] = json!([{"meter": "bananas", "free_units": "0", "minimum": null,
        "model": {"type": "per_unit", "unit_price": "1"}}]);
    assert!(matches!(
        decode(&unknown_meter),
        Err(DomainError::Invalid { field: "meter", .. })
    ));
    let mut bounded_last = base.clone();
    bounded_last["charges"] = json!([{"meter": "requests", "free_units": "0", "minimum": null,
        "model": {"type": "volume", "tiers": [{"up_to": "10", "unit_price": "1"}]}}]);
    assert!(matches!(
        decode(&bounded_last),
        Err(DomainError::InvalidTiers(_))
    ));
    let mut negative = base.clone();
    negative["base_fee"]["amount"] = json!("-1");
    assert!(matches!(
        decode(&negative),
        Err(DomainError::Negative { .. })
    ));
    assert!(decode_plan("pro", "weekly", "USD", &base).is_err());
    assert!(matches!(
        decode_plan("pro", "monthly", "XTS", &base),
        Err(DomainError::UnknownCurrency(_))
    ));
    assert!(decode_plan("pro plan", "monthly", "USD", &base).is_err());
    assert_eq!(decode(&base).unwrap().code().as_str(), "pro");
}

#[test]
fn charges_stored_without_include_failures_bill_successful_calls_only() {
    let stored = json!({
        "base_fee": null, "trial_days": 0, "minimum_commitment": null,
        "charges": [{"meter": "requests", "free_units": "0", "minimum": null,
                     "model": {"type": "per_unit", "unit_price": "0.01"}}]
    });
    let plan = decode_plan("old", "monthly", "USD", &stored).unwrap();
    assert!(!plan.charges()[0].include_failures());
    let mut refused = stored.clone();
    refused["charges"][0]["include_failures"] = json!("yes");
    assert!(decode_plan("old", "monthly", "USD", &refused).is_err());
}
