//! With an engine: changes take turns under their lock, and what the engine did is undone or
//! stored when the store fails or loses a race afterwards.

use super::*;

fn stored(organization: OrganizationId, new: &NewSubscription) -> SubscriptionRecord {
    SubscriptionRecord {
        id: new.id,
        organization,
        customer_id: new.customer_id,
        external_id: new.external_id.clone(),
        stored_status: new.status,
        subscription: new.subscription.clone(),
        plan_codes: BTreeMap::new(),
        invoiced_through: new.subscription.started_at(),
        created_at: april(11),
        updated_at: april(11),
    }
}

fn down() -> PortError {
    PortError::unavailable("postgres", "connection lost")
}

/// An engine that creates the subscription, remembers its external id and expects that id
/// terminated `terminations` times (failing to when `fails`).
fn creating_engine(
    terminations: usize,
    fails: bool,
) -> (MockBillingEngine, Arc<std::sync::Mutex<String>>) {
    let created = Arc::new(std::sync::Mutex::new(String::new()));
    let mut engine = engine_with_plan_codes();
    engine.expect_name().return_const("lago");
    engine.expect_apply_subscription().times(1).returning({
        let created = Arc::clone(&created);
        move |sync| {
            *created.lock().unwrap() = sync.external_id.clone();
            Ok(())
        }
    });
    engine
        .expect_terminate_subscription()
        .withf({
            let created = Arc::clone(&created);
            move |external_id| *created.lock().unwrap() == external_id
        })
        .times(terminations)
        .returning(move |_| if fails { Err(down()) } else { Ok(()) });
    (engine, created)
}

