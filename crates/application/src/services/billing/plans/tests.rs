use chrono::Utc;
use mockall::predicate::eq;
use rust_decimal::Decimal;
use tollgate_domain::ErrorCode;
use tollgate_domain::billing::{
    BaseFee, Currency, FeeTiming, Interval, Money, NewPlan, Plan, PlanCode,
};

use super::*;
use crate::{
    PortError,
    ports::{ChangeLock, MockBillingEngine, MockPlanStore},
};

fn plan(code: &str, fee: i64, currency: Currency, interval: Interval) -> Plan {
    Plan::new(NewPlan {
        code: PlanCode::parse(code).unwrap(),
        interval,
        currency,
        base_fee: Some(
            BaseFee::new(Money::new(Decimal::from(fee), currency), FeeTiming::Advance).unwrap(),
        ),
        trial_days: 0,
        charges: vec![],
        minimum_commitment: None,
    })
    .unwrap()
}

fn draft(plan: Plan) -> PlanDraft {
    PlanDraft {
        plan,
        name: "Pro".to_owned(),
        description: None,
    }
}

fn record(organization: OrganizationId, id: Uuid, version: u32, draft: PlanDraft) -> PlanRecord {
    PlanRecord {
        id,
        organization,
        current: PlanVersionRecord {
            plan_id: id,
            version,
            draft,
            created_at: Utc::now(),
        },
        created_at: Utc::now(),
        updated_at: Utc::now(),
        archived_at: None,
    }
}

fn pro() -> PlanDraft {
    draft(plan("pro", 49, Currency::USD, Interval::Monthly))
}

fn store_without_plans() -> MockPlanStore {
    let mut store = MockPlanStore::new();
    store.expect_get_by_code().returning(|_, _| Ok(None));
    store
        .expect_lock_code()
        .returning(|_, _| Ok(ChangeLock::new(())));
    store
}

#[tokio::test]
async fn a_new_plan_is_stored_as_version_one_with_its_audit_record() {
    let organization = OrganizationId::new();
    let mut store = store_without_plans();
    store
        .expect_create()
        .withf(|_, id, draft, audit| {
            draft.plan.code().as_str() == "pro"
                && audit.action == "plan.create"
                && audit.target == Some(format!("plan:{id}"))
        })
        .times(1)
        .returning(|organization, id, draft, _| {
            Ok(Some(record(organization, id, 1, draft.clone())))
        });
    let service = PlanService::new(Arc::new(store), None);
    let created = service
        .create(organization, pro(), &AuditContext::default())
        .await
        .unwrap();
    assert_eq!(created.current.version, 1);
    assert_eq!(created.organization, organization);
}

#[tokio::test]
async fn a_taken_code_is_a_conflict_before_the_engine_hears_of_it() {
    let organization = OrganizationId::new();
    let mut store = MockPlanStore::new();
    store
        .expect_lock_code()
        .returning(|_, _| Ok(ChangeLock::new(())));
    store
        .expect_get_by_code()
        .returning(|organization, _| Ok(Some(record(organization, Uuid::now_v7(), 1, pro()))));
    store.expect_create().times(0);
    let mut engine = MockBillingEngine::new();
    engine.expect_upsert_plan().times(0);
    let service = PlanService::new(Arc::new(store), Some(Arc::new(engine)));
    let error = service
        .create(organization, pro(), &AuditContext::default())
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        AppError::Conflict {
            code: ErrorCode::PlanExists,
            ..
        }
    ));

    // The store's own answer to a race says the same.
    let mut racing = store_without_plans();
    racing.expect_create().returning(|_, _, _, _| Ok(None));
    let service = PlanService::new(Arc::new(racing), None);
    let error = service
        .create(organization, pro(), &AuditContext::default())
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        AppError::Conflict {
            code: ErrorCode::PlanExists,
            ..
        }
    ));
}

#[tokio::test]
async fn the_engine_gets_the_version_first_and_nothing_is_stored_when_it_refuses_or_is_down() {
    let organization = OrganizationId::new();
    for failure in [
        PortError::Refused {
            service: "lago",
            reason: "code taken".to_owned(),
        },
        PortError::unavailable("lago", "timeout"),
    ] {
        let mut store = store_without_plans();
        store.expect_create().times(0);
        let mut engine = MockBillingEngine::new();
        let mut failure = Some(failure);
        engine
            .expect_upsert_plan()
            .times(1)
            .returning(move |_| Err(failure.take().unwrap()));
        let service = PlanService::new(Arc::new(store), Some(Arc::new(engine)));
        let error = service
            .create(organization, pro(), &AuditContext::default())
            .await
            .unwrap_err();
        assert!(matches!(error, AppError::Port(_)), "{error:?}");
    }

    let mut sequence = mockall::Sequence::new();
    let mut engine = MockBillingEngine::new();
    engine
        .expect_upsert_plan()
        .withf(|sync| sync.version == 1 && sync.plan.code().as_str() == "pro" && sync.name == "Pro")
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_| Ok(()));
    let mut store = store_without_plans();
    store
        .expect_create()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|organization, id, draft, _| {
            Ok(Some(record(organization, id, 1, draft.clone())))
        });
    let service = PlanService::new(Arc::new(store), Some(Arc::new(engine)));
    assert!(
        service
            .create(organization, pro(), &AuditContext::default())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn an_update_is_the_next_version_pushed_then_stored() {
    let organization = OrganizationId::new();
    let id = Uuid::now_v7();
    // Lock, read, push, store, in that order: the version pushed is read under the lock, so a
    // concurrent update waits and then pushes the version after the one stored here.
    let mut sequence = mockall::Sequence::new();
    let mut store = MockPlanStore::new();
    let mut engine = MockBillingEngine::new();
    store
        .expect_lock_code()
        .withf(move |org, code| *org == organization && code.as_str() == "pro")
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_, _| Ok(ChangeLock::new(())));
    store
        .expect_get()
        .with(eq(organization), eq(id))
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|organization, id| Ok(Some(record(organization, id, 3, pro()))));
    engine
        .expect_upsert_plan()
        .withf(|sync| sync.version == 4)
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_| Ok(()));
    store
        .expect_add_version()
        .withf(|_, _, version, draft, audit| {
            *version == 4 && audit.action == "plan.update" && draft.name == "Pro"
        })
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|organization, id, version, draft, _| {
            Ok(Some(record(organization, id, version, draft.clone())))
        });
    let service = PlanService::new(Arc::new(store), Some(Arc::new(engine)));
    let dearer = draft(plan("pro", 59, Currency::USD, Interval::Monthly));
    let updated = service
        .update(organization, id, dearer, &AuditContext::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.current.version, 4);
}

