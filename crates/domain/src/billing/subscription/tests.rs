use chrono::TimeZone;
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::*;
use crate::billing::{
    BaseFee, Currency, FeeTiming, Money, NewPlan, PlanCode, Proration, rate_base_fee,
};

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

fn plan(code: &str, fee: i64, currency: Currency, interval: Interval, trial: u32) -> Plan {
    Plan::new(NewPlan {
        code: PlanCode::parse(code).unwrap(),
        interval,
        currency,
        base_fee: Some(
            BaseFee::new(Money::new(Decimal::from(fee), currency), FeeTiming::Advance).unwrap(),
        ),
        trial_days: trial,
        charges: vec![],
        minimum_commitment: None,
    })
    .unwrap()
}

fn monthly(code: &str, fee: i64) -> Plan {
    plan(code, fee, Currency::USD, Interval::Monthly, 0)
}

fn version(plan_id: Uuid) -> PlanVersionRef {
    PlanVersionRef {
        plan_id,
        version: 1,
    }
}

/// A monthly subscription on `basic` anchored on April 1st 2025 (a 30-day month).
fn april_subscription() -> (Subscription, PlanVersionRef) {
    let basic = version(Uuid::now_v7());
    let subscription = Subscription::start(basic, &monthly("basic", 30), at(2025, 4, 1, 0));
    (subscription, basic)
}

#[test]
fn a_new_subscription_has_one_open_phase_and_its_trial() {
    let start = at(2025, 4, 1, 9);
    let trial = plan("trial", 10, Currency::EUR, Interval::Monthly, 14);
    let subscription = Subscription::start(version(Uuid::now_v7()), &trial, start);
    assert_eq!(subscription.billing_anchor(), start);
    assert_eq!(subscription.trial_ends_at(), Some(at(2025, 4, 15, 9)));
    assert_eq!(subscription.phases().len(), 1);
    assert_eq!(subscription.phases()[0].ends_at, None);
    assert_eq!(subscription.phases()[0].reason, PhaseReason::Created);
    assert_eq!(
        subscription.status_at(at(2025, 4, 1, 8)),
        SubscriptionStatus::Pending
    );
    assert_eq!(subscription.status_at(start), SubscriptionStatus::Active);
    let (no_trial, _) = april_subscription();
    assert_eq!(no_trial.trial_ends_at(), None);
}

#[test]
fn the_current_period_steps_from_the_anchor() {
    let anchor = at(2024, 1, 31, 12);
    let period = |when| period_at(anchor, Interval::Monthly, when).unwrap();
    // Before the anchor's time of day on the 29th of February: still January's period.
    assert_eq!(period(at(2024, 2, 29, 11)).start(), anchor);
    assert_eq!(period(at(2024, 2, 29, 12)).start(), at(2024, 2, 29, 12));
    assert_eq!(period(at(2024, 3, 31, 12)).start(), at(2024, 3, 31, 12));
    assert_eq!(period(at(2023, 5, 1, 0)).start(), anchor);
    let year = period_at(anchor, Interval::Yearly, at(2026, 1, 31, 11)).unwrap();
    assert_eq!(
        (year.start(), year.end()),
        (at(2025, 1, 31, 12), at(2026, 1, 31, 12))
    );
}

#[test]
fn an_upgrade_splits_the_period_and_each_side_is_prorated() {
    let (mut subscription, basic) = april_subscription();
    let pro = version(Uuid::now_v7());
    let (basic_plan, pro_plan) = (monthly("basic", 30), monthly("pro", 60));
    let day_11 = at(2025, 4, 11, 0);
    let opened = *subscription
        .upgrade(day_11, &basic_plan, pro, &pro_plan)
        .unwrap();
    assert_eq!(opened.starts_at, day_11);
    assert_eq!(opened.reason, PhaseReason::Upgrade);
    let phases = subscription.phases();
    assert_eq!(phases.len(), 2);
    assert_eq!((phases[0].plan, phases[0].ends_at), (basic, Some(day_11)));
    assert_eq!((phases[1].plan, phases[1].ends_at), (pro, None));

    let april = subscription.current_period(day_11).unwrap();
    assert_eq!(april.days(), 30);
    let fee = |plan: &Plan, from, to| {
        let active = BillingPeriod::new(from, to).unwrap();
        rate_base_fee(plan, april, Proration::Partial { active })
            .unwrap()
            .unwrap()
            .amount()
            .amount()
    };
    // 10 of 30 days of 30.00 on the old plan, 20 of 30 days of 60.00 on the new one.
    assert_eq!(fee(&basic_plan, april.start(), day_11), Decimal::from(10));
    assert_eq!(fee(&pro_plan, day_11, april.end()), Decimal::from(40));
}

