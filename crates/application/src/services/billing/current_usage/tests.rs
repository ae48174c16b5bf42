use std::collections::BTreeMap;

use chrono::TimeZone;
use mockall::predicate::{always, eq};
use rust_decimal::Decimal;
use tollgate_domain::{
    billing::{
        BaseFee, Charge, Currency, FeeTiming, Interval, Money, NewPlan, Plan, PlanCode,
        PricingModel,
    },
    metering::Meter,
};

use super::*;
use crate::{
    ports::{MockClock, MockOpenPeriodReader},
    services::billing::period_close::rules::{PhaseTerms, SubscriptionTerms},
};

fn at(m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, 0, 0, 0).unwrap()
}

/// 30.00 a month in arrears, 0.01 a request.
fn plan(timing: FeeTiming) -> Arc<Plan> {
    let money = |text: &str| Money::new(text.parse().unwrap(), Currency::USD);
    Arc::new(
        Plan::new(NewPlan {
            code: PlanCode::parse("p").unwrap(),
            interval: Interval::Monthly,
            currency: Currency::USD,
            base_fee: Some(BaseFee::new(money("30.00"), timing).unwrap()),
            trial_days: 0,
            charges: vec![
                Charge::new(
                    Meter::Requests,
                    PricingModel::per_unit("0.01".parse().unwrap()).unwrap(),
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

fn terms(timing: FeeTiming, terminated_at: Option<DateTime<Utc>>) -> SubscriptionTerms {
    SubscriptionTerms {
        customer: CustomerId::parse("cust_1").unwrap(),
        currency: Currency::USD,
        tax_rate: TaxRate::ZERO,
        billing_anchor: at(1, 1),
        started_at: at(1, 1),
        trial_ends_at: None,
        terminated_at,
        invoiced_through: at(3, 1),
        opened: true,
        paid_in_advance: None,
        unused_on_credit_note: false,
        phases: vec![PhaseTerms {
            starts_at: at(1, 1),
            ends_at: terminated_at,
            plan_id: Uuid::nil(),
            version: 1,
            plan: plan(timing),
        }],
    }
}

fn clock(now: DateTime<Utc>) -> Arc<MockClock> {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(now);
    Arc::new(clock)
}

fn requests(n: i64) -> MeteredUsage {
    MeteredUsage::succeeded(BTreeMap::from([(Meter::Requests, Decimal::from(n))]))
}

fn amounts(invoice: &Invoice) -> Vec<String> {
    invoice
        .lines()
        .iter()
        .map(|l| l.amount().amount().to_string())
        .collect()
}

#[tokio::test]
async fn the_open_period_is_rated_with_the_usage_so_far_by_the_close_rules() {
    let mut reader = MockOpenPeriodReader::new();
    reader
        .expect_terms()
        .returning(|_, _, _| Ok(Some(terms(FeeTiming::Arrears, None))));
    // March so far: from the last invoiced end to now, not to the period's end.
    reader
        .expect_usage()
        .with(
            always(),
            always(),
            eq(vec![BillingPeriod::new(at(3, 1), at(3, 11)).unwrap()]),
        )
        .times(1)
        .returning(|_, _, _| Ok(vec![requests(250)]));
    let service = CurrentUsageService::new(Some(Arc::new(reader)), clock(at(3, 11)), TaxRate::ZERO);
    let usage = service
        .current_usage(OrganizationId::new(), None, Uuid::nil())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        usage.period,
        BillingPeriod::new(at(3, 1), at(4, 1)).unwrap()
    );
    assert_eq!(usage.as_of, at(3, 11));
    // The whole period's fee in arrears, the usage so far; no next period's fee.
    let invoice = usage.invoice.unwrap();
    assert_eq!(amounts(&invoice), ["30.00", "2.50"]);
}

#[tokio::test]
async fn an_in_advance_fee_already_billed_is_not_repeated_nor_the_next_one_added() {
    let mut reader = MockOpenPeriodReader::new();
    reader
        .expect_terms()
        .returning(|_, _, _| Ok(Some(terms(FeeTiming::Advance, None))));
    reader
        .expect_usage()
        .returning(|_, _, _| Ok(vec![requests(100)]));
    let service = CurrentUsageService::new(Some(Arc::new(reader)), clock(at(3, 20)), TaxRate::ZERO);
    let usage = service
        .current_usage(OrganizationId::new(), None, Uuid::nil())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(amounts(&usage.invoice.unwrap()), ["1.00"]);
}

#[tokio::test]
async fn another_customers_subscription_is_not_found_for_a_customer_member() {
    let mut reader = MockOpenPeriodReader::new();
    reader
        .expect_terms()
        .returning(|_, _, _| Ok(Some(terms(FeeTiming::Arrears, None))));
    reader.expect_usage().never();
    let service = CurrentUsageService::new(Some(Arc::new(reader)), clock(at(3, 11)), TaxRate::ZERO);
    let found = service
        .current_usage(OrganizationId::new(), Some("cust_2"), Uuid::nil())
        .await
        .unwrap();
    assert!(found.is_none());
}

#[tokio::test]
async fn a_terminated_subscription_with_every_period_invoiced_is_a_conflict() {
    let mut reader = MockOpenPeriodReader::new();
    reader
        .expect_terms()
        .returning(|_, _, _| Ok(Some(terms(FeeTiming::Arrears, Some(at(2, 15))))));
    let service = CurrentUsageService::new(Some(Arc::new(reader)), clock(at(3, 11)), TaxRate::ZERO);
    let error = service
        .current_usage(OrganizationId::new(), None, Uuid::nil())
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        AppError::Conflict {
            code: ErrorCode::SubscriptionTerminated,
            ..
        }
    ));
}

#[tokio::test]
async fn with_lago_as_the_engine_it_is_refused() {
    let service = CurrentUsageService::new(None, clock(at(3, 11)), TaxRate::ZERO);
    let error = service
        .current_usage(OrganizationId::new(), None, Uuid::nil())
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        AppError::Unprocessable {
            code: ErrorCode::EngineReadUnsupported,
            ..
        }
    ));
}
