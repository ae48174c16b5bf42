//! Upgrades, downgrades and termination.

use super::*;

#[tokio::test]
async fn an_upgrade_is_pushed_then_stored_from_now() {
    let world = World::new();
    let pro = world.plans[1].current.reference();
    let mut engine = engine_with_plan_codes();
    engine
        .expect_apply_subscription()
        .withf(|sync| {
            sync.kind == SubscriptionChangeKind::Upgrade
                && sync.external_id == "sub_1"
                && sync.plan_engine_code == "pro__v2"
                && sync.starts_at == april(11)
        })
        .times(1)
        .returning(|_| Ok(()));
    let mut store = world.subscription_store();
    let read_at = world.subscription.updated_at;
    store
        .expect_change()
        .withf(move |_, _, read, change, audit| {
            *read == read_at
                && change.from == april(11)
                && change.next == Some((pro, PhaseReason::Upgrade))
                && !change.terminate
                && audit.action == "subscription.upgrade"
        })
        .times(1)
        .returning({
            let record = world.subscription.clone();
            move |_, _, _, _, _| Ok(Some(record.clone()))
        });
    let service = world.service(store, Some(engine));
    let code_pro = PlanCode::parse("pro").unwrap();
    assert!(
        service
            .upgrade(
                world.organization,
                world.subscription.id,
                &code_pro,
                &AuditContext::default()
            )
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn a_downgrade_is_stored_for_the_end_of_the_period() {
    let world = World::new();
    let mut store = world.subscription_store();
    store
        .expect_change()
        .withf(|_, _, _, change, audit| {
            change.from == Utc.with_ymd_and_hms(2025, 5, 1, 0, 0, 0).unwrap()
                && change.next.map(|(_, reason)| reason) == Some(PhaseReason::Downgrade)
                && audit.action == "subscription.downgrade"
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(None));
    let service = world.service(store, None);
    let error = service
        .downgrade(
            world.organization,
            world.subscription.id,
            &PlanCode::parse("pro").unwrap(),
            &AuditContext::default(),
        )
        .await
        .unwrap_err();
    // The store found the subscription changed since it was read.
    assert_eq!(code(&error), "subscription_changed");
}

#[tokio::test]
async fn plan_changes_are_refused_with_their_codes() {
    let world = World::new();
    let mut store = world.subscription_store();
    store.expect_change().times(0);
    let service = world.service(store, Some(MockBillingEngine::new()));
    let id = world.subscription.id;
    let context = AuditContext::default();
    let upgrade = |plan: &'static str| {
        let plan = PlanCode::parse(plan).unwrap();
        let service = &service;
        let context = &context;
        let organization = world.organization;
        async move { service.upgrade(organization, id, &plan, context).await }
    };
    assert_eq!(code(&upgrade("basic").await.unwrap_err()), "same_plan");
    assert_eq!(
        code(&upgrade("euro").await.unwrap_err()),
        "currency_mismatch"
    );
    assert_eq!(code(&upgrade("gold").await.unwrap_err()), "unknown_plan");
    let missing = service
        .upgrade(
            world.organization,
            Uuid::now_v7(),
            &PlanCode::parse("pro").unwrap(),
            &context,
        )
        .await
        .unwrap();
    assert!(missing.is_none());
}

#[tokio::test]
async fn a_terminated_subscription_refuses_every_change() {
    let mut world = World::new();
    world.subscription.subscription.terminate(april(5)).unwrap();
    world.subscription.stored_status = SubscriptionStatus::Terminated;
    let mut store = world.subscription_store();
    store.expect_change().times(0);
    let service = world.service(store, None);
    let (organization, id, context) = (
        world.organization,
        world.subscription.id,
        AuditContext::default(),
    );
    let error = service
        .terminate(organization, id, &context)
        .await
        .unwrap_err();
    assert_eq!(code(&error), "subscription_terminated");
    let pro = PlanCode::parse("pro").unwrap();
    let error = service
        .downgrade(organization, id, &pro, &context)
        .await
        .unwrap_err();
    assert_eq!(code(&error), "subscription_terminated");
}

#[tokio::test]
async fn terminating_ends_the_running_phase_now() {
    let world = World::new();
    let mut store = world.subscription_store();
    store
        .expect_change()
        .withf(|_, _, _, change, audit| {
            change.from == april(11)
                && change.terminate
                && change.next.is_none()
                && change.status == SubscriptionStatus::Terminated
                && audit.action == "subscription.terminate"
        })
        .times(1)
        .returning({
            let record = world.subscription.clone();
            move |_, _, _, _, _| Ok(Some(record.clone()))
        });
    let mut engine = MockBillingEngine::new();
    engine
        .expect_terminate_subscription()
        .withf(|external_id| external_id == "sub_1")
        .times(1)
        .returning(|_| Ok(()));
    let service = world.service(store, Some(engine));
    assert!(
        service
            .terminate(
                world.organization,
                world.subscription.id,
                &AuditContext::default()
            )
            .await
            .unwrap()
            .is_some()
    );
}
