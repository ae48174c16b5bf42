use std::collections::BTreeMap;

use chrono::{TimeDelta, TimeZone, Utc};
use rust_decimal::Decimal;
use tollgate_domain::{
    billing::{
        BaseFee, BillingEmail, Currency, Customer, FeeTiming, Interval, Money, NewPlan,
        PhaseReason, Plan, SubscriptionStatus,
    },
    usage::CustomerId,
};

use super::*;
use crate::{
    PortError,
    ports::{
        ChangeLock, CustomerRecord, MockBillingEngine, MockClock, MockCustomerStore, MockPlanStore,
        MockSubscriptionStore, PlanDraft, PlanVersionRecord,
    },
};

mod changes;
mod engine_races;

fn april(day: u32) -> DateTime<chrono::Utc> {
    Utc.with_ymd_and_hms(2025, 4, day, 0, 0, 0).unwrap()
}

fn plan_record(
    organization: OrganizationId,
    id: Uuid,
    code: &str,
    currency: Currency,
) -> PlanRecord {
    let plan = Plan::new(NewPlan {
        code: PlanCode::parse(code).unwrap(),
        interval: Interval::Monthly,
        currency,
        base_fee: Some(
            BaseFee::new(Money::new(Decimal::TEN, currency), FeeTiming::Advance).unwrap(),
        ),
        trial_days: 0,
        charges: vec![],
        minimum_commitment: None,
    })
    .unwrap();
    PlanRecord {
        id,
        organization,
        current: PlanVersionRecord {
            plan_id: id,
            version: 2,
            draft: PlanDraft {
                plan,
                name: code.to_owned(),
                description: None,
            },
            created_at: april(1),
        },
        created_at: april(1),
        updated_at: april(1),
        archived_at: None,
    }
}

/// One organization with a USD customer, plans `basic`, `pro` (USD) and `euro` (EUR), a
/// clock on April 11th 2025, and a subscription on `basic` since April 1st.
struct World {
    organization: OrganizationId,
    customer_id: Uuid,
    basic: PlanRecord,
    plans: Vec<PlanRecord>,
    subscription: SubscriptionRecord,
}

impl World {
    fn new() -> Self {
        let organization = OrganizationId::new();
        let plans: Vec<_> = [
            ("basic", Currency::USD),
            ("pro", Currency::USD),
            ("euro", Currency::EUR),
        ]
        .into_iter()
        .map(|(code, currency)| plan_record(organization, Uuid::now_v7(), code, currency))
        .collect();
        let basic = plans[0].clone();
        let customer_id = Uuid::now_v7();
        let subscription = SubscriptionRecord {
            id: Uuid::now_v7(),
            organization,
            customer_id,
            external_id: "sub_1".to_owned(),
            stored_status: SubscriptionStatus::Active,
            subscription: Subscription::start(
                basic.current.reference(),
                &basic.current.draft.plan,
                april(1),
            ),
            plan_codes: BTreeMap::from([(basic.id, "basic".to_owned())]),
            invoiced_through: april(1),
            created_at: april(1),
            updated_at: april(1),
        };
        Self {
            organization,
            customer_id,
            basic,
            plans,
            subscription,
        }
    }

    fn plan_store(&self) -> MockPlanStore {
        let mut store = MockPlanStore::new();
        let plans = self.plans.clone();
        store.expect_get_by_code().returning(move |_, code| {
            Ok(plans
                .iter()
                .find(|p| p.current.draft.plan.code() == code)
                .cloned())
        });
        let basic = self.basic.current.clone();
        store
            .expect_version()
            .returning(move |_, version| Ok((version == basic.reference()).then(|| basic.clone())));
        store
    }

    fn customer_store(&self) -> MockCustomerStore {
        let mut store = MockCustomerStore::new();
        let known = self.customer_id;
        store.expect_get().returning(move |organization, id| {
            Ok((id == known).then(|| CustomerRecord {
                id,
                organization,
                customer: Customer::new(
                    CustomerId::parse("cust_42").unwrap(),
                    "Acme",
                    BillingEmail::parse("billing@acme.example").unwrap(),
                    Currency::USD,
                )
                .unwrap(),
                created_at: april(1),
                updated_at: april(1),
            }))
        });
        store
    }

    /// A subscription store holding the world's subscription.
    fn subscription_store(&self) -> MockSubscriptionStore {
        let mut store = unlocked_store();
        let record = self.subscription.clone();
        store
            .expect_get()
            .returning(move |_, id| Ok((id == record.id).then(|| record.clone())));
        store
    }