#[tokio::test]
async fn a_creation_is_locked_per_customer_before_the_live_check() {
    let world = World::new();
    let mut sequence = mockall::Sequence::new();
    let mut store = MockSubscriptionStore::new();
    let customer = world.customer_id;
    store
        .expect_lock_customer()
        .withf(move |_, id| *id == customer)
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_, _| Ok(ChangeLock::new(())));
    store
        .expect_list()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_, _, _, _| Ok(vec![]));
    store
        .expect_create()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|organization, new, _| Ok(Ok(stored(organization, new))));
    let (engine, _) = creating_engine(0, false);
    let service = world.service(store, Some(engine));
    let request = world.request("pro");
    assert!(
        service
            .create(world.organization, request, &AuditContext::default())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_creation_the_store_refuses_is_terminated_in_the_engine() {
    let world = World::new();
    let mut store = unlocked_store();
    store.expect_list().returning(|_, _, _, _| Ok(vec![]));
    store
        .expect_create()
        .times(1)
        .returning(|_, _, _| Ok(Err(SubscriptionConflict::LiveSubscriptionExists)));
    let (engine, created) = creating_engine(1, false);
    let service = world.service(store, Some(engine));
    let error = service
        .create(
            world.organization,
            world.request("pro"),
            &AuditContext::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&error), "subscription_exists");
    assert!(!created.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_creation_whose_store_fails_is_terminated_even_if_terminating_fails() {
    let world = World::new();
    for terminating_fails in [false, true] {
        let mut store = unlocked_store();
        store.expect_list().returning(|_, _, _, _| Ok(vec![]));
        store
            .expect_create()
            .times(1)
            .returning(|_, _, _| Err(down()));
        // Not stored after all.
        store.expect_get().times(1).returning(|_, _| Ok(None));
        let (engine, _) = creating_engine(1, terminating_fails);
        let service = world.service(store, Some(engine));
        let error = service
            .create(
                world.organization,
                world.request("pro"),
                &AuditContext::default(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                AppError::Port(PortError::Unavailable {
                    service: "postgres",
                    ..
                })
            ),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn a_creation_stored_despite_a_failed_answer_is_kept() {
    let world = World::new();
    let mut store = unlocked_store();
    store.expect_list().returning(|_, _, _, _| Ok(vec![]));
    let committed = Arc::new(std::sync::Mutex::new(None));
    store.expect_create().times(1).returning({
        let committed = Arc::clone(&committed);
        move |organization, new, _| {
            *committed.lock().unwrap() = Some(stored(organization, new));
            Err(down())
        }
    });
    store.expect_get().times(1).returning({
        let committed = Arc::clone(&committed);
        move |_, _| Ok(committed.lock().unwrap().clone())
    });
    let (engine, _) = creating_engine(0, false);
    let service = world.service(store, Some(engine));
    let created = service
        .create(
            world.organization,
            world.request("pro"),
            &AuditContext::default(),
        )
        .await
        .unwrap();
    assert_eq!(Some(created), committed.lock().unwrap().clone());
}

#[tokio::test]
async fn a_taken_external_id_is_not_terminated_in_the_engine() {
    let world = World::new();
    let mut store = unlocked_store();
    store.expect_list().returning(|_, _, _, _| Ok(vec![]));
    store
        .expect_create()
        .returning(|_, _, _| Ok(Err(SubscriptionConflict::ExternalIdTaken)));
    // The id is another subscription's, which Tollgate holds: ending it would end that one.
    let (engine, _) = creating_engine(0, false);
    let service = world.service(store, Some(engine));
    let mut request = world.request("pro");
    request.external_id = Some("sub_1".to_owned());
    let error = service
        .create(world.organization, request, &AuditContext::default())
        .await
        .unwrap_err();
    assert_eq!(code(&error), "external_id_taken");
}

#[tokio::test]
async fn a_plan_change_reads_pushes_and_stores_under_the_subscription_lock() {
    let world = World::new();
    let mut sequence = mockall::Sequence::new();
    let mut store = MockSubscriptionStore::new();
    let mut engine = engine_with_plan_codes();
    let (id, record) = (world.subscription.id, world.subscription.clone());
    store
        .expect_lock_subscription()
        .withf(move |_, locked| *locked == id)
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_, _| Ok(ChangeLock::new(())));
    store
        .expect_get()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(move |_, _| Ok(Some(record.clone())));
    engine
        .expect_apply_subscription()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_| Ok(()));
    let record = world.subscription.clone();
    store
        .expect_change()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(move |_, _, _, _, _| Ok(Some(record.clone())));
    let service = world.service(store, Some(engine));
    let pro = PlanCode::parse("pro").unwrap();
    let context = AuditContext::default();
    assert!(
        service
            .upgrade(world.organization, id, &pro, &context)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn a_plan_change_outraced_by_a_status_update_is_stored_on_the_fresh_record() {
    let world = World::new();
    let (id, read_at) = (world.subscription.id, world.subscription.updated_at);
    let mut fresh = world.subscription.clone();
    fresh.updated_at = april(10);
    let mut store = unlocked_store();
    let mut reads = vec![fresh, world.subscription.clone()];
    store
        .expect_get()
        .times(2)
        .returning(move |_, _| Ok(reads.pop()));
    store
        .expect_change()
        .withf(move |_, _, read, _, _| *read == read_at)
        .times(1)
        .returning(|_, _, _, _, _| Ok(None));
    let record = world.subscription.clone();
    store
        .expect_change()
        .withf(|_, _, read, _, _| *read == april(10))
        .times(1)
        .returning(move |_, _, _, _, _| Ok(Some(record.clone())));
    let mut engine = engine_with_plan_codes();
    engine
        .expect_apply_subscription()
        .times(1)
        .returning(|_| Ok(()));
    let service = world.service(store, Some(engine));
    let pro = PlanCode::parse("pro").unwrap();
    let context = AuditContext::default();
    assert!(
        service
            .upgrade(world.organization, id, &pro, &context)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn terminating_after_the_engines_webhook_terminated_it_is_done() {
    let world = World::new();
    let id = world.subscription.id;
    let mut terminated = world.subscription.clone();
    terminated.stored_status = SubscriptionStatus::Terminated;
    terminated.updated_at = april(11);
    let mut store = unlocked_store();
    let mut reads = vec![terminated.clone(), world.subscription.clone()];
    store
        .expect_get()
        .times(2)
        .returning(move |_, _| Ok(reads.pop()));
    // The webhook committed between the engine's answer and this store.
    store
        .expect_change()
        .times(1)
        .returning(|_, _, _, _, _| Ok(None));
    let mut engine = MockBillingEngine::new();
    engine
        .expect_terminate_subscription()
        .times(1)
        .returning(|_| Ok(()));
    let service = world.service(store, Some(engine));
    let answer = service
        .terminate(world.organization, id, &AuditContext::default())
        .await
        .unwrap();
    assert_eq!(answer, Some(terminated));
}
