use chrono::TimeZone;
use rust_decimal::Decimal;
use tollgate_domain::billing::{Currency, Money};

use super::*;
use crate::ports::MockBillingLedger;

fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, d, 0, 0, 0).unwrap()
}

fn code(error: AppError) -> ErrorCode {
    match error {
        AppError::Unprocessable { code, .. } => code,
        other => panic!("not a refusal: {other:?}"),
    }
}

#[tokio::test]
async fn the_ledgers_totals_are_answered_for_a_span() {
    let eur = |cents| Money::from_minor(cents, Currency::EUR);
    let totals = CurrencyTotals {
        invoiced: eur(1000),
        paid: eur(500),
        outstanding: eur(500),
        credited: Money::new(Decimal::ZERO, Currency::EUR),
    };
    let answer = vec![totals.clone()];
    let mut ledger = MockBillingLedger::new();
    ledger
        .expect_summary()
        .withf(|_, from, to| *from == day(1) && *to == day(6))
        .times(1)
        .returning(move |_, _, _| Ok(answer.clone()));
    let service = BillingSummaryService::new(Some(Arc::new(ledger)));
    let got = service
        .summary(OrganizationId::new(), day(1), day(6))
        .await
        .unwrap();
    assert_eq!(got, [totals]);
}

#[tokio::test]
async fn empty_or_endless_spans_are_refused_before_the_ledger_is_read() {
    let mut ledger = MockBillingLedger::new();
    ledger.expect_summary().never();
    let service = BillingSummaryService::new(Some(Arc::new(ledger)));
    let organization = OrganizationId::new();
    for (from, to) in [
        (day(6), day(1)),
        (day(1), day(1)),
        (day(1) - MAX_SPAN - TimeDelta::days(1), day(1)),
    ] {
        let error = service.summary(organization, from, to).await.unwrap_err();
        assert_eq!(code(error), ErrorCode::InvalidQuery);
    }
}

#[tokio::test]
async fn with_lago_as_the_engine_the_summary_is_refused_with_its_code() {
    let service = BillingSummaryService::new(None);
    let error = service
        .summary(OrganizationId::new(), day(1), day(6))
        .await
        .unwrap_err();
    assert_eq!(code(error), ErrorCode::EngineReadUnsupported);
}
