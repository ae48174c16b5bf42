use std::{net::IpAddr, time::Duration};

use chrono::{DateTime, TimeZone, Utc};
use mockall::predicate::eq;
use tollgate_domain::{ErrorCode, organization::OrganizationId, outbound_webhook::EventType};

use super::{
    worker::{FAILING_REASON, GONE_REASON, WebhookWorker, WebhookWorkerSettings, decide},
    *,
};
use crate::ports::{
    ClaimedDelivery, DeliverySettlement, MockClock, MockHostResolver, MockWebhookDeliveryQueue,
    MockWebhookEndpointStore, MockWebhookSender, SendReport,
};

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 9, 10, 0, 0).unwrap()
}

fn clock() -> Arc<MockClock> {
    let mut clock = MockClock::new();
    clock.expect_now().returning(at);
    Arc::new(clock)
}

fn resolving_to(addresses: &'static [&'static str]) -> MockHostResolver {
    let mut resolver = MockHostResolver::new();
    resolver.expect_resolve().returning(move |_, _| {
        Ok(addresses
            .iter()
            .map(|a| a.parse::<IpAddr>().unwrap())
            .collect())
    });
    resolver
}

fn service_with(
    store: MockWebhookEndpointStore,
    resolver: MockHostResolver,
) -> OutboundWebhookService {
    OutboundWebhookService::new(Arc::new(store), Arc::new(resolver), clock(), false)
}

fn request(url: &str, types: &[&str]) -> EndpointRequest {
    EndpointRequest {
        url: url.to_owned(),
        description: String::new(),
        event_types: types.iter().map(|t| (*t).to_owned()).collect(),
    }
}

fn record(id: Uuid) -> EndpointRecord {
    EndpointRecord {
        id,
        url: "https://hooks.example.com/".into(),
        description: String::new(),
        event_types: Vec::new(),
        enabled: true,
        disabled_reason: None,
        disabled_at: None,
        previous_secret_expires_at: None,
        created_at: at(),
        updated_at: at(),
    }
}

fn code(error: AppError) -> ErrorCode {
    match error {
        AppError::Invalid(domain) => domain.code(),
        other => panic!("not a domain refusal: {other:?}"),
    }
}

