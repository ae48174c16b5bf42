use mockall::predicate::eq;
use uuid::Uuid;

use super::*;
use crate::{PortError, ports::MockIdempotencyStore};

fn answer(status: u16) -> StoredAnswer {
    StoredAnswer {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: b"{}".to_vec(),
    }
}

fn claimed(lease: Lease) -> MockIdempotencyStore {
    let mut store = MockIdempotencyStore::new();
    store
        .expect_begin()
        .returning(move |_, _, _, _, _| Ok(Begun::Claimed(lease)));
    store
}

async fn run(service: &IdempotencyService, organization: OrganizationId) -> Claim {
    match service
        .begin(organization, "key-1", "POST", "/api/x", b"{}")
        .await
        .unwrap()
    {
        Start::Run(claim) => claim,
        Start::Replay(_) => panic!("a first request runs"),
    }
}

#[tokio::test]
async fn a_key_is_claimed_for_the_requests_fingerprint_for_a_minute_and_kept_a_day() {
    let organization = OrganizationId::new();
    let key = RequestKey::parse("key-1").unwrap();
    let fingerprint = RequestFingerprint::of("POST", "/api/x", b"{}");
    let mut store = MockIdempotencyStore::new();
    store
        .expect_begin()
        .with(
            eq(organization),
            eq(key),
            eq(fingerprint),
            eq(Duration::from_secs(60)),
            eq(Duration::from_secs(86_400)),
        )
        .times(1)
        .returning(|_, _, _, _, _| Ok(Begun::Claimed(Lease(Uuid::nil()))));
    let service = IdempotencyService::new(Arc::new(store));
    run(&service, organization).await;
}

#[tokio::test]
async fn a_malformed_key_is_refused_before_the_store_is_asked() {
    let mut store = MockIdempotencyStore::new();
    store.expect_begin().never();
    let service = IdempotencyService::new(Arc::new(store));
    for key in ["", "é", &"k".repeat(256)] {
        let error = service
            .begin(OrganizationId::new(), key, "POST", "/api/x", b"")
            .await
            .unwrap_err();
        assert!(
            matches!(error, AppError::Unprocessable { code, .. }
                if code == ErrorCode::InvalidIdempotencyKey),
            "{key}: {error:?}"
        );
    }
}

#[tokio::test]
async fn a_replay_answers_again_and_a_key_in_use_or_reused_is_refused() {
    for (found, expected) in [
        (Begun::Replay(answer(201)), None),
        (Begun::InUse, Some(ErrorCode::IdempotencyKeyInUse)),
        (Begun::Reused, Some(ErrorCode::IdempotencyKeyReused)),
    ] {
        let mut store = MockIdempotencyStore::new();
        let given = found.clone();
        store
            .expect_begin()
            .returning(move |_, _, _, _, _| Ok(given.clone()));
        let service = IdempotencyService::new(Arc::new(store));
        let result = service
            .begin(OrganizationId::new(), "key-1", "POST", "/api/x", b"{}")
            .await;
        match (result, expected) {
            (Ok(Start::Replay(stored)), None) => assert_eq!(stored, answer(201)),
            (Err(AppError::Conflict { code, .. }), Some(expected))
            | (Err(AppError::Unprocessable { code, .. }), Some(expected)) => {
                assert_eq!(code, expected);
            }
            (other, _) => panic!("{found:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn answers_2xx_and_4xx_are_kept_and_a_5xx_lets_go_of_the_key() {
    let organization = OrganizationId::new();
    for status in [200, 201, 404, 422] {
        let lease = Lease(Uuid::new_v4());
        let mut store = claimed(lease);
        store
            .expect_complete()
            .withf(move |org, key, held, kept| {
                *org == organization
                    && key.as_str() == "key-1"
                    && *held == lease
                    && kept.status == status
            })
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        store.expect_abandon().never();
        let service = IdempotencyService::new(Arc::new(store));
        let claim = run(&service, organization).await;
        service.finish(claim, &answer(status)).await;
    }
    for status in [500, 503] {
        let lease = Lease(Uuid::new_v4());
        let mut store = claimed(lease);
        store.expect_complete().never();
        store
            .expect_abandon()
            .with(
                eq(organization),
                eq(RequestKey::parse("key-1").unwrap()),
                eq(lease),
            )
            .times(1)
            .returning(|_, _, _| Ok(()));
        let service = IdempotencyService::new(Arc::new(store));
        let claim = run(&service, organization).await;
        service.finish(claim, &answer(status)).await;
    }
}

#[tokio::test]
async fn a_store_failing_to_keep_the_answer_does_not_change_it() {
    let mut store = claimed(Lease(Uuid::new_v4()));
    store
        .expect_complete()
        .times(1)
        .returning(|_, _, _, _| Err(PortError::unavailable("postgres", "down")));
    let service = IdempotencyService::new(Arc::new(store));
    let claim = run(&service, OrganizationId::new()).await;
    // Nothing to answer: the request's own answer goes out as it is.
    service.finish(claim, &answer(201)).await;
}

#[tokio::test]
async fn a_request_that_did_not_answer_lets_go_of_its_key() {
    let lease = Lease(Uuid::new_v4());
    let mut store = claimed(lease);
    store
        .expect_abandon()
        .withf(move |_, _, held| *held == lease)
        .times(1)
        .returning(|_, _, _| Ok(()));
    let service = IdempotencyService::new(Arc::new(store));
    let claim = run(&service, OrganizationId::new()).await;
    service.abandon(claim).await;
}
