use std::sync::Arc;

use chrono::{DateTime, Utc};
use tollgate_domain::{
    billing::engine_event::{EngineEvent, EngineObject, EngineSubscription, ViewUpdate},
    organization::OrganizationId,
};
use uuid::Uuid;

use super::*;
use crate::ports::{MockClock, MockEngineViewStore, MockWebhookSignatureVerifier};

fn organization() -> OrganizationId {
    OrganizationId::from_uuid(Uuid::from_u128(7))
}

fn received_at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

fn service(
    verifier: MockWebhookSignatureVerifier,
    store: MockEngineViewStore,
    policy: SignaturePolicy,
) -> LagoWebhookService {
    let mut clock = MockClock::new();
    clock.expect_now().returning(received_at);
    LagoWebhookService::new(
        Arc::new(verifier),
        Arc::new(store),
        organization(),
        policy,
        Arc::new(clock),
    )
}

fn idle(policy: SignaturePolicy) -> LagoWebhookService {
    service(
        MockWebhookSignatureVerifier::new(),
        MockEngineViewStore::new(),
        policy,
    )
}

fn headers(algorithm: SignatureAlgorithm) -> WebhookHeaders {
    WebhookHeaders {
        unique_key: "8d1f0c3e-6a0e-4a57-9a57-0d6f2b4c1a11".into(),
        algorithm,
        signature: "sig".into(),
    }
}

fn terminated() -> EngineEvent {
    EngineEvent {
        webhook_type: "subscription.terminated".into(),
        object: EngineObject::Subscription(EngineSubscription {
            external_id: "sub_1".into(),
            terminated_at: None,
            canceled_at: None,
            started_at: None,
        }),
    }
}

fn context() -> AuditContext {
    AuditContext {
        actor: "lago".into(),
        request_id: Some("req-1".into()),
        client_address_hash: None,
    }
}

#[test]
fn headers_must_all_be_there_and_the_algorithm_allowed() {
    let jwt_only = idle(SignaturePolicy::Jwt);
    let key = Some("8d1f0c3e-6a0e-4a57-9a57-0d6f2b4c1a11");
    let accepted = jwt_only
        .check_headers(key, Some("jwt"), Some(" sig "))
        .expect("complete headers");
    assert_eq!(accepted, headers(SignatureAlgorithm::Jwt));
    for (unique_key, algorithm, signature) in [
        (None, Some("jwt"), Some("sig")),
        (Some(""), Some("jwt"), Some("sig")),
        (Some("a\nb"), Some("jwt"), Some("sig")),
        (key, None, Some("sig")),
        (key, Some("JWT"), Some("sig")),
        (key, Some("rsa"), Some("sig")),
        (key, Some("jwt"), None),
        (key, Some("jwt"), Some("  ")),
        // Allowed by Lago, refused by this policy.
        (key, Some("hmac"), Some("sig")),
    ] {
        assert!(
            matches!(
                jwt_only.check_headers(unique_key, algorithm, signature),
                Err(AppError::Unauthorized)
            ),
            "{unique_key:?} {algorithm:?} {signature:?}"
        );
    }
    let long = "k".repeat(256);
    assert!(
        jwt_only
            .check_headers(Some(&long), Some("jwt"), Some("sig"))
            .is_err()
    );
    let either = idle(SignaturePolicy::Either);
    for algorithm in ["jwt", "hmac"] {
        assert!(
            either
                .check_headers(key, Some(algorithm), Some("sig"))
                .is_ok()
        );
    }
    assert!(
        idle(SignaturePolicy::Hmac)
            .check_headers(key, Some("jwt"), Some("sig"))
            .is_err()
    );
}

#[tokio::test]
async fn the_verifier_decides_and_its_failures_keep_their_meaning() {
    let mut verifier = MockWebhookSignatureVerifier::new();
    verifier
        .expect_verify()
        .withf(|algorithm, signature, body| {
            *algorithm == SignatureAlgorithm::Hmac && signature == "sig" && body == b"{}"
        })
        .times(1)
        .returning(|_, _, _| Ok(()));
    verifier
        .expect_verify()
        .withf(|_, _, body| body == b"tampered")
        .times(1)
        .returning(|_, _, _| Err(SignatureError::Invalid("mismatch".into())));
    verifier
        .expect_verify()
        .withf(|_, _, body| body == b"later")
        .times(1)
        .returning(|_, _, _| {
            Err(SignatureError::Unavailable {
                service: "lago",
                reason: "down".into(),
            })
        });
    let service = service(
        verifier,
        MockEngineViewStore::new(),
        SignaturePolicy::Either,
    );
    let headers = headers(SignatureAlgorithm::Hmac);

    assert!(service.authenticate(&headers, b"{}").await.is_ok());
    assert!(matches!(
        service.authenticate(&headers, b"tampered").await,
        Err(AppError::Unauthorized)
    ));
    assert!(matches!(
        service.authenticate(&headers, b"later").await,
        Err(AppError::Port(PortError::Unavailable {
            service: "lago",
            ..
        }))
    ));
}

#[tokio::test]
async fn a_webhook_is_stored_with_its_receipt_update_and_audit_entry() {
    let mut store = MockEngineViewStore::new();
    store
        .expect_apply()
        .withf(|receipt, update, audit| {
            *receipt
                == WebhookReceipt {
                    unique_key: "8d1f0c3e-6a0e-4a57-9a57-0d6f2b4c1a11".into(),
                    organization: organization(),
                    webhook_type: "subscription.terminated".into(),
                    object_id: Some("sub_1".into()),
                    received_at: received_at(),
                }
                && *update == terminated().view_update(received_at())
                && matches!(update, ViewUpdate::Subscription(change) if change.at == received_at())
                && audit.action == "billing.lago_webhook"
                && audit.target.as_deref() == Some("subscription.terminated sub_1")
                && audit.context.actor == "lago"
        })
        .times(1)
        .returning(|_, _, _| Ok(ViewOutcome::UnknownSubscription));
    let service = service(
        MockWebhookSignatureVerifier::new(),
        store,
        SignaturePolicy::Jwt,
    );
    let outcome = service
        .apply(&headers(SignatureAlgorithm::Jwt), &terminated(), &context())
        .await
        .expect("stored");
    assert_eq!(outcome, ViewOutcome::UnknownSubscription);
}

#[tokio::test]
async fn a_store_failure_reaches_the_caller() {
    let mut store = MockEngineViewStore::new();
    store
        .expect_apply()
        .times(1)
        .returning(|_, _, _| Err(PortError::unavailable("postgres", "down")));
    let service = service(
        MockWebhookSignatureVerifier::new(),
        store,
        SignaturePolicy::Jwt,
    );
    let result = service
        .apply(&headers(SignatureAlgorithm::Jwt), &terminated(), &context())
        .await;
    assert!(matches!(
        result,
        Err(AppError::Port(PortError::Unavailable { .. }))
    ));
}
