use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone};
use rust_decimal::Decimal;
use tollgate_domain::{
    billing::{
        BaseFee, Charge, Currency, FeeTiming, Interval, LineKind, MeteredUsage, Money, NewPlan,
        Plan, PlanCode, PricingModel, TaxRate,
    },
    metering::Meter,
    usage::CustomerId,
};
use uuid::Uuid;

mod failures;

use super::{rules::*, *};
use crate::ports::{CloseCursor, MockClock, MockPeriodCloseStore};

fn at(m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap()
}

fn plan(fee: &str, timing: FeeTiming, unit_price: &str) -> Arc<Plan> {
    let money = |text: &str| Money::new(text.parse().unwrap(), Currency::USD);
    Arc::new(
        Plan::new(NewPlan {
            code: PlanCode::parse("p").unwrap(),
            interval: Interval::Monthly,
            currency: Currency::USD,
            base_fee: Some(BaseFee::new(money(fee), timing).unwrap()),
            trial_days: 0,
            charges: vec![
                Charge::new(
                    Meter::Requests,
                    PricingModel::per_unit(unit_price.parse().unwrap()).unwrap(),
                    Decimal::ZERO,
                    None,
                )
                .unwrap(),
            ],
            minimum_commitment: None,
        })
        .unwrap(),
    )
}

fn phase(starts_at: DateTime<Utc>, ends_at: Option<DateTime<Utc>>, plan: Arc<Plan>) -> PhaseTerms {
    PhaseTerms {
        starts_at,
        ends_at,
        plan_id: Uuid::nil(),
        version: 1,
        plan,
    }
}

fn terms(phases: Vec<PhaseTerms>) -> SubscriptionTerms {
    SubscriptionTerms {
        customer: CustomerId::parse("cust_1").unwrap(),
        currency: Currency::USD,
        tax_rate: TaxRate::ZERO,
        billing_anchor: at(1, 1, 0),
        started_at: at(1, 1, 0),
        trial_ends_at: None,
        terminated_at: None,
        invoiced_through: at(1, 1, 0),
        opened: true,
        paid_in_advance: None,
        unused_on_credit_note: false,
        phases,
    }
}

fn requests(n: i64) -> MeteredUsage {
    MeteredUsage::succeeded(BTreeMap::from([(Meter::Requests, Decimal::from(n))]))
}

fn amounts(invoice: &tollgate_domain::billing::Invoice) -> Vec<String> {
    invoice
        .lines()
        .iter()
        .map(|l| l.amount().amount().to_string())
        .collect()
}

#[test]
fn cycles_step_from_the_anchor_forwards_and_backwards() {
    let anchor = Utc.with_ymd_and_hms(2026, 1, 31, 12, 0, 0).unwrap();
    let cycle = cycle_containing(anchor, Interval::Monthly, at(3, 10, 0)).unwrap();
    assert_eq!(
        (cycle.start(), cycle.end()),
        (
            Utc.with_ymd_and_hms(2026, 2, 28, 12, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 31, 12, 0, 0).unwrap()
        )
    );
    let before = cycle_containing(anchor, Interval::Monthly, at(1, 5, 0)).unwrap();
    assert_eq!(
        before.end(),
        anchor,
        "the cycle before the anchor ends at it"
    );
    let year = cycle_containing(at(1, 1, 0), Interval::Yearly, at(12, 31, 23)).unwrap();
    assert_eq!(
        year.end(),
        Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
    );
}

#[test]
fn a_period_closes_only_after_its_grace_and_once_its_usage_is_in() {
    let t = terms(vec![phase(
        at(1, 1, 0),
        None,
        plan("10", FeeTiming::Arrears, "1"),
    )]);
    let grace = TimeDelta::hours(1);
    assert!(closing_due(&t, at(2, 1, 0), grace, None).unwrap().is_none());
    assert!(
        closing_due(&t, at(2, 1, 2), grace, Some(at(1, 31, 23)))
            .unwrap()
            .is_none(),
        "an event from before the end is still on its way"
    );
    let due = closing_due(&t, at(2, 1, 2), grace, Some(at(2, 1, 0)))
        .unwrap()
        .unwrap();
    assert_eq!(
        (due.span.start(), due.span.end()),
        (at(1, 1, 0), at(2, 1, 0))
    );
    assert!(due.continues);
}