#[test]
fn a_mid_day_upgrade_bills_the_day_of_the_change_once_on_the_new_plan() {
    // A span pays for the dates from its start's up to its end's: the change day goes to the
    // phase that starts on it, so the two phases add up to the period's 30 days.
    let (mut subscription, _) = april_subscription();
    let (basic_plan, pro_plan) = (monthly("basic", 30), monthly("pro", 60));
    let afternoon = at(2025, 4, 11, 14);
    subscription
        .upgrade(afternoon, &basic_plan, version(Uuid::now_v7()), &pro_plan)
        .unwrap();
    let [old, new] = subscription.phases() else {
        panic!("two phases expected");
    };
    let days = |phase: &Phase| {
        BillingPeriod::new(phase.starts_at, phase.ends_at.unwrap_or(at(2025, 5, 1, 0)))
            .unwrap()
            .days()
    };
    assert_eq!((days(old), days(new)), (10, 20));
}

#[test]
fn a_downgrade_waits_for_the_period_end_and_a_second_one_replaces_it() {
    let (mut subscription, basic) = april_subscription();
    let (basic_plan, small_plan) = (monthly("basic", 30), monthly("small", 10));
    let small = version(Uuid::now_v7());
    let day_11 = at(2025, 4, 11, 0);
    let scheduled = *subscription
        .downgrade(day_11, &basic_plan, small, &small_plan)
        .unwrap();
    assert_eq!(scheduled.starts_at, at(2025, 5, 1, 0));
    assert_eq!(subscription.phase_at(day_11).unwrap().plan, basic);
    assert_eq!(subscription.scheduled_after(day_11), Some(&scheduled));

    let tiny = version(Uuid::now_v7());
    subscription
        .downgrade(at(2025, 4, 20, 0), &basic_plan, tiny, &monthly("tiny", 5))
        .unwrap();
    let phases = subscription.phases();
    assert_eq!(phases.len(), 2);
    assert_eq!(phases[0].ends_at, Some(at(2025, 5, 1, 0)));
    assert_eq!((phases[1].plan, phases[1].ends_at), (tiny, None));

    // An upgrade drops the scheduled downgrade.
    let pro = version(Uuid::now_v7());
    subscription
        .upgrade(at(2025, 4, 25, 0), &basic_plan, pro, &monthly("pro", 60))
        .unwrap();
    let plans: Vec<_> = subscription.phases().iter().map(|p| p.plan).collect();
    assert_eq!(plans, vec![basic, pro]);
    assert_eq!(subscription.scheduled_after(at(2025, 4, 25, 0)), None);
}

#[test]
fn plan_changes_keep_the_interval_and_the_currency() {
    let (mut subscription, _) = april_subscription();
    let basic_plan = monthly("basic", 30);
    let when = at(2025, 4, 11, 0);
    let euros = plan("euros", 60, Currency::EUR, Interval::Monthly, 0);
    assert!(matches!(
        subscription.upgrade(when, &basic_plan, version(Uuid::now_v7()), &euros),
        Err(SubscriptionError::Invalid(
            DomainError::CurrencyMismatch { .. }
        ))
    ));
    let yearly = plan("yearly", 300, Currency::USD, Interval::Yearly, 0);
    assert!(matches!(
        subscription.downgrade(when, &basic_plan, version(Uuid::now_v7()), &yearly),
        Err(SubscriptionError::Invalid(DomainError::Invalid {
            field: "interval",
            ..
        }))
    ));
    assert_eq!(subscription.phases().len(), 1, "nothing changed");
}

#[test]
fn an_upgrade_never_goes_to_a_plan_whose_base_fee_costs_less_a_year() {
    let (mut subscription, _) = april_subscription();
    let basic_plan = monthly("basic", 30);
    let when = at(2025, 4, 11, 0);
    let cheaper = monthly("cheaper", 29);
    let refused = subscription.upgrade(when, &basic_plan, version(Uuid::now_v7()), &cheaper);
    assert_eq!(
        refused,
        Err(SubscriptionError::NotAnUpgrade {
            from: "basic".into(),
            to: "cheaper".into(),
            from_yearly: Decimal::from(360),
            to_yearly: Decimal::from(348),
            currency: "USD".into(),
        })
    );
    assert_eq!(subscription.phases().len(), 1, "nothing changed");
    // A cheaper plan is a downgrade: at the period's end.
    assert!(
        subscription
            .downgrade(when, &basic_plan, version(Uuid::now_v7()), &cheaper)
            .is_ok()
    );
    // The same fee is not cheaper (the usage prices may differ): an upgrade, as in Lago.
    let same_fee = monthly("same", 30);
    assert!(
        subscription
            .upgrade(when, &basic_plan, version(Uuid::now_v7()), &same_fee)
            .is_ok()
    );
    // A plan without a base fee costs nothing a year.
    let free = Plan::new(NewPlan {
        code: PlanCode::parse("usage-only").unwrap(),
        interval: Interval::Monthly,
        currency: Currency::USD,
        base_fee: None,
        trial_days: 0,
        charges: vec![],
        minimum_commitment: None,
    })
    .unwrap();
    assert_eq!(free.yearly_base_fee(), Decimal::ZERO);
    assert_eq!(
        plan("y", 300, Currency::USD, Interval::Yearly, 0).yearly_base_fee(),
        Decimal::from(300)
    );
    let (mut fresh, _) = april_subscription();
    assert!(matches!(
        fresh.upgrade(when, &basic_plan, version(Uuid::now_v7()), &free),
        Err(SubscriptionError::NotAnUpgrade { .. })
    ));
}

