//! Failed calls on the closing invoice: left out unless the charge includes them.

use super::*;

/// 3 successful requests and 2 failed ones in January.
fn mixed() -> MeteredUsage {
    MeteredUsage {
        failed: BTreeMap::from([(Meter::Requests, Decimal::from(2))]),
        ..requests(3)
    }
}

fn january_close(plan: Arc<Plan>) -> Vec<String> {
    let t = terms(vec![phase(at(1, 1, 0), None, plan)]);
    let due = closing_due(&t, at(2, 1, 1), TimeDelta::zero(), None)
        .unwrap()
        .unwrap();
    amounts(
        &closing_invoice(&t, &due, &[mixed()])
            .unwrap()
            .invoice
            .unwrap(),
    )
}

#[test]
fn failed_calls_are_not_billed_by_default() {
    // The base fee in arrears, then 3 requests at 1.
    assert_eq!(
        january_close(plan("10", FeeTiming::Arrears, "1")),
        ["10.00", "3.00"]
    );
}

#[test]
fn a_charge_that_includes_failures_bills_them_too() {
    let base = plan("10", FeeTiming::Arrears, "1");
    let charges = base
        .charges()
        .iter()
        .map(|charge| charge.clone().including_failures(true))
        .collect();
    let including = Plan::new(NewPlan {
        code: PlanCode::parse("p").unwrap(),
        interval: Interval::Monthly,
        currency: Currency::USD,
        base_fee: base.base_fee(),
        trial_days: 0,
        charges,
        minimum_commitment: None,
    })
    .unwrap();
    assert_eq!(january_close(Arc::new(including)), ["10.00", "5.00"]);
}
