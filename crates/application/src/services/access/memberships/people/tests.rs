use std::sync::Arc;

use mockall::predicate::{always, eq};
use tollgate_domain::access::Role;

use super::*;
use crate::{
    PortError,
    ports::{MemberOutcome, MockIdentityDirectory, MockMembershipStore},
};

const ADA: &str = "5f0c2a4e-8b1d-4c3e-9a7f-2d6b1e0c9a11";

fn organization() -> OrganizationId {
    OrganizationId::from_uuid(uuid::Uuid::from_u128(7))
}

fn viewer() -> Membership {
    Membership {
        role: Role::Viewer,
        customer: None,
    }
}

fn kratos() -> MockIdentityDirectory {
    let mut directory = MockIdentityDirectory::new();
    directory.expect_resolves_emails().return_const(true);
    directory
}

async fn add(service: &MembershipService, person: Person) -> Result<Resolved, AppError> {
    service
        .add_member(
            organization(),
            &person,
            viewer(),
            Actor::Person(Role::Admin),
            &AuditContext::default(),
        )
        .await
        .map(|added| added.expect("not refused"))
}

#[tokio::test]
async fn an_email_is_looked_up_and_its_identity_becomes_the_member() {
    let mut directory = kratos();
    // Kratos keeps e-mail identifiers lower-cased: the lookup asks for that exact text.
    directory
        .expect_identity_by_email()
        .with(eq("ada@example.com"))
        .times(1)
        .returning(|_| Ok(Some(ADA.to_owned())));
    let mut store = MockMembershipStore::new();
    store
        .expect_write()
        .with(eq(organization()), eq(ADA), always(), eq(false), always())
        .times(1)
        .withf(|_, _, _, _, audit| {
            audit.target.as_deref() == Some(&*format!("user:{ADA} as viewer"))
        })
        .returning(|_, _, _, _, _| Ok(MemberOutcome::Done { previous: None }));
    let service = MembershipService::with_directory(Arc::new(store), Arc::new(directory));
    let added = add(&service, Person::Email(" Ada@Example.com ".into())).await;
    assert_eq!(
        added.expect("added"),
        Resolved {
            subject: ADA.to_owned(),
            email: Some("ada@example.com".to_owned())
        }
    );
}

#[tokio::test]
async fn an_email_nobody_has_is_unknown_and_nothing_is_written() {
    let mut directory = kratos();
    directory.expect_identity_by_email().returning(|_| Ok(None));
    let mut store = MockMembershipStore::new();
    store.expect_write().never();
    let service = MembershipService::with_directory(Arc::new(store), Arc::new(directory));
    match add(&service, Person::Email("nobody@example.com".into())).await {
        Err(AppError::Unprocessable { code, message }) => {
            assert_eq!(code, ErrorCode::UnknownIdentity);
            assert!(message.contains("nobody@example.com"), "{message}");
        }
        other => panic!("expected unknown_identity, got {other:?}"),
    }
}

#[tokio::test]
async fn a_failing_directory_fails_the_addition_as_its_own_error() {
    let mut directory = kratos();
    directory
        .expect_identity_by_email()
        .returning(|_| Err(PortError::unavailable("kratos", "connection refused")));
    let mut store = MockMembershipStore::new();
    store.expect_write().never();
    let service = MembershipService::with_directory(Arc::new(store), Arc::new(directory));
    let outcome = add(&service, Person::Email("ada@example.com".into())).await;
    assert!(
        matches!(
            outcome,
            Err(AppError::Port(PortError::Unavailable {
                service: "kratos",
                ..
            }))
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn without_a_directory_an_email_is_refused_and_a_subject_is_kept_as_it_is() {
    let mut store = MockMembershipStore::new();
    store
        .expect_write()
        .with(
            eq(organization()),
            eq("vera@example.com"),
            always(),
            always(),
            always(),
        )
        .times(1)
        .returning(|_, _, _, _, _| Ok(MemberOutcome::Done { previous: None }));
    let service = MembershipService::new(Arc::new(store));
    assert!(!service.resolves_emails());
    let by_email = add(&service, Person::Email("vera@example.com".into())).await;
    assert!(
        matches!(
            by_email,
            Err(AppError::Unprocessable {
                code: ErrorCode::UnknownIdentity,
                ..
            })
        ),
        "{by_email:?}"
    );
    // The embedded identity allows e-mail-like subjects: they stay subjects.
    let by_subject = add(&service, Person::Subject("vera@example.com".into())).await;
    assert_eq!(by_subject.expect("added").subject, "vera@example.com");
}

#[tokio::test]
async fn text_that_is_no_email_is_refused_before_the_directory_is_asked() {
    let mut directory = kratos();
    directory.expect_identity_by_email().never();
    let service = MembershipService::with_directory(
        Arc::new(MockMembershipStore::new()),
        Arc::new(directory),
    );
    for text in ["ada", "@example.com", "ada@", "a da@example.com"] {
        let outcome = service.resolve(&Person::Email(text.into())).await;
        assert!(
            matches!(outcome, Err(AppError::Invalid(_))),
            "{text}: {outcome:?}"
        );
    }
}

fn two_members() -> MockMembershipStore {
    let mut store = MockMembershipStore::new();
    store.expect_members().returning(|_, _, _| {
        Ok(["olivia", ADA]
            .map(|subject| Member {
                subject: subject.to_owned(),
                membership: viewer(),
            })
            .to_vec())
    });
    store
}

#[tokio::test]
async fn the_list_carries_the_emails_the_directory_knows() {
    let mut directory = kratos();
    directory
        .expect_emails_of()
        .withf(|ids| ids == ["olivia".to_owned(), ADA.to_owned()])
        .times(1)
        .returning(|_| {
            Ok(HashMap::from([(
                ADA.to_owned(),
                "ada@example.com".to_owned(),
            )]))
        });
    let service = MembershipService::with_directory(Arc::new(two_members()), Arc::new(directory));
    let listed = service
        .members_with_emails(organization(), None, 10)
        .await
        .expect("listed");
    let emails: Vec<_> = listed.iter().map(|m| m.email.as_deref()).collect();
    assert_eq!(emails, [None, Some("ada@example.com")]);
}

#[tokio::test]
async fn a_failing_directory_only_leaves_the_emails_out() {
    let mut directory = kratos();
    directory
        .expect_emails_of()
        .returning(|_| Err(PortError::unavailable("kratos", "connection refused")));
    let service = MembershipService::with_directory(Arc::new(two_members()), Arc::new(directory));
    let listed = service
        .members_with_emails(organization(), None, 10)
        .await
        .expect("still listed");
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|m| m.email.is_none()));
}