    fn service(
        &self,
        subscriptions: MockSubscriptionStore,
        engine: Option<MockBillingEngine>,
    ) -> SubscriptionService {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(april(11));
        SubscriptionService::new(
            Arc::new(subscriptions),
            Arc::new(self.plan_store()),
            Arc::new(self.customer_store()),
            engine.map(|engine| Arc::new(engine) as Arc<dyn BillingEngine>),
            Arc::new(clock),
        )
    }

    fn request(&self, plan: &str) -> SubscriptionRequest {
        SubscriptionRequest {
            customer_id: self.customer_id,
            plan_code: PlanCode::parse(plan).unwrap(),
            external_id: None,
            starts_at: None,
        }
    }
}

fn code(error: &AppError) -> &'static str {
    match error {
        AppError::Conflict { code, .. } | AppError::Unprocessable { code, .. } => code.as_str(),
        AppError::Invalid(domain) => domain.code().as_str(),
        _ => "other",
    }
}

fn engine_with_plan_codes() -> MockBillingEngine {
    let mut engine = MockBillingEngine::new();
    engine
        .expect_plan_engine_code()
        .returning(|code, version| format!("{code}__v{version}"));
    engine
}

/// A store whose locks are free.
fn unlocked_store() -> MockSubscriptionStore {
    let mut store = MockSubscriptionStore::new();
    store
        .expect_lock_customer()
        .returning(|_, _| Ok(ChangeLock::new(())));
    store
        .expect_lock_subscription()
        .returning(|_, _| Ok(ChangeLock::new(())));
    store
}

/// A store that must not be written to: no live subscription for anyone.
fn empty_store() -> MockSubscriptionStore {
    let mut store = unlocked_store();
    store.expect_list().returning(|_, _, _, _| Ok(vec![]));
    store.expect_create().times(0);
    store.expect_change().times(0);
    store
}

#[tokio::test]
async fn a_subscription_starts_now_on_the_current_version_with_its_id_as_external_id() {
    let world = World::new();
    let mut store = MockSubscriptionStore::new();
    store.expect_list().returning(|_, _, _, _| Ok(vec![]));
    let pro = world.plans[1].current.reference();
    store
        .expect_create()
        .withf(move |_, new, audit| {
            new.external_id == new.id.to_string()
                && new.status == SubscriptionStatus::Active
                && new.subscription.started_at() == april(11)
                && new.subscription.phases()[0].plan == pro
                && audit.action == "subscription.create"
                && audit.target == Some(format!("subscription:{}", new.id))
        })
        .times(1)
        .returning(|organization, new, _| {
            Ok(Ok(SubscriptionRecord {
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
            }))
        });
    let service = world.service(store, None);
    let created = service
        .create(
            world.organization,
            world.request("pro"),
            &AuditContext::default(),
        )
        .await
        .unwrap();
    assert_eq!(created.customer_id, world.customer_id);
}

#[tokio::test]
async fn bad_requests_get_their_code_and_write_nothing() {
    let world = World::new();
    let service = world.service(empty_store(), None);
    let context = AuditContext::default();
    let create = |request| service.create(world.organization, request, &context);

    let mut stranger = world.request("pro");
    stranger.customer_id = Uuid::now_v7();
    assert_eq!(
        code(&create(stranger).await.unwrap_err()),
        "unknown_customer"
    );
    assert_eq!(
        code(&create(world.request("gold")).await.unwrap_err()),
        "unknown_plan"
    );
    assert_eq!(
        code(&create(world.request("euro")).await.unwrap_err()),
        "currency_mismatch"
    );
    // Today is April 11th: a year and two days back is past the default bound.
    let mut too_old = world.request("pro");
    too_old.starts_at = Some(april(9) - TimeDelta::days(366));
    assert_eq!(code(&create(too_old).await.unwrap_err()), "invalid_value");
    let mut blank = world.request("pro");
    blank.external_id = Some("  ".to_owned());
    assert_eq!(code(&create(blank).await.unwrap_err()), "empty_value");
}