#[test]
fn an_upgrade_mid_period_bills_two_prorated_phases_on_one_invoice() {
    let basic = plan("31", FeeTiming::Arrears, "1");
    let pro = plan("62", FeeTiming::Arrears, "2");
    let t = terms(vec![
        phase(at(1, 1, 0), Some(at(1, 11, 0)), basic),
        phase(at(1, 11, 0), None, pro),
    ]);
    let due = closing_due(&t, at(2, 2, 0), TimeDelta::zero(), None)
        .unwrap()
        .unwrap();
    assert_eq!(due.shares.len(), 2);
    assert_eq!(
        (due.shares[0].active.start(), due.shares[0].active.end()),
        (at(1, 1, 0), at(1, 11, 0))
    );
    let invoice = closing_invoice(&t, &due, &[requests(5), requests(7)])
        .unwrap()
        .invoice
        .unwrap();
    // 10 of 31 days of 31, 5 requests at 1; 21 of 31 days of 62, 7 requests at 2.
    assert_eq!(amounts(&invoice), vec!["10.00", "5.00", "42.00", "14.00"]);
    assert_eq!(invoice.total().amount(), Decimal::from(71));
    // Each phase's lines name its own days; the proration still divides by the whole period.
    let periods: Vec<_> = invoice
        .lines()
        .iter()
        .map(|line| (line.period().start(), line.period().end()))
        .collect();
    let (basic_days, pro_days) = ((at(1, 1, 0), at(1, 11, 0)), (at(1, 11, 0), at(2, 1, 0)));
    assert_eq!(periods, vec![basic_days, basic_days, pro_days, pro_days]);
}

#[test]
fn in_advance_fees_are_billed_as_the_period_they_pay_for_starts() {
    let monthly = plan("30", FeeTiming::Advance, "1");
    let mut t = terms(vec![phase(at(1, 10, 0), None, monthly)]);
    t.started_at = at(1, 10, 0);
    t.invoiced_through = at(1, 10, 0);
    t.opened = false;
    let opening = opening_due(&t, at(1, 10, 0)).unwrap().unwrap();
    let invoice = opening_invoice(&t, &opening).unwrap().unwrap();
    // 22 of January's 31 days of 30.
    assert_eq!(amounts(&invoice), vec!["21.29"]);
    t.opened = true;
    assert!(opening_due(&t, at(1, 20, 0)).unwrap().is_none());

    let due = closing_due(&t, at(2, 1, 1), TimeDelta::zero(), None)
        .unwrap()
        .unwrap();
    let invoice = closing_invoice(&t, &due, &[requests(3)])
        .unwrap()
        .invoice
        .unwrap();
    // January's usage, then February's fee in advance (not January's again).
    assert_eq!(amounts(&invoice), vec!["3.00", "30.00"]);
    assert!(matches!(
        invoice.lines()[1].kind(),
        LineKind::BaseFee {
            timing: FeeTiming::Advance,
            ..
        }
    ));
    assert_eq!(invoice.lines()[1].period().start(), at(2, 1, 0));
}

