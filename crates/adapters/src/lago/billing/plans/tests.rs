use std::str::FromStr;

use serde_json::json;
use tollgate_domain::billing::{BaseFee, Currency, NewPlan, Plan, PlanCode, Price, Tier};

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

fn charge(meter: Meter, model: PricingModel, free: &str, minimum: Option<&str>) -> Charge {
    let minimum = minimum.map(|m| Money::new(dec(m), Currency::USD));
    Charge::new(meter, model, dec(free), minimum).unwrap()
}

fn sync(charges: Vec<Charge>, base_fee: Option<&str>, commitment: Option<&str>) -> PlanVersionSync {
    let plan = Plan::new(NewPlan {
        code: PlanCode::parse("pro").unwrap(),
        interval: Interval::Monthly,
        currency: Currency::USD,
        base_fee: base_fee.map(|fee| {
            BaseFee::new(Money::new(dec(fee), Currency::USD), FeeTiming::Advance).unwrap()
        }),
        trial_days: 14,
        charges,
        minimum_commitment: commitment.map(|m| Money::new(dec(m), Currency::USD)),
    })
    .unwrap();
    PlanVersionSync {
        plan,
        name: "Pro".into(),
        description: Some("For teams".into()),
        version: 2,
    }
}

fn ids() -> BTreeMap<Meter, String> {
    Meter::ALL
        .into_iter()
        .map(|meter| (meter, format!("bm-{}", meter.slug())))
        .collect()
}

fn only_charge(body: &Value) -> &Value {
    &body["plan"]["charges"][0]
}

/// The properties a charge prices successful calls with (its filter on `status`).
fn priced(charge: &Value) -> Value {
    charge["filters"][0]["properties"].clone()
}

#[test]
fn the_plan_carries_its_fee_in_cents_its_trial_and_the_commitment_plus_the_fee() {
    let per_token = PricingModel::per_unit(dec("0.0000025")).unwrap();
    let body = plan_input(
        &sync(
            vec![charge(Meter::InputTokens, per_token, "0", Some("5"))],
            Some("49.90"),
            Some("100"),
        ),
        "pro__v2",
        &ids(),
    )
    .unwrap();
    assert_eq!(
        body,
        json!({"plan": {
            "name": "Pro",
            "code": "pro__v2",
            "interval": "monthly",
            "description": "For teams",
            "amount_cents": 4990,
            "amount_currency": "USD",
            "pay_in_advance": true,
            "trial_period": 14,
            "minimum_commitment": {"amount_cents": 14990},
            "charges": [{
                "billable_metric_id": "bm-input_tokens",
                "charge_model": "standard",
                "pay_in_advance": false,
                "invoiceable": true,
                "prorated": false,
                "min_amount_cents": 500,
                "properties": {"amount": "0"},
                "filters": [{
                    "invoice_display_name": "input_tokens (successful calls)",
                    "properties": {"amount": "0.0000025"},
                    "values": {"status": ["success"]},
                }],
            }],
        }})
    );
}

#[test]
fn a_free_allowance_on_a_unit_price_becomes_a_free_first_range() {
    let model = PricingModel::per_unit(dec("0.002")).unwrap();
    let body = plan_input(
        &sync(
            vec![charge(Meter::Requests, model, "1000", None)],
            None,
            None,
        ),
        "pro",
        &ids(),
    )
    .unwrap();
    assert_eq!(body["plan"]["amount_cents"], 0);
    assert_eq!(body["plan"]["pay_in_advance"], false);
    assert!(body["plan"].get("minimum_commitment").is_none());
    assert_eq!(
        priced(only_charge(&body)),
        json!({"graduated_ranges": [
            {"from_value": 0, "to_value": 1000, "flat_amount": "0", "per_unit_amount": "0"},
            {"from_value": 1001, "to_value": null, "flat_amount": "0", "per_unit_amount": "0.002"},
        ]})
    );
}

#[test]
fn graduated_tiers_are_shifted_past_the_allowance_and_volume_tiers_kept() {
    let tiers = || {
        vec![
            tier("0", Some("1000"), "0.002"),
            tier("1000", Some("10000"), "0.0015"),
            tier("10000", None, "0.001"),
        ]
    };
    let graduated = PricingModel::graduated(tiers()).unwrap();
    let body = plan_input(
        &sync(
            vec![charge(Meter::OutputTokens, graduated, "100", None)],
            None,
            None,
        ),
        "pro",
        &ids(),
    )
    .unwrap();
    assert_eq!(only_charge(&body)["charge_model"], "graduated");
    assert_eq!(
        priced(only_charge(&body))["graduated_ranges"],
        json!([
            {"from_value": 0, "to_value": 100, "flat_amount": "0", "per_unit_amount": "0"},
            {"from_value": 101, "to_value": 1100, "flat_amount": "0", "per_unit_amount": "0.002"},
            {"from_value": 1101, "to_value": 10100, "flat_amount": "0", "per_unit_amount": "0.0015"},
            {"from_value": 10101, "to_value": null, "flat_amount": "0", "per_unit_amount": "0.001"},
        ])
    );
    let volume = PricingModel::volume(tiers()).unwrap();
    let body = plan_input(
        &sync(
            vec![charge(Meter::OutputTokens, volume, "0", None)],
            None,
            None,
        ),
        "pro",
        &ids(),
    )
    .unwrap();
    assert_eq!(
        priced(only_charge(&body))["volume_ranges"][1],
        json!({"from_value": 1001, "to_value": 10000, "flat_amount": "0", "per_unit_amount": "0.0015"})
    );
}