#[tokio::test]
async fn a_customer_with_a_live_subscription_gets_a_conflict() {
    let world = World::new();
    let mut store = unlocked_store();
    let live = world.subscription.clone();
    store
        .expect_list()
        .returning(move |_, _, _, _| Ok(vec![live.clone()]));
    store.expect_create().times(0);
    let service = world.service(store, Some(MockBillingEngine::new()));
    let error = service
        .create(
            world.organization,
            world.request("pro"),
            &AuditContext::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&error), "subscription_exists");

    // The store's constraint answers a race the same way.
    let mut racing = MockSubscriptionStore::new();
    racing.expect_list().returning(|_, _, _, _| Ok(vec![]));
    racing
        .expect_create()
        .returning(|_, _, _| Ok(Err(SubscriptionConflict::LiveSubscriptionExists)));
    let service = world.service(racing, None);
    let error = service
        .create(
            world.organization,
            world.request("pro"),
            &AuditContext::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&error), "subscription_exists");
}

#[tokio::test]
async fn nothing_is_stored_when_the_engine_refuses_or_is_down() {
    let world = World::new();
    for failure in ["refused", "down"] {
        let mut engine = engine_with_plan_codes();
        engine
            .expect_apply_subscription()
            .withf(|sync| {
                sync.kind == SubscriptionChangeKind::Create
                    && sync.plan_engine_code == "pro__v2"
                    && sync.external_customer_id == "cust_42"
            })
            .times(1)
            .returning(move |_| {
                Err(if failure == "refused" {
                    PortError::Refused {
                        service: "lago",
                        reason: "no".to_owned(),
                    }
                } else {
                    PortError::unavailable("lago", "timeout")
                })
            });
        let service = world.service(empty_store(), Some(engine));
        let error = service
            .create(
                world.organization,
                world.request("pro"),
                &AuditContext::default(),
            )
            .await
            .unwrap_err();
        assert!(matches!(error, AppError::Port(_)));
    }
    let mut engine = engine_with_plan_codes();
    engine
        .expect_terminate_subscription()
        .times(1)
        .returning(|_| Err(PortError::unavailable("lago", "timeout")));
    let mut store = world.subscription_store();
    store.expect_change().times(0);
    let service = world.service(store, Some(engine));
    let error = service
        .terminate(
            world.organization,
            world.subscription.id,
            &AuditContext::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        AppError::Port(PortError::Unavailable { .. })
    ));
}

#[tokio::test]
async fn a_backdated_subscription_is_stored_active_sent_with_its_past_start_and_audited_as_such() {
    let world = World::new();
    let started = april(11) - TimeDelta::days(40);
    let mut store = unlocked_store();
    store.expect_list().returning(|_, _, _, _| Ok(vec![]));
    store
        .expect_create()
        .withf(move |_, new, audit| {
            new.status == SubscriptionStatus::Active
                && new.subscription.started_at() == started
                && audit.action == "subscription.create_backdated"
        })
        .times(1)
        .returning(|organization, new, _| {
            Ok(Ok(SubscriptionRecord {
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
            }))
        });
    let mut engine = engine_with_plan_codes();
    engine
        .expect_apply_subscription()
        .withf(move |sync| sync.starts_at == started)
        .times(1)
        .returning(|_| Ok(()));
    let service = world.service(store, Some(engine));
    let mut request = world.request("pro");
    request.starts_at = Some(started);
    let created = service
        .create(world.organization, request, &AuditContext::default())
        .await
        .unwrap();
    assert_eq!(created.invoiced_through, started);

    // A tighter bound refuses the same start.
    let service = world
        .service(empty_store(), None)
        .with_max_backdate(TimeDelta::days(30));
    let mut request = world.request("pro");
    request.starts_at = Some(started);
    let error = service
        .create(world.organization, request, &AuditContext::default())
        .await
        .unwrap_err();
    assert_eq!(code(&error), "invalid_value");
    assert!(error.to_string().contains("30 days"), "{error}");
}

#[tokio::test]
async fn a_backdated_start_inside_the_previous_subscription_is_refused() {
    let world = World::new();
    let mut ended = world.subscription.clone();
    ended.stored_status = SubscriptionStatus::Terminated;
    let mut subscription = ended.subscription.clone();
    subscription.terminate(april(5)).unwrap();
    ended.subscription = subscription;
    let mut store = unlocked_store();
    store
        .expect_list()
        .returning(move |_, _, _, _| Ok(vec![ended.clone()]));
    store.expect_create().times(0);
    let service = world.service(store, None);
    let mut request = world.request("pro");
    request.starts_at = Some(april(4));
    let error = service
        .create(world.organization, request, &AuditContext::default())
        .await
        .unwrap_err();
    assert_eq!(code(&error), "overlaps_previous_subscription");
}