#[test]
fn a_termination_closes_a_final_prorated_period_and_nothing_after() {
    let mut t = terms(vec![phase(
        at(1, 1, 0),
        Some(at(1, 16, 0)),
        plan("31", FeeTiming::Arrears, "1"),
    )]);
    t.terminated_at = Some(at(1, 16, 0));
    let due = closing_due(&t, at(1, 20, 0), TimeDelta::hours(1), None)
        .unwrap()
        .unwrap();
    assert_eq!(due.span.end(), at(1, 16, 0));
    assert!(!due.continues);
    let invoice = closing_invoice(&t, &due, &[requests(0)])
        .unwrap()
        .invoice
        .unwrap();
    assert_eq!(amounts(&invoice), vec!["15.00", "0.00"]);
    t.invoiced_through = at(1, 16, 0);
    assert!(
        closing_due(&t, at(3, 1, 0), TimeDelta::zero(), None)
            .unwrap()
            .is_none()
    );
}

#[test]
fn an_upgrade_from_a_plan_paid_in_advance_credits_its_unused_days() {
    let basic = plan("31", FeeTiming::Advance, "1");
    let pro = plan("62", FeeTiming::Advance, "1");
    let mut t = terms(vec![
        phase(at(1, 1, 0), Some(at(1, 11, 0)), basic),
        phase(at(1, 11, 0), None, pro),
    ]);
    t.paid_in_advance = Some(Money::from_minor(3100, Currency::USD));
    let due = closing_due(&t, at(2, 2, 0), TimeDelta::zero(), None)
        .unwrap()
        .unwrap();
    let invoice = closing_invoice(&t, &due, &[requests(5), requests(7)])
        .unwrap()
        .invoice
        .unwrap();
    // basic: 5 requests, then 31.00 paid less its 10 used days' 10.00 back; pro: 21 of 31
    // days of 62 = 42.00 in advance, 7 requests; February's pro fee, 62.00.
    assert_eq!(
        amounts(&invoice),
        vec!["5.00", "-21.00", "42.00", "7.00", "62.00"]
    );
    let LineKind::UnusedTimeCredit { proration } = invoice.lines()[1].kind() else {
        panic!("{:?}", invoice.lines()[1].kind());
    };
    assert_eq!((proration.used_days(), proration.period_days()), (21, 31));
    assert_eq!(invoice.total().amount(), Decimal::from(95));
    let periods: Vec<_> = invoice
        .lines()
        .iter()
        .map(|line| (line.period().start(), line.period().end()))
        .collect();
    let (used, unused) = ((at(1, 1, 0), at(1, 11, 0)), (at(1, 11, 0), at(2, 1, 0)));
    let february = (at(2, 1, 0), at(3, 1, 0));
    assert_eq!(periods, vec![used, unused, unused, unused, february]);

    // Nothing on record as paid in advance (voided, or never billed): nothing given back.
    t.paid_in_advance = None;
    let invoice = closing_invoice(&t, &due, &[requests(5), requests(7)])
        .unwrap()
        .invoice
        .unwrap();
    assert_eq!(amounts(&invoice), vec!["5.00", "42.00", "7.00", "62.00"]);
}

#[test]
fn a_termination_credits_the_unused_days_up_to_a_zero_subtotal() {
    let mut t = terms(vec![phase(
        at(1, 1, 0),
        Some(at(1, 11, 0)),
        plan("31", FeeTiming::Advance, "1"),
    )]);
    t.terminated_at = Some(at(1, 11, 0));
    t.paid_in_advance = Some(Money::from_minor(3100, Currency::USD));
    let due = closing_due(&t, at(1, 12, 0), TimeDelta::zero(), None)
        .unwrap()
        .unwrap();
    // 21 unused days of 31.00 are 21.00, and 25 requests cover them all.
    let invoice = closing_invoice(&t, &due, &[requests(25)])
        .unwrap()
        .invoice
        .unwrap();
    assert_eq!(amounts(&invoice), vec!["25.00", "-21.00"]);
    assert_eq!(invoice.total().amount(), Decimal::from(4));
    // 3 requests cover only 3.00 of it: the credit stops at a zero subtotal.
    let invoice = closing_invoice(&t, &due, &[requests(3)])
        .unwrap()
        .invoice
        .unwrap();
    assert_eq!(amounts(&invoice), vec!["3.00", "-3.00"]);
    assert!(invoice.total().is_zero());
    // A fee paid only for the days up to a termination already known gives nothing back.
    t.paid_in_advance = Some(Money::from_minor(1000, Currency::USD));
    let invoice = closing_invoice(&t, &due, &[requests(3)])
        .unwrap()
        .invoice
        .unwrap();
    assert_eq!(amounts(&invoice), vec!["3.00"]);
}