#[tokio::test]
async fn an_update_keeps_code_interval_and_currency_and_loses_no_race() {
    let organization = OrganizationId::new();
    let id = Uuid::now_v7();
    let mut store = MockPlanStore::new();
    store
        .expect_get()
        .returning(|organization, id| Ok(Some(record(organization, id, 1, pro()))));
    store
        .expect_add_version()
        .times(1)
        .returning(|_, _, _, _, _| Ok(None));
    let service = PlanService::new(Arc::new(store), None);
    let context = AuditContext::default();
    let update = |plan| service.update(organization, id, draft(plan), &context);
    let error = update(plan("pro", 49, Currency::EUR, Interval::Monthly))
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        AppError::Invalid(DomainError::CurrencyMismatch { .. })
    ));
    let error = update(plan("pro", 49, Currency::USD, Interval::Yearly))
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        AppError::Invalid(DomainError::Invalid {
            field: "interval",
            ..
        })
    ));
    let error = update(plan("other", 49, Currency::USD, Interval::Monthly))
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        AppError::Invalid(DomainError::Invalid {
            field: "plan code",
            ..
        })
    ));
    // Another version got in between the read and the write.
    let error = update(plan("pro", 59, Currency::USD, Interval::Monthly))
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        AppError::Conflict {
            code: ErrorCode::PlanChanged,
            ..
        }
    ));
}

#[tokio::test]
async fn an_unknown_plan_is_none_and_pages_are_bounded() {
    let organization = OrganizationId::new();
    let mut store = MockPlanStore::new();
    store.expect_get().returning(|_, _| Ok(None));
    store.expect_add_version().times(0);
    store
        .expect_list()
        .with(eq(organization), eq(None), eq(MAX_PAGE))
        .times(1)
        .returning(|_, _, _| Ok(vec![]));
    let service = PlanService::new(Arc::new(store), None);
    assert!(
        service
            .update(
                organization,
                Uuid::now_v7(),
                pro(),
                &AuditContext::default()
            )
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        service
            .list(organization, None, 1_000_000)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn archiving_is_audited_and_refused_with_an_engine_that_cannot_archive() {
    let organization = OrganizationId::new();
    let id = Uuid::now_v7();
    let mut store = MockPlanStore::new();
    store
        .expect_archive()
        .withf(move |_, plan, audit| {
            *plan == id
                && audit.action == "plan.archive"
                && audit.target == Some(format!("plan:{id}"))
        })
        .times(1)
        .returning(|organization, id, _| {
            let mut archived = record(organization, id, 1, pro());
            archived.archived_at = Some(Utc::now());
            Ok(Some(archived))
        });
    let service = PlanService::new(Arc::new(store), None);
    let archived = service
        .archive(organization, id, &AuditContext::default())
        .await
        .unwrap()
        .unwrap();
    assert!(archived.archived_at.is_some());

    // Lago deletes plans (terminating their subscriptions) but cannot archive one: refused,
    // nothing stored, nothing asked of Lago.
    let mut untouched = MockPlanStore::new();
    untouched.expect_archive().times(0);
    let engine = MockBillingEngine::new();
    let service = PlanService::new(Arc::new(untouched), Some(Arc::new(engine)));
    let error = service
        .archive(organization, id, &AuditContext::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            AppError::Unprocessable {
                code: ErrorCode::ArchiveUnsupported,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn version_pages_resume_after_the_version_given_and_are_bounded() {
    let organization = OrganizationId::new();
    let id = Uuid::now_v7();
    let mut store = MockPlanStore::new();
    store
        .expect_version_page()
        .with(eq(organization), eq(id), eq(Some(3)), eq(MAX_PAGE))
        .times(1)
        .returning(|_, _, _, _| Ok(vec![]));
    let service = PlanService::new(Arc::new(store), None);
    let page = service
        .version_page(organization, id, Some(3), i64::MAX)
        .await
        .unwrap();
    assert!(page.is_empty());
}
