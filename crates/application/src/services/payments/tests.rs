use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use rust_decimal::Decimal;
use tollgate_domain::{
    billing::CurrencyCode,
    organization::OrganizationId,
    payment::{AttemptStatus, DeclineDetails, DunningPolicy, InvoicePaymentStatus},
};
use uuid::Uuid;

use super::{PaymentService, events::EventOutcome};
use crate::{
    PortError,
    ports::{
        AttemptKind, AttemptRecord, AttemptSettlement, ChargeOutcome, Collection, Decline,
        IntentStatus, MockClock, MockPaymentGateway, MockPaymentLedger, PaymentCustomer,
        PaymentError, PaymentEvent, PaymentReference, ReceivedPaymentEvent, SettlementOutcome,
    },
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0)
        .single()
        .expect("a time")
}

fn clock() -> Arc<MockClock> {
    let mut clock = MockClock::new();
    clock.expect_now().returning(now);
    Arc::new(clock)
}

fn collection(attempts_made: u32) -> Collection {
    let organization = OrganizationId::new();
    Collection {
        invoice: Uuid::from_u128(7),
        organization,
        invoice_number: Some("ACME-000042".into()),
        status: InvoicePaymentStatus::None,
        amount_due: Decimal::new(3100, 2),
        currency: CurrencyCode::parse("USD").expect("a code"),
        attempts_made,
        first_attempt_at: (attempts_made > 0).then(|| now() - TimeDelta::days(3)),
        customer: PaymentCustomer {
            organization,
            customer: Uuid::from_u128(9),
            provider_customer: "cus_1".into(),
            default_payment_method: Some("pm_card_visa".into()),
            auto_collect: true,
            delinquent: false,
        },
    }
}

fn attempt_of(collection: &Collection) -> AttemptRecord {
    AttemptRecord {
        id: Uuid::from_u128(11),
        organization: collection.organization,
        invoice: collection.invoice,
        attempt: collection.attempts_made + 1,
        kind: AttemptKind::OffSession,
        idempotency_key: format!("pi:{}:{}", collection.invoice, collection.attempts_made + 1),
        provider_payment: None,
        amount: collection.amount_due,
        currency: collection.currency,
        status: AttemptStatus::Pending,
        decline: None,
        created_at: now(),
    }
}

/// A ledger holding `collection` due, recording every settlement and release.
fn ledger(
    collection: Collection,
    settled: Arc<Mutex<Vec<AttemptSettlement>>>,
    released: Arc<Mutex<Vec<DateTime<Utc>>>>,
) -> MockPaymentLedger {
    let mut ledger = MockPaymentLedger::new();
    ledger.expect_open_collections().returning(|_| Ok(0));
    let claimed = collection.clone();
    ledger
        .expect_claim_due()
        .returning(move |_, _, _| Ok(vec![claimed.clone()]));
    ledger
        .expect_begin_attempt()
        .returning(|collection, _, _| Ok(attempt_of(collection)));
    ledger.expect_settle().returning(move |settlement, _| {
        settled.lock().expect("a lock").push(settlement.clone());
        Ok(SettlementOutcome::Applied)
    });
    ledger.expect_release().returning(move |_, _, at| {
        released.lock().expect("a lock").push(at);
        Ok(())
    });
    ledger
}

fn declined(code: &str, decline_code: Option<&str>, advice: Option<&str>) -> PaymentError {
    PaymentError::Declined(Decline {
        code: code.into(),
        decline_code: decline_code.map(str::to_owned),
        advice_code: advice.map(str::to_owned),
        message: "Your card was declined.".into(),
        payment_intent: Some("pi_failed".into()),
    })
}

/// One pass over `collection` with the gateway answering `answer`: the settlements and the
/// releases the ledger saw, and the key the charge carried.
async fn pass(
    collection: Collection,
    answer: Result<ChargeOutcome, PaymentError>,
) -> (Vec<AttemptSettlement>, Vec<DateTime<Utc>>, String) {
    let settled = Arc::new(Mutex::new(Vec::new()));
    let released = Arc::new(Mutex::new(Vec::new()));
    let key = Arc::new(Mutex::new(String::new()));
    let mut gateway = MockPaymentGateway::new();
    let seen = key.clone();
    gateway
        .expect_charge_off_session()
        .returning(move |request| {
            *seen.lock().expect("a lock") = request.key.as_str().to_owned();
            answer.clone()
        });
    let service = PaymentService::new(
        Arc::new(ledger(collection, settled.clone(), released.clone())),
        Arc::new(gateway),
        clock(),
        DunningPolicy::default(),
    );
    service.collect_due(10).await.expect("a pass");
    let settled = settled.lock().expect("a lock").clone();
    let released = released.lock().expect("a lock").clone();
    let key = key.lock().expect("a lock").clone();
    (settled, released, key)
}

#[tokio::test]
async fn a_charged_card_pays_the_invoice_under_the_attempts_key() {
    let first = collection(0);
    let outcome = ChargeOutcome {
        payment_intent: "pi_1".into(),
        status: IntentStatus::Succeeded,
        amount: first.amount_due,
        currency: first.currency,
    };
    let (settled, released, key) = pass(first.clone(), Ok(outcome)).await;
    assert_eq!(key, format!("pi:{}:1", first.invoice));
    assert!(released.is_empty());
    let [settlement] = settled.as_slice() else {
        panic!("one settlement: {settled:?}");
    };
    assert_eq!(settlement.status, AttemptStatus::Succeeded);
    assert_eq!(settlement.invoice_status, InvoicePaymentStatus::Succeeded);
    assert_eq!(settlement.provider_payment.as_deref(), Some("pi_1"));
    assert!(!settlement.delinquent);
}