#[test]
fn usage_is_billed_over_each_phases_exact_span_not_whole_minutes() {
    let seconds = |base: DateTime<Utc>, s: i64| base + TimeDelta::seconds(s);
    let (start, upgrade, end) = (
        seconds(at(1, 1, 10), 41),
        seconds(at(1, 11, 10), 15),
        seconds(at(1, 20, 16), 1_820),
    );
    let mut t = terms(vec![
        phase(start, Some(upgrade), plan("31", FeeTiming::Arrears, "1")),
        phase(upgrade, Some(end), plan("62", FeeTiming::Arrears, "2")),
    ]);
    (t.billing_anchor, t.started_at, t.invoiced_through) = (start, start, start);
    t.terminated_at = Some(end);
    let due = closing_due(&t, at(1, 21, 0), TimeDelta::hours(1), None)
        .unwrap()
        .unwrap();
    let spans: Vec<_> = due
        .shares
        .iter()
        .map(|share| (share.active.start(), share.active.end()))
        .collect();
    // Neither end is moved to its minute: the phases meet at the upgrade's second.
    assert_eq!(spans, vec![(start, upgrade), (upgrade, end)]);
}

#[test]
fn a_termination_credits_a_finalized_fees_unused_days_in_full_on_a_credit_note() {
    let mut t = terms(vec![phase(
        at(1, 1, 0),
        Some(at(1, 11, 0)),
        plan("31", FeeTiming::Advance, "1"),
    )]);
    t.terminated_at = Some(at(1, 11, 0));
    t.paid_in_advance = Some(Money::from_minor(3100, Currency::USD));
    t.unused_on_credit_note = true;
    let due = closing_due(&t, at(1, 12, 0), TimeDelta::zero(), None)
        .unwrap()
        .unwrap();
    // 3 requests bill 3.00, and the 21 unused days' 21.00 come back whole, not cut at 3.00.
    let closing = closing_invoice(&t, &due, &[requests(3)]).unwrap();
    assert_eq!(amounts(&closing.invoice.unwrap()), vec!["3.00"]);
    let unused = closing.unused.unwrap();
    assert_eq!(unused.amount(), Money::from_minor(2100, Currency::USD));
    let LineKind::BaseFee { timing, proration } = unused.kind() else {
        panic!("{:?}", unused.kind());
    };
    assert_eq!(timing, FeeTiming::Advance);
    assert_eq!((proration.used_days(), proration.period_days()), (21, 31));
    assert_eq!(
        (unused.period().start(), unused.period().end()),
        (at(1, 11, 0), at(2, 1, 0))
    );
    // Without usage the final invoice bills nothing, and the credit note still gives all
    // 21.00 back.
    let closing = closing_invoice(&t, &due, &[MeteredUsage::default()]).unwrap();
    assert_eq!(amounts(&closing.invoice.unwrap()), vec!["0.00"]);
    assert_eq!(closing.unused.unwrap().amount(), unused.amount());
}

