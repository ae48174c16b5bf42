use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use tollgate_domain::{
    money::UsdAmount,
    organization::OrganizationId,
    usage::{CallStatus, EventPayload, IdempotencyKey, TokenUsage},
    webhook_secret::SecretDigest,
};

use super::*;
use crate::{
    PortError,
    ports::{
        IngestReceipt, MockBudgetAlertStore, MockUsageEventStore, MockWebhookSecretStore,
        WebhookSecret,
    },
};

pub(super) fn event(key: &str) -> EventPayload {
    EventPayload {
        idempotency_key: IdempotencyKey::parse(key).unwrap(),
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
        cost: UsdAmount::new(Decimal::new(88, 6)).unwrap(),
        cache_hit: false,
        stream: false,
        trace_id: None,
        request_tags: vec![],
    }
}

fn rejected(code: tollgate_domain::QuarantineCode) -> DecodedEvent {
    DecodedEvent::Rejected(RejectedEvent {
        code,
        message: format!("{code} happened"),
        content: "{}".into(),
        fingerprint: [0; 32],
    })
}

fn service(
    events: MockUsageEventStore,
    secrets: MockWebhookSecretStore,
    configured: Vec<WebhookSecret>,
) -> WebhookService {
    WebhookService::new(
        Arc::new(events),
        Arc::new(MockBudgetAlertStore::new()),
        Arc::new(secrets),
        WebhookSettings {
            configured_secrets: configured,
            secret_refresh: Duration::from_secs(60),
            recent_keys: 1_000,
        },
    )
}

#[tokio::test]
async fn valid_events_are_stored_and_rejected_ones_quarantined_in_one_call() {
    let org = OrganizationId::new();
    let mut events = MockUsageEventStore::new();
    events
        .expect_ingest()
        .withf(move |batch| {
            batch.events.len() == 2
                && batch.events.iter().all(|e| e.organization == org)
                && batch.quarantined.len() == 1
                && batch.quarantined[0].batch_index == 1
                && batch.quarantined[0].reason_code == "negative_tokens"
        })
        .times(1)
        .returning(|_| {
            Ok(IngestReceipt {
                newly_stored: vec![true, false],
            })
        });
    let service = service(events, MockWebhookSecretStore::new(), vec![]);

    let report = service
        .ingest_usage(
            org,
            vec![
                DecodedEvent::Valid(event("a")),
                rejected(tollgate_domain::QuarantineCode::NegativeTokens),
                DecodedEvent::Valid(event("b")),
            ],
        )
        .await
        .unwrap();

    assert_eq!(report.accepted, 1);
    assert_eq!(report.duplicates, 1);
    assert_eq!(report.quarantined.len(), 1);
    assert_eq!(report.quarantined[0].index, 1);
    assert_eq!(report.quarantined[0].code, "negative_tokens");
}

#[tokio::test]
async fn replays_of_committed_events_are_answered_without_the_store() {
    let org = OrganizationId::new();
    let mut events = MockUsageEventStore::new();
    events
        .expect_ingest()
        .withf(|batch| batch.events.len() == 2)
        .times(1)
        .returning(|_| {
            Ok(IngestReceipt {
                newly_stored: vec![true, true],
            })
        });
    events
        .expect_ingest()
        .withf(|batch| {
            batch.events.len() == 1 && batch.events[0].payload.idempotency_key.as_str() == "c"
        })
        .times(1)
        .returning(|_| {
            Ok(IngestReceipt {
                newly_stored: vec![true],
            })
        });
    let service = service(events, MockWebhookSecretStore::new(), vec![]);
    let first = vec![
        DecodedEvent::Valid(event("a")),
        DecodedEvent::Valid(event("b")),
    ];

    let stored = service.ingest_usage(org, first.clone()).await.unwrap();
    let replayed = service.ingest_usage(org, first).await.unwrap();
    let mixed = service
        .ingest_usage(
            org,
            vec![
                DecodedEvent::Valid(event("a")),
                DecodedEvent::Valid(event("c")),
            ],
        )
        .await
        .unwrap();

    assert_eq!((stored.accepted, stored.duplicates), (2, 0));
    assert_eq!((replayed.accepted, replayed.duplicates), (0, 2));
    assert_eq!((mixed.accepted, mixed.duplicates), (1, 1));
}

#[tokio::test]
async fn keys_of_a_failed_store_are_not_remembered() {
    let org = OrganizationId::new();
    let mut events = MockUsageEventStore::new();
    let mut calls = 0;
    events.expect_ingest().times(2).returning(move |_| {
        calls += 1;
        if calls == 1 {
            Err(PortError::unavailable("postgres", "down"))
        } else {
            Ok(IngestReceipt {
                newly_stored: vec![true],
            })
        }
    });
    let service = service(events, MockWebhookSecretStore::new(), vec![]);
    let batch = vec![DecodedEvent::Valid(event("a"))];

    assert!(service.ingest_usage(org, batch.clone()).await.is_err());
    let retried = service.ingest_usage(org, batch).await.unwrap();
    assert_eq!(retried.accepted, 1);
}

