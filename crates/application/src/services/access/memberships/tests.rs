use mockall::predicate::{always, eq};
use tollgate_domain::ErrorCode;

use super::*;
use crate::ports::MockMembershipStore;

fn organization() -> OrganizationId {
    OrganizationId::from_uuid(uuid::Uuid::from_u128(7))
}

fn member(role: Role) -> Membership {
    Membership {
        role,
        customer: None,
    }
}

fn service_with(
    current: Option<Membership>,
    expect_grant: Option<&'static str>,
) -> MembershipService {
    let mut store = MockMembershipStore::new();
    store
        .expect_membership()
        .with(eq(organization()), eq("dev-owner"))
        .return_once(move |_, _| Ok(current));
    match expect_grant {
        Some(action) => {
            store
                .expect_grant()
                .with(eq(organization()), eq("dev-owner"), always(), always())
                .times(1)
                .withf(move |_, _, _, entry| entry.action == action)
                .returning(|_, _, _, _| Ok(()));
        }
        None => {
            store.expect_grant().never();
        }
    }
    MembershipService::new(Arc::new(store))
}

async fn ensure(
    service: &MembershipService,
    role: Role,
    change: RoleChange,
) -> Result<MembershipOutcome, AppError> {
    service
        .ensure(
            organization(),
            "dev-owner",
            &member(role),
            change,
            &AuditContext::default(),
        )
        .await
}

#[tokio::test]
async fn a_new_member_is_granted_and_audited_as_a_grant() {
    let service = service_with(None, Some("membership.grant"));
    let outcome = ensure(&service, Role::Owner, RoleChange::Refuse).await;
    assert_eq!(outcome.expect("granted"), MembershipOutcome::Granted);
}

#[tokio::test]
async fn the_same_role_again_writes_nothing() {
    let service = service_with(Some(member(Role::Owner)), None);
    let outcome = ensure(&service, Role::Owner, RoleChange::Refuse).await;
    assert_eq!(outcome.expect("unchanged"), MembershipOutcome::Unchanged);
}

#[tokio::test]
async fn another_role_is_refused_without_the_explicit_change() {
    let service = service_with(Some(member(Role::Owner)), None);
    match ensure(&service, Role::Viewer, RoleChange::Refuse).await {
        Err(AppError::Conflict { code, message }) => {
            assert_eq!(code, "membership_exists");
            assert!(message.contains("already owner"), "{message}");
            assert!(message.contains("viewer"), "{message}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn an_explicit_change_is_applied_and_audited_as_a_role_change() {
    let service = service_with(Some(member(Role::Owner)), Some("membership.role_change"));
    let outcome = ensure(&service, Role::Viewer, RoleChange::Allow).await;
    assert_eq!(
        outcome.expect("changed"),
        MembershipOutcome::Changed {
            previous: member(Role::Owner)
        }
    );
}

#[tokio::test]
async fn a_customer_member_needs_its_customer() {
    let mut store = MockMembershipStore::new();
    store.expect_membership().never();
    store.expect_grant().never();
    let service = MembershipService::new(Arc::new(store));
    let outcome = ensure(&service, Role::Customer, RoleChange::Allow).await;
    assert!(
        matches!(
            outcome,
            Err(AppError::Unprocessable {
                code: ErrorCode::CustomerRequired,
                ..
            })
        ),
        "{outcome:?}"
    );
}