#[tokio::test]
async fn a_soft_decline_schedules_the_next_attempt_from_the_first() {
    // The second attempt (first three days ago) fails: the third is due at first + 3 days.
    let second = collection(1);
    let (settled, _, _) = pass(
        second,
        Err(declined("card_declined", Some("insufficient_funds"), None)),
    )
    .await;
    let settlement = &settled[0];
    assert_eq!(settlement.status, AttemptStatus::Failed);
    assert_eq!(settlement.invoice_status, InvoicePaymentStatus::Failed);
    assert_eq!(settlement.next_attempt_at, Some(now()));
    assert_eq!(
        settlement
            .decline
            .as_ref()
            .and_then(DeclineDetails::decline_code),
        Some("insufficient_funds")
    );
    assert!(!settlement.delinquent);
}

#[tokio::test]
async fn the_last_attempt_or_a_hard_decline_ends_dunning() {
    for (made, decline_code, advice) in [
        (4, Some("insufficient_funds"), None),
        (0, Some("lost_card"), None),
        (0, None, Some("do_not_try_again")),
    ] {
        let (settled, _, _) = pass(
            collection(made),
            Err(declined("card_declined", decline_code, advice)),
        )
        .await;
        let settlement = &settled[0];
        assert_eq!(
            settlement.invoice_status,
            InvoicePaymentStatus::Uncollectible,
            "{made} {decline_code:?} {advice:?}"
        );
        assert_eq!(settlement.next_attempt_at, None);
        assert!(settlement.delinquent);
    }
}

#[tokio::test]
async fn a_card_that_needs_its_holder_waits_for_the_customer() {
    let (settled, _, _) = pass(
        collection(0),
        Err(declined("authentication_required", None, None)),
    )
    .await;
    assert_eq!(settled[0].status, AttemptStatus::RequiresAction);
    assert_eq!(
        settled[0].invoice_status,
        InvoicePaymentStatus::RequiresAction
    );
    assert_eq!(settled[0].provider_payment.as_deref(), Some("pi_failed"));
}

#[tokio::test]
async fn an_unreachable_provider_postpones_without_recording_an_outcome() {
    let outage = PaymentError::Upstream(PortError::unavailable("stripe", "connection refused"));
    let (settled, released, _) = pass(collection(0), Err(outage)).await;
    assert!(settled.is_empty());
    assert_eq!(released, [now() + super::UNREACHABLE_RETRY]);
}

fn event(livemode: bool, event: PaymentEvent) -> ReceivedPaymentEvent {
    ReceivedPaymentEvent {
        id: "evt_1".into(),
        event_type: "payment_intent.succeeded".into(),
        livemode,
        event,
    }
}

fn succeeded() -> PaymentEvent {
    PaymentEvent::PaymentSucceeded(PaymentReference {
        provider_payment: "pi_1".into(),
        invoice: Some(Uuid::from_u128(7)),
        attempt: Some(1),
    })
}

fn service(ledger: MockPaymentLedger) -> PaymentService {
    PaymentService::new(
        Arc::new(ledger),
        Arc::new(MockPaymentGateway::new()),
        clock(),
        DunningPolicy::default(),
    )
}

#[tokio::test]
async fn a_repeated_event_changes_nothing() {
    let mut ledger = MockPaymentLedger::new();
    ledger.expect_event_seen().returning(|_| Ok(true));
    ledger.expect_settle().never();
    let outcome = service(ledger)
        .apply_event(&event(false, succeeded()), false)
        .await;
    assert_eq!(outcome.expect("applied"), EventOutcome::Duplicate);
}

#[tokio::test]
async fn an_event_of_the_other_mode_is_counted_and_changes_nothing() {
    let mut ledger = MockPaymentLedger::new();
    ledger.expect_event_seen().returning(|_| Ok(false));
    ledger
        .expect_record_event()
        .times(1)
        .returning(|_| Ok(true));
    ledger.expect_settle().never();
    let outcome = service(ledger)
        .apply_event(&event(true, succeeded()), false)
        .await;
    assert_eq!(outcome.expect("applied"), EventOutcome::Ignored);
}

#[tokio::test]
async fn a_success_found_by_its_metadata_settles_the_attempt_with_the_event() {
    let mut ledger = MockPaymentLedger::new();
    ledger.expect_event_seen().returning(|_| Ok(false));
    let attempt = attempt_of(&collection(0));
    ledger.expect_find_attempt().returning(move |reference| {
        Ok(match reference {
            // The charge's answer was never recorded: only the metadata finds it.
            crate::ports::AttemptReference::ProviderPayment(_) => None,
            crate::ports::AttemptReference::Tollgate { .. } => Some(attempt.clone()),
        })
    });
    ledger
        .expect_settle()
        .withf(|settlement, event| {
            settlement.status == AttemptStatus::Succeeded
                && settlement.invoice_status == InvoicePaymentStatus::Succeeded
                && settlement.provider_payment.as_deref() == Some("pi_1")
                && event.as_ref().is_some_and(|event| event.id == "evt_1")
        })
        .times(1)
        .returning(|_, _| Ok(SettlementOutcome::Applied));
    let outcome = service(ledger)
        .apply_event(&event(false, succeeded()), false)
        .await;
    assert_eq!(outcome.expect("applied"), EventOutcome::Applied);
}
