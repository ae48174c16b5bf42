use std::sync::Arc;

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use tollgate_domain::{
    money::UsdAmount,
    organization::OrganizationId,
    usage::{CallStatus, EventPayload, IdempotencyKey, TokenUsage},
};

use super::*;
use crate::ports::{MockClock, MockDeliveryTarget, MockOutboxQueue, OutboxItem};

fn item(outbox_id: i64, attempts: i32) -> OutboxItem {
    OutboxItem {
        outbox_id,
        event_id: outbox_id,
        organization: OrganizationId::new(),
        attempts,
        queued_at: Utc.with_ymd_and_hms(2026, 11, 25, 11, 59, 0).unwrap(),
        lease_until: Utc.with_ymd_and_hms(2026, 11, 25, 11, 59, 0).unwrap(),
        event: EventPayload {
            idempotency_key: IdempotencyKey::parse(format!("k{outbox_id}")).unwrap(),
            occurred_at: Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap(),
            customer: None,
            api_key_hash: None,
            api_key_alias: None,
            user_id: None,
            team_id: None,
            org_id: None,
            model_group: None,
            provider_model: None,
            provider: None,
            call_type: None,
            status: CallStatus::Success,
            tokens: TokenUsage::default(),
            cost: UsdAmount::new(Decimal::ZERO).unwrap(),
            cache_hit: false,
            stream: false,
            trace_id: None,
            request_tags: vec![],
        },
    }
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

fn dispatcher(
    queue: MockOutboxQueue,
    outcomes: Vec<DeliveryOutcome>,
    settings: DispatcherSettings,
) -> Dispatcher {
    let mut target = MockDeliveryTarget::new();
    target.expect_name().return_const("openmeter");
    target.expect_max_batch().return_const(100_usize);
    target.expect_deliver().returning(move |_| outcomes.clone());
    let mut clock = MockClock::new();
    clock.expect_now().returning(now);
    Dispatcher::new(Arc::new(queue), Arc::new(target), Arc::new(clock), settings)
}

#[tokio::test]
async fn each_outcome_becomes_its_settlement() {
    let mut queue = MockOutboxQueue::new();
    queue
        .expect_claim()
        .withf(|target, limit, _| target == "openmeter" && *limit == 100)
        .returning(|_, _, _| Ok(vec![item(1, 0), item(2, 0), item(3, 0), item(4, 0)]));
    queue
        .expect_settle()
        .withf(|settled| {
            let at = |i: usize| &settled[i].settlement;
            settled.len() == 4
                && matches!(at(0), Settlement::Delivered)
                && matches!(at(1), Settlement::RetryAt { at, .. } if *at >= now() + chrono::Duration::seconds(30))
                && matches!(at(2), Settlement::Dead { reason } if reason.contains("422"))
                && matches!(at(3), Settlement::WaitUntil { .. })
        })
        .times(1)
        .returning(|_| Ok(()));
    let outcomes = vec![
        DeliveryOutcome::Delivered,
        DeliveryOutcome::Retry {
            reason: "429".into(),
            retry_after: Some(Duration::from_secs(30)),
        },
        DeliveryOutcome::Rejected {
            reason: "422 bad event".into(),
        },
        DeliveryOutcome::Waiting {
            reason: "no subscription".into(),
        },
    ];

    let report = dispatcher(queue, outcomes, DispatcherSettings::default())
        .run_once()
        .await
        .unwrap();
    assert_eq!(
        report,
        RoundReport {
            claimed: 4,
            delivered: 1,
            retried: 1,
            dead: 1,
            waiting: 1,
            delivery_latencies: vec![Duration::from_secs(60)],
            ..RoundReport::default()
        }
    );
}

#[tokio::test]
async fn transient_failures_never_dead_letter_before_the_time_budget() {
    let mut old = item(2, 3);
    old.queued_at = now() - chrono::Duration::hours(73);
    let mut queue = MockOutboxQueue::new();
    queue
        .expect_claim()
        .returning(move |_, _, _| Ok(vec![item(1, 500), old.clone()]));
    queue
        .expect_settle()
        .withf(|settled| {
            matches!(&settled[0].settlement, Settlement::RetryAt { .. })
                && matches!(&settled[1].settlement,
                    Settlement::Dead { reason } if reason.contains("give_up_after_secs"))
        })
        .times(1)
        .returning(|_| Ok(()));
    let outcomes = vec![
        DeliveryOutcome::Retry {
            reason: "503".into(),
            retry_after: None,
        };
        2
    ];
    dispatcher(queue, outcomes, DispatcherSettings::default())
        .run_once()
        .await
        .unwrap();
}

#[tokio::test]
async fn no_retry_is_put_off_past_max_backoff() {
    let mut queue = MockOutboxQueue::new();
    queue
        .expect_claim()
        .returning(|_, _, _| Ok(vec![item(1, 0), item(2, 10)]));
    queue
        .expect_settle()
        .withf(|settled| {
            matches!(&settled[1].settlement,
                Settlement::RetryAt { at, .. } if *at == now() + chrono::Duration::seconds(45))
        })
        .times(1)
        .returning(|_| Ok(()));
    let settings = DispatcherSettings {
        max_backoff: Duration::from_secs(45),
        ..DispatcherSettings::default()
    };
    // The target answers (one item delivered), so the other item goes on its own backoff:
    // the schedule's step and the target's hour-long Retry-After are both cut to 45 s.
    let outcomes = vec![
        DeliveryOutcome::Delivered,
        DeliveryOutcome::Retry {
            reason: "429".into(),
            retry_after: Some(Duration::from_secs(3600)),
        },
    ];
    dispatcher(queue, outcomes, settings)
        .run_once()
        .await
        .unwrap();
}

#[tokio::test]
async fn an_empty_queue_delivers_nothing() {
    let mut queue = MockOutboxQueue::new();
    queue.expect_claim().returning(|_, _, _| Ok(vec![]));
    queue.expect_settle().never();
    let report = dispatcher(queue, vec![], DispatcherSettings::default())
        .run_once()
        .await
        .unwrap();
    assert_eq!(report.claimed, 0);
}

#[test]
fn backoff_is_jittered_below_the_schedule_step() {
    let schedule = [Duration::from_secs(1), Duration::from_secs(10)];
    for attempts in 0..5 {
        let delay = backoff(&schedule, attempts);
        let ceiling = if attempts == 0 { 1 } else { 10 };
        assert!(
            delay <= Duration::from_secs(ceiling),
            "{attempts}: {delay:?}"
        );
    }
}

mod circuit;
mod renewal;
