use chrono::TimeZone;
use mockall::predicate::always;

use super::*;
use crate::ports::{MockClock, MockPortalLinkStore};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap()
}

fn clock() -> Arc<MockClock> {
    let mut clock = MockClock::new();
    clock.expect_now().returning(now);
    Arc::new(clock)
}

fn code(error: AppError) -> ErrorCode {
    match error {
        AppError::Unprocessable { code, .. } => code,
        other => panic!("not a refusal: {other:?}"),
    }
}

#[tokio::test]
async fn a_link_keeps_only_the_tokens_digest_and_lives_an_hour_by_default() {
    let mut store = MockPortalLinkStore::new();
    let customer = Uuid::now_v7();
    store
        .expect_create()
        .withf(move |_, link: &NewPortalLink, audit: &AuditEntry| {
            link.customer == customer
                && link.expires_at == now() + TimeDelta::hours(1)
                && link.return_url.as_deref() == Some("https://app.example/billing")
                && audit.action == "portal_link.create"
        })
        .times(1)
        .returning(|_, _, _| Ok(true));
    let service = PortalLinkService::new(Arc::new(store), clock());
    let issued = service
        .issue(
            OrganizationId::new(),
            customer,
            Some("https://app.example/billing"),
            None,
            &AuditContext::default(),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(issued.token.starts_with(TOKEN_PREFIX));
    assert_eq!(issued.token.len(), TOKEN_PREFIX.len() + 64);
    assert_eq!(issued.expires_at, now() + TimeDelta::hours(1));
}

#[tokio::test]
async fn an_unknown_customer_gets_no_link() {
    let mut store = MockPortalLinkStore::new();
    store.expect_create().returning(|_, _, _| Ok(false));
    let service = PortalLinkService::new(Arc::new(store), clock());
    let issued = service
        .issue(
            OrganizationId::new(),
            Uuid::now_v7(),
            None,
            Some(86_400),
            &AuditContext::default(),
        )
        .await
        .unwrap();
    assert!(issued.is_none());
}

#[tokio::test]
async fn unsafe_return_urls_and_lifetimes_out_of_range_are_refused_before_anything_is_stored() {
    let mut store = MockPortalLinkStore::new();
    store.expect_create().never();
    let service = PortalLinkService::new(Arc::new(store), clock());
    let long = format!("https://app.example/{}", "a".repeat(MAX_RETURN_URL));
    for url in [
        "javascript:alert(1)",
        "http://app.example/",
        "/relative/path",
        "https://user:pw@app.example/",
        "ftp://app.example/",
        long.as_str(),
    ] {
        let error = service
            .issue(
                OrganizationId::new(),
                Uuid::now_v7(),
                Some(url),
                None,
                &AuditContext::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(code(error), ErrorCode::InvalidReturnUrl, "{url}");
    }
    for seconds in [0, 59, 86_401, -5, i64::MAX] {
        let error = service
            .issue(
                OrganizationId::new(),
                Uuid::now_v7(),
                None,
                Some(seconds),
                &AuditContext::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(code(error), ErrorCode::OutOfRange, "{seconds}");
    }
}

#[tokio::test]
async fn loopback_http_return_urls_are_allowed_for_development() {
    let mut store = MockPortalLinkStore::new();
    store.expect_create().times(3).returning(|_, _, _| Ok(true));
    let service = PortalLinkService::new(Arc::new(store), clock());
    for url in [
        "http://localhost:3000/back",
        "http://127.0.0.1/",
        "http://[::1]:8080/",
    ] {
        service
            .issue(
                OrganizationId::new(),
                Uuid::now_v7(),
                Some(url),
                None,
                &AuditContext::default(),
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn tokens_that_are_not_ours_are_not_looked_up() {
    let mut store = MockPortalLinkStore::new();
    store.expect_redeem().never();
    let service = PortalLinkService::new(Arc::new(store), clock());
    for token in ["", "tgp_short", "tg_live_0123", &"x".repeat(68)] {
        let found = service
            .redeem(token, &AuditContext::default())
            .await
            .unwrap();
        assert!(found.is_none());
    }
    let mut store = MockPortalLinkStore::new();
    store
        .expect_redeem()
        .with(always(), always(), always())
        .times(1)
        .returning(|_, _, _| Ok(None));
    let service = PortalLinkService::new(Arc::new(store), clock());
    let token = format!("{TOKEN_PREFIX}{}", "0".repeat(64));
    assert!(
        service
            .redeem(&token, &AuditContext::default())
            .await
            .unwrap()
            .is_none()
    );
}