#[test]
fn opening_and_closing_invoices_are_taxed_at_the_terms_rate_once_on_the_subtotal() {
    let mut t = terms(vec![phase(
        at(1, 10, 0),
        None,
        plan("30", FeeTiming::Advance, "1"),
    )]);
    (t.started_at, t.invoiced_through, t.opened) = (at(1, 10, 0), at(1, 10, 0), false);
    t.tax_rate = TaxRate::new(Decimal::from(20)).unwrap();
    let opening = opening_due(&t, at(1, 10, 0)).unwrap().unwrap();
    let invoice = opening_invoice(&t, &opening).unwrap().unwrap();
    // 21.29 x 20 % = 4.258 -> 4.26.
    let totals = |i: &tollgate_domain::billing::Invoice| {
        [i.subtotal(), i.tax(), i.total()].map(|m| m.amount().to_string())
    };
    assert_eq!(totals(&invoice), ["21.29", "4.26", "25.55"]);
    assert_eq!(invoice.tax_rate(), t.tax_rate);

    // 12.5 % of 5.00 is 0.625, a tie: half-even gives 0.62, not 0.63.
    let mut t = terms(vec![phase(
        at(1, 1, 0),
        None,
        plan("5", FeeTiming::Arrears, "1"),
    )]);
    t.tax_rate = TaxRate::new(Decimal::new(125, 1)).unwrap();
    let due = closing_due(&t, at(2, 1, 1), TimeDelta::zero(), None)
        .unwrap()
        .unwrap();
    let invoice = closing_invoice(&t, &due, &[requests(0)])
        .unwrap()
        .invoice
        .unwrap();
    assert_eq!(totals(&invoice), ["5.00", "0.62", "5.62"]);
}

#[test]
fn a_renewal_moves_the_next_period_onto_the_latest_version() {
    let old = plan("10", FeeTiming::Advance, "1");
    let new = plan("12", FeeTiming::Advance, "1");
    let mut t = terms(vec![phase(at(1, 1, 0), None, old)]);
    let due = closing_due(&t, at(2, 1, 1), TimeDelta::zero(), None)
        .unwrap()
        .unwrap();
    let renewal = renew(&mut t, &due, |_| Some((2, Arc::clone(&new)))).unwrap();
    assert_eq!((renewal.at, renewal.version), (at(2, 1, 0), 2));
    assert_eq!(t.phases.len(), 2);
    let invoice = closing_invoice(&t, &due, &[requests(1)])
        .unwrap()
        .invoice
        .unwrap();
    assert_eq!(
        amounts(&invoice),
        vec!["1.00", "12.00"],
        "February at the new price"
    );
    assert!(renew(&mut t, &due, |_| Some((2, Arc::clone(&new)))).is_none());
}

fn report(claimed: u32, periods: u32, next: Option<CloseCursor>) -> BatchOutcome {
    BatchOutcome {
        claimed,
        periods,
        invoices: periods,
        next,
        ..BatchOutcome::default()
    }
}

#[tokio::test]
async fn a_close_runs_batches_to_the_end_and_passes_until_nothing_is_left() {
    let cursor = CloseCursor {
        invoiced_through: at(1, 1, 0),
        subscription: Uuid::nil(),
    };
    let mut store = MockPeriodCloseStore::new();
    let mut sequence = mockall::Sequence::new();
    // Pass 1: two batches; pass 2: one period left (a subscription catching up); pass 3: none.
    for (claimed, periods, next) in [
        (2, 2, Some(cursor)),
        (1, 1, None),
        (1, 1, None),
        (0, 0, None),
    ] {
        store
            .expect_close_batch()
            .withf(|request, _| {
                request.at == at(2, 1, 2)
                    && request.batch == 2
                    && request.default_tax_rate.percent() == Decimal::from(19)
            })
            .times(1)
            .in_sequence(&mut sequence)
            .returning(move |_, _| Ok(report(claimed, periods, next)));
    }
    let service = PeriodCloseService::new(
        Arc::new(store),
        Arc::new(MockClock::new()),
        PeriodCloseSettings {
            grace: TimeDelta::hours(1),
            batch: 2,
            auto_finalize: true,
            default_tax_rate: TaxRate::new(Decimal::from(19)).unwrap(),
            every: Duration::from_secs(60),
        },
    );
    let report = service.close_due(Some(at(2, 1, 2))).await.unwrap();
    assert_eq!(
        (
            report.passes,
            report.batches,
            report.periods,
            report.invoices
        ),
        (3, 4, 4, 4)
    );
}