#[test]
fn packages_and_markups_use_lagos_own_models() {
    let package = PricingModel::package(dec("1000"), dec("1.50")).unwrap();
    let markup = PricingModel::percentage_markup(dec("20")).unwrap();
    let body = plan_input(
        &sync(
            vec![
                charge(Meter::InputTokens, package, "500", None),
                charge(Meter::CostUsd, markup, "0.25", None),
            ],
            None,
            None,
        ),
        "pro",
        &ids(),
    )
    .unwrap();
    let charges = &body["plan"]["charges"];
    assert_eq!(charges[0]["charge_model"], "package");
    assert_eq!(
        priced(&charges[0]),
        json!({"amount": "1.5", "package_size": 1000, "free_units": 500})
    );
    assert_eq!(charges[1]["charge_model"], "percentage");
    assert_eq!(charges[1]["billable_metric_id"], "bm-cost_usd");
    assert_eq!(
        priced(&charges[1]),
        json!({"rate": "120", "free_units_per_total_aggregation": "0.25"})
    );
}

#[test]
fn what_lago_cannot_hold_exactly_is_refused_with_a_reason() {
    let refused = |charges: Vec<Charge>, fee: Option<&str>, commitment: Option<&str>| {
        plan_input(&sync(charges, fee, commitment), "pro", &ids()).unwrap_err()
    };
    let per_unit = || PricingModel::per_unit(dec("0.01")).unwrap();
    assert!(refused(vec![], Some("9.999"), None).contains("base fee 9.999 USD has more decimals"));
    assert!(refused(vec![], None, Some("0.001")).contains("minimum commitment"));
    let reason = refused(
        vec![charge(Meter::Requests, per_unit(), "0", Some("1.005"))],
        None,
        None,
    );
    assert!(
        reason.starts_with("`requests`: the charge minimum"),
        "{reason}"
    );
    let reason = refused(
        vec![charge(Meter::Requests, per_unit(), "0.5", None)],
        None,
        None,
    );
    assert!(
        reason.contains("whole numbers for the free units, not 0.5"),
        "{reason}"
    );
    let fractional =
        PricingModel::graduated(vec![tier("0", Some("0.5"), "1"), tier("0.5", None, "2")]).unwrap();
    assert!(
        refused(
            vec![charge(Meter::CostUsd, fractional, "0", None)],
            None,
            None
        )
        .contains("tier bound")
    );
    let volume = PricingModel::volume(vec![tier("0", None, "1")]).unwrap();
    assert!(
        refused(
            vec![charge(Meter::Requests, volume, "10", None)],
            None,
            None
        )
        .contains("volume")
    );
    let package = PricingModel::package(dec("2.5"), dec("1")).unwrap();
    assert!(
        refused(
            vec![charge(Meter::Requests, package, "0", None)],
            None,
            None
        )
        .contains("package size")
    );
    let missing = plan_input(
        &sync(
            vec![charge(Meter::Requests, per_unit(), "0", None)],
            None,
            None,
        ),
        "pro",
        &BTreeMap::new(),
    );
    assert_eq!(missing.unwrap_err(), "no billable metric for `requests`");
}

#[test]
fn failed_calls_cost_nothing_unless_the_charge_includes_them() {
    let tiers = || PricingModel::graduated(vec![tier("0", None, "0.01")]).unwrap();
    let plan = |include: bool| {
        let charge = charge(Meter::Requests, tiers(), "0", None).including_failures(include);
        plan_input(&sync(vec![charge], None, None), "pro", &ids()).unwrap()
    };
    let successful_only = plan(false);
    let charge = only_charge(&successful_only);
    // Events that match no filter (status `failure`) are priced by the charge's own
    // properties: zero.
    assert_eq!(
        charge["properties"],
        json!({"graduated_ranges": [
            {"from_value": 0, "to_value": null, "flat_amount": "0", "per_unit_amount": "0"}]})
    );
    assert_eq!(
        charge["filters"][0]["values"],
        json!({"status": ["success"]})
    );
    assert_eq!(
        priced(charge)["graduated_ranges"][0]["per_unit_amount"],
        "0.01"
    );

    let everything = plan(true);
    let charge = only_charge(&everything);
    assert_eq!(charge["filters"], json!([]));
    assert_eq!(
        charge["properties"]["graduated_ranges"][0]["per_unit_amount"],
        "0.01"
    );
}
