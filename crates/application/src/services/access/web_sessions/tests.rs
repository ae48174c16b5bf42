#![allow(clippy::unwrap_used, reason = "tests")]

use chrono::TimeZone;
use mockall::predicate::always;
use tollgate_domain::{access::Role, organization::OrganizationId};

use super::*;
use crate::ports::{MockClock, MockWebSessionStore};

fn clock_at(now: DateTime<Utc>) -> Arc<dyn Clock> {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(now);
    Arc::new(clock)
}

fn holder() -> SessionHolder {
    SessionHolder {
        organization: OrganizationId::from_uuid(uuid::Uuid::nil()),
        subject: "dev-owner".into(),
        role: Role::Owner,
        customer: None,
    }
}

#[tokio::test]
async fn a_session_id_is_random_and_only_its_digest_is_stored() {
    let now = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
    let stored = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&stored);
    let mut store = MockWebSessionStore::new();
    store
        .expect_insert()
        .times(2)
        .returning(move |digest, _, _, at, entry| {
            assert_eq!(at, now);
            assert_eq!(entry.action, "session.start");
            seen.lock().unwrap().push(*digest);
            Ok(())
        });
    let service = WebSessionService::new(Arc::new(store), clock_at(now), SessionPolicy::default());
    let context = AuditContext::default();
    let first = service
        .start(&holder(), SignInMethod::Token, &context)
        .await
        .unwrap();
    let second = service
        .start(&holder(), SignInMethod::Token, &context)
        .await
        .unwrap();
    assert_eq!(first.len(), 64, "256 bits, hex");
    assert_ne!(first, second);
    let digests = stored.lock().unwrap().clone();
    assert_eq!(digests, vec![digest(&first), digest(&second)]);
    assert_ne!(digests[0].to_vec(), first.as_bytes()[..32].to_vec());
}

#[tokio::test]
async fn resuming_asks_for_a_session_neither_idle_for_30_minutes_nor_older_than_12_hours() {
    let now = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
    let mut store = MockWebSessionStore::new();
    store
        .expect_touch()
        .withf(move |digest, at, idle_since, begun_after| {
            *digest == super::digest("abc")
                && *at == now
                && *idle_since == now - TimeDelta::minutes(30)
                && *begun_after == now - TimeDelta::hours(12)
        })
        .returning(|_, _, _, _| Ok(None));
    let service = WebSessionService::new(Arc::new(store), clock_at(now), SessionPolicy::default());
    assert_eq!(service.resume("abc").await.unwrap(), None);
}

#[tokio::test]
async fn a_link_expires_after_its_ttl_and_is_redeemed_by_its_digest() {
    let now = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
    let mut store = MockWebSessionStore::new();
    store
        .expect_insert_link()
        .withf(move |_, _, expires_at, entry| {
            *expires_at == now + TimeDelta::minutes(10) && entry.action == "session.link"
        })
        .returning(|_, _, _, _| Ok(()));
    store
        .expect_redeem_link()
        .with(always(), always())
        .returning(|_, _| Ok(Some(holder())));
    let service = WebSessionService::new(Arc::new(store), clock_at(now), SessionPolicy::default());
    let link = service
        .issue_link(&holder(), &AuditContext::default())
        .await
        .unwrap();
    assert_eq!(link.expires_at, now + TimeDelta::minutes(10));
    assert_eq!(
        service.redeem_link(&link.secret).await.unwrap(),
        Some(holder())
    );
}