#[test]
fn changes_are_refused_on_the_same_plan_before_the_start_and_after_the_end() {
    let (mut subscription, basic) = april_subscription();
    let basic_plan = monthly("basic", 30);
    let newer = PlanVersionRef {
        plan_id: basic.plan_id,
        version: 2,
    };
    let when = at(2025, 4, 11, 0);
    assert_eq!(
        subscription.upgrade(when, &basic_plan, newer, &basic_plan),
        Err(SubscriptionError::SamePlan)
    );
    assert!(matches!(
        subscription.upgrade(
            at(2025, 3, 1, 0),
            &basic_plan,
            version(Uuid::now_v7()),
            &basic_plan
        ),
        Err(SubscriptionError::NotStarted { .. })
    ));
    subscription.terminate(when).unwrap();
    assert_eq!(
        subscription.terminate(when),
        Err(SubscriptionError::Terminated)
    );
    assert_eq!(
        subscription.downgrade(when, &basic_plan, version(Uuid::now_v7()), &basic_plan),
        Err(SubscriptionError::Terminated)
    );
}

#[test]
fn terminating_closes_the_running_phase_and_drops_scheduled_ones() {
    let (mut subscription, basic) = april_subscription();
    let basic_plan = monthly("basic", 30);
    subscription
        .downgrade(
            at(2025, 4, 5, 0),
            &basic_plan,
            version(Uuid::now_v7()),
            &monthly("s", 1),
        )
        .unwrap();
    let end = at(2025, 4, 20, 0);
    subscription.terminate(end).unwrap();
    assert_eq!(subscription.status_at(end), SubscriptionStatus::Terminated);
    assert_eq!(subscription.terminated_at(), Some(end));
    let phases = subscription.phases();
    assert_eq!(phases.len(), 1);
    assert_eq!((phases[0].plan, phases[0].ends_at), (basic, Some(end)));

    // Terminated before it started: no phase is left to bill.
    let mut pending = Subscription::start(basic, &basic_plan, at(2025, 6, 1, 0));
    pending.terminate(at(2025, 5, 1, 0)).unwrap();
    assert!(pending.phases().is_empty());
}

#[test]
fn restored_phases_must_follow_each_other() {
    let (subscription, basic) = april_subscription();
    let phase = |from, to| Phase {
        starts_at: from,
        ends_at: to,
        plan: basic,
        reason: PhaseReason::Created,
    };
    let restore = |phases| {
        Subscription::restore(
            subscription.billing_anchor(),
            subscription.started_at(),
            None,
            None,
            Interval::Monthly,
            phases,
        )
    };
    let (a, b, c) = (at(2025, 4, 1, 0), at(2025, 4, 5, 0), at(2025, 4, 9, 0));
    let ok = restore(vec![phase(b, None), phase(a, Some(b))]).unwrap();
    assert_eq!(ok.phases()[0].starts_at, a, "sorted by start");
    assert!(restore(vec![phase(a, Some(b)), phase(c, None)]).is_err());
    assert!(restore(vec![phase(b, Some(a))]).is_err());
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    // 2000-01-01 to 2100-01-01, to the second.
    (946_684_800_i64..4_102_444_800).prop_map(|secs| Utc.timestamp_opt(secs, 0).unwrap())
}

proptest! {
    #[test]
    fn the_current_period_holds_the_instant_and_is_a_cycle(
        anchor in instant(),
        offset_days in 0_i64..4000,
        offset_secs in 0_i64..86_400,
        yearly in any::<bool>(),
    ) {
        let interval = if yearly { Interval::Yearly } else { Interval::Monthly };
        let when = anchor + chrono::TimeDelta::days(offset_days) + chrono::TimeDelta::seconds(offset_secs);
        let period = period_at(anchor, interval, when).unwrap();
        prop_assert!(period.contains(when));
        let next = period_at(anchor, interval, period.end()).unwrap();
        prop_assert_eq!(next.start(), period.end());
    }

    #[test]
    fn plan_changes_leave_contiguous_phases(
        changes in proptest::collection::vec((0_i64..90, any::<bool>()), 1..8),
    ) {
        let (mut subscription, _) = april_subscription();
        let running = monthly("basic", 30);
        let mut when = at(2025, 4, 1, 0);
        for (days, upgrade) in changes {
            when += chrono::TimeDelta::days(days);
            let target = version(Uuid::now_v7());
            let target_plan = monthly("other", 40);
            let result = if upgrade {
                subscription.upgrade(when, &running, target, &target_plan).copied()
            } else {
                subscription.downgrade(when, &running, target, &target_plan).copied()
            };
            prop_assert!(result.is_ok());
            let restored = Subscription::restore(
                subscription.billing_anchor(),
                subscription.started_at(),
                None,
                None,
                Interval::Monthly,
                subscription.phases().to_vec(),
            );
            prop_assert!(restored.is_ok());
            prop_assert!(subscription.phases().last().unwrap().ends_at.is_none());
            prop_assert!(subscription.phase_at(when).is_some());
        }
    }
}