#[tokio::test]
async fn a_store_failure_is_reported_not_swallowed() {
    let mut events = MockUsageEventStore::new();
    events
        .expect_ingest()
        .returning(|_| Err(PortError::unavailable("postgres", "pool timed out")));
    let service = service(events, MockWebhookSecretStore::new(), vec![]);

    let result = service
        .ingest_usage(OrganizationId::new(), vec![DecodedEvent::Valid(event("a"))])
        .await;

    assert!(matches!(
        result,
        Err(AppError::Port(PortError::Unavailable { .. }))
    ));
}

#[tokio::test]
async fn configured_secrets_authenticate_without_reading_the_store() {
    let org = OrganizationId::new();
    let mut secrets = MockWebhookSecretStore::new();
    secrets.expect_active_secrets().times(0);
    let configured = vec![WebhookSecret {
        organization: org,
        digest: SecretDigest::of("whsec-one"),
    }];
    let service = service(MockUsageEventStore::new(), secrets, configured);

    assert_eq!(service.authenticate("whsec-one").await.unwrap(), org);
}

#[tokio::test]
async fn stored_secrets_are_cached_and_wrong_secrets_refused() {
    let org = OrganizationId::new();
    let mut secrets = MockWebhookSecretStore::new();
    secrets.expect_active_secrets().times(1).returning(move || {
        Ok(vec![WebhookSecret {
            organization: org,
            digest: SecretDigest::of("whsec-stored"),
        }])
    });
    let service = service(MockUsageEventStore::new(), secrets, vec![]);

    assert_eq!(service.authenticate("whsec-stored").await.unwrap(), org);
    assert_eq!(service.authenticate("whsec-stored").await.unwrap(), org);
    assert!(matches!(
        service.authenticate("whsec-wrong").await,
        Err(AppError::Unauthorized)
    ));
}

/// Records how many transactions it saw and how many events each held.
#[derive(Default)]
struct CountingStore {
    calls: AtomicUsize,
    fail_when_key: Option<&'static str>,
}

#[async_trait]
impl UsageEventStore for CountingStore {
    async fn ingest(&self, batch: IngestBatch) -> Result<IngestReceipt, PortError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(5)).await;
        if let Some(bad) = self.fail_when_key
            && batch
                .events
                .iter()
                .any(|e| e.payload.idempotency_key.as_str() == bad)
        {
            return Err(PortError::Internal {
                service: "test",
                reason: "bad row".into(),
            });
        }
        let mut seen = std::collections::HashSet::new();
        let newly_stored = batch
            .events
            .iter()
            .map(|e| seen.insert(e.payload.idempotency_key.clone()))
            .collect();
        Ok(IngestReceipt { newly_stored })
    }
}

fn one_event_batch(key: &str) -> IngestBatch {
    IngestBatch {
        events: vec![IncomingEvent {
            organization: OrganizationId::new(),
            payload: event(key),
        }],
        quarantined: vec![],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_coalesces_concurrent_requests_and_answers_each_its_own_part() {
    let store = Arc::new(CountingStore::default());
    let settings = GroupCommitSettings {
        writers: 1,
        max_events: 100,
        linger: Duration::from_millis(20),
        queue_depth: 100,
    };
    let group = Arc::new(GroupCommit::start(store.clone(), settings));

    let calls: Vec<_> = (0..20)
        .map(|i| {
            let group = Arc::clone(&group);
            // Even requests repeat the key of the request before them.
            let key = format!("k{}", i / 2 * 2 + i % 2 * 2);
            tokio::spawn(async move { group.ingest(one_event_batch(&key)).await })
        })
        .collect();
    let mut receipts = Vec::new();
    for call in calls {
        receipts.push(call.await.unwrap().unwrap());
    }
    group.shutdown().await;

    assert!(receipts.iter().all(|r| r.newly_stored.len() == 1));
    assert!(
        store.calls.load(Ordering::SeqCst) < 20,
        "20 concurrent requests should share transactions, saw {}",
        store.calls.load(Ordering::SeqCst)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_request_does_not_fail_the_requests_it_shared_a_transaction_with() {
    let store = Arc::new(CountingStore {
        fail_when_key: Some("poison"),
        ..CountingStore::default()
    });
    let settings = GroupCommitSettings {
        writers: 1,
        max_events: 100,
        linger: Duration::from_millis(50),
        queue_depth: 100,
    };
    let group = Arc::new(GroupCommit::start(store, settings));

    let good = {
        let group = Arc::clone(&group);
        tokio::spawn(async move { group.ingest(one_event_batch("fine")).await })
    };
    let bad = {
        let group = Arc::clone(&group);
        tokio::spawn(async move { group.ingest(one_event_batch("poison")).await })
    };

    assert_eq!(good.await.unwrap().unwrap().newly_stored, vec![true]);
    assert!(matches!(
        bad.await.unwrap(),
        Err(PortError::Internal { .. })
    ));
    group.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_shutdown_new_work_is_refused_as_unavailable() {
    let group = GroupCommit::start(
        Arc::new(CountingStore::default()),
        GroupCommitSettings::default(),
    );
    group.shutdown().await;

    assert!(matches!(
        group.ingest(one_event_batch("late")).await,
        Err(PortError::Unavailable { .. })
    ));
}