#[tokio::test]
async fn a_name_resolving_to_a_private_address_is_refused_before_anything_is_stored() {
    let service = service_with(
        MockWebhookEndpointStore::new(),
        resolving_to(&["93.184.216.34", "10.0.0.1"]),
    );
    let refused = service
        .create(
            OrganizationId::new(),
            request("https://hooks.example.com/", &[]),
            &AuditContext::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(code(refused), ErrorCode::UnsafeUrl);
}

#[tokio::test]
async fn unknown_event_types_are_refused_and_known_ones_stored_once_each() {
    let service = service_with(
        MockWebhookEndpointStore::new(),
        resolving_to(&["93.184.216.34"]),
    );
    let refused = service
        .create(
            OrganizationId::new(),
            request(
                "https://hooks.example.com/",
                &["invoice.paid", "invoice.exploded"],
            ),
            &AuditContext::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(code(refused), ErrorCode::UnknownEventType);

    let mut store = MockWebhookEndpointStore::new();
    store
        .expect_create()
        .withf(|_, endpoint, audit| {
            endpoint.event_types == [EventType::InvoicePaid]
                && audit.action == "webhook_endpoint.create"
                && audit.target == Some(format!("webhook_endpoint:{}", endpoint.id))
        })
        .times(1)
        .returning(|_, endpoint, _| Ok((record(endpoint.id), RevealedSecret("whsec_x".into()))));
    let service = service_with(store, resolving_to(&["93.184.216.34"]));
    let (_, secret) = service
        .create(
            OrganizationId::new(),
            request(
                "https://hooks.example.com/",
                &["invoice.paid", "invoice.paid"],
            ),
            &AuditContext::default(),
        )
        .await
        .unwrap();
    assert_eq!(format!("{secret:?}"), "RevealedSecret(..)");
}

#[tokio::test]
async fn the_test_event_goes_to_the_endpoint_asked_only() {
    let organization = OrganizationId::new();
    let id = Uuid::now_v7();
    let mut store = MockWebhookEndpointStore::new();
    store
        .expect_get()
        .with(eq(organization), eq(id))
        .returning(|_, id| Ok(Some(record(id))));
    store
        .expect_enqueue()
        .withf(move |_, message, only| {
            message.event_type == EventType::WebhookTest
                && message.id.starts_with("msg_")
                && *only == Some(id)
        })
        .times(1)
        .returning(|_, _, _| Ok(1));
    let service = service_with(store, MockHostResolver::new());
    let sent = service.send_test(organization, id).await.unwrap();
    assert!(sent.is_some_and(|m| m.len() == 36));
}

#[tokio::test]
async fn a_rotated_secret_keeps_signing_for_a_day() {
    let mut store = MockWebhookEndpointStore::new();
    store
        .expect_rotate()
        .withf(|_, _, until, _| *until == at() + TimeDelta::hours(24))
        .times(1)
        .returning(|_, _, _, _| Ok(Some(RevealedSecret("whsec_y".into()))));
    let service = service_with(store, MockHostResolver::new());
    let rotated = service
        .rotate_secret(
            OrganizationId::new(),
            Uuid::now_v7(),
            &AuditContext::default(),
        )
        .await
        .unwrap();
    assert_eq!(rotated, Some(RevealedSecret("whsec_y".into())));
}

fn claimed(attempts: i64, failing_since: Option<DateTime<Utc>>) -> ClaimedDelivery {
    ClaimedDelivery {
        id: 7,
        organization: OrganizationId::new(),
        endpoint_id: Uuid::now_v7(),
        url: "https://hooks.example.com/".into(),
        message_id: "msg_0".into(),
        body: "{}".into(),
        attempts,
        failing_since,
        lease_until: at(),
    }
}

fn answered(status: Option<u16>, retry_after: Option<Duration>) -> SendReport {
    SendReport {
        status,
        retry_after,
        duration: Duration::from_millis(12),
        error: status.is_none().then(|| "timed out".to_owned()),
        excerpt: None,
    }
}

#[test]
fn attempts_settle_by_status_schedule_and_failure_age() {
    let first = claimed(0, None);
    assert_eq!(
        decide(&first, &answered(Some(204), None), at(), 0.0),
        (DeliverySettlement::Delivered, None)
    );
    assert_eq!(
        decide(&first, &answered(Some(500), None), at(), 0.0),
        (
            DeliverySettlement::Retry {
                at: at() + TimeDelta::seconds(5)
            },
            None
        )
    );
    // A redirect is a failure, Retry-After longer than the step is honoured.
    assert_eq!(
        decide(
            &first,
            &answered(Some(302), Some(Duration::from_secs(120))),
            at(),
            0.0
        ),
        (
            DeliverySettlement::Retry {
                at: at() + TimeDelta::seconds(120)
            },
            None
        )
    );
    assert_eq!(
        decide(&first, &answered(Some(410), None), at(), 0.0),
        (DeliverySettlement::Failed, Some(GONE_REASON))
    );
    // The eighth failed attempt ends the schedule.
    assert_eq!(
        decide(&claimed(7, Some(at())), &answered(None, None), at(), 0.0),
        (DeliverySettlement::Failed, None)
    );
    let five_days_ago = at() - TimeDelta::days(5);
    assert_eq!(
        decide(
            &claimed(1, Some(five_days_ago)),
            &answered(Some(503), None),
            at(),
            0.0
        ),
        (DeliverySettlement::Failed, Some(FAILING_REASON))
    );
}

#[tokio::test]
async fn a_round_signs_with_the_queue_secrets_and_records_each_attempt() {
    let mut queue = MockWebhookDeliveryQueue::new();
    queue
        .expect_claim()
        .times(1)
        .returning(|_, _| Ok(vec![claimed(0, None)]));
    queue.expect_secrets().returning(|_, _| {
        Ok(vec![
            RevealedSecret("whsec_a".into()),
            RevealedSecret("whsec_b".into()),
        ])
    });
    let mut sender = MockWebhookSender::new();
    sender
        .expect_send()
        .withf(|webhook, _| webhook.secrets.len() == 2 && webhook.message_id == "msg_0")
        .times(1)
        .returning(|_, _| answered(Some(410), None));
    queue
        .expect_settle()
        .withf(|_, attempt, settlement, disable| {
            attempt.status_code == Some(410)
                && attempt.duration_ms == 12
                && *settlement == DeliverySettlement::Failed
                && disable.as_ref().is_some_and(|d| {
                    d.reason == GONE_REASON
                        && d.audit.action == "webhook_endpoint.disable"
                        && d.audit.context.actor == "system"
                })
        })
        .times(1)
        .returning(|_, _, _, _| Ok(true));
    let worker = WebhookWorker::new(Arc::new(queue), Arc::new(sender), clock());
    let settings = WebhookWorkerSettings {
        lease: Duration::from_secs(60),
        idle_poll: Duration::from_millis(10),
        batch: 10,
    };
    assert_eq!(worker.run_once(&settings).await.unwrap(), 1);
}
