use std::sync::Arc;

use chrono::Utc;
use tollgate_domain::{
    access::{Role, Scope},
    organization::OrganizationId,
};
use uuid::Uuid;

use super::*;
use crate::ports::{
    ApiKeyRecord, MockAccessTokenVerifier, MockApiKeyStore, MockOrganizationDirectory,
    MockPermissionChecker, OrganizationRecord, SessionHolder, SignInMethod, SystemClock,
    VerifiedToken,
};

const READ_USAGE: Requirement = Requirement {
    scope: Scope::UsageRead,
    roles: &[Role::Owner, Role::Admin, Role::Viewer],
};
const WRITE_SETTINGS: Requirement = Requirement {
    scope: Scope::SettingsWrite,
    roles: &[Role::Owner, Role::Admin],
};

struct Mocks {
    tokens: MockAccessTokenVerifier,
    permissions: MockPermissionChecker,
    api_keys: MockApiKeyStore,
    organizations: MockOrganizationDirectory,
}

impl Mocks {
    fn new() -> Self {
        Self {
            tokens: MockAccessTokenVerifier::new(),
            permissions: MockPermissionChecker::new(),
            api_keys: MockApiKeyStore::new(),
            organizations: MockOrganizationDirectory::new(),
        }
    }

    fn organization(mut self, name: &'static str, id: OrganizationId) -> Self {
        self.organizations
            .expect_resolve()
            .returning(move |asked| Ok((asked == name).then_some(id)));
        self
    }

    fn service(self) -> AccessService {
        AccessService::new(
            Arc::new(self.tokens),
            None,
            Arc::new(self.permissions),
            Arc::new(self.api_keys),
            Arc::new(self.organizations),
            Arc::new(SystemClock),
        )
    }
}

fn key(organization: OrganizationId, scopes: Vec<Scope>) -> ApiKeyRecord {
    ApiKeyRecord {
        id: Uuid::now_v7(),
        organization,
        name: "ci".into(),
        display_prefix: "tg_live_abcd".into(),
        scopes,
        created_by: "user:alice".into(),
        created_at: Utc::now(),
        expires_at: None,
        last_used_at: None,
        revoked_at: None,
    }
}

fn bearer(text: &str) -> Credential {
    Credential::Bearer(text.into())
}

#[tokio::test]
async fn an_api_key_acts_for_its_organization_within_its_scopes() {
    let org = OrganizationId::new();
    let mut mocks = Mocks::new().organization("acme", org);
    let record = key(org, vec![Scope::UsageRead]);
    mocks
        .api_keys
        .expect_authenticate()
        .returning(move |_, _| Ok(Some(record.clone())));
    let service = mocks.service();

    let principal = service
        .authorize(&bearer("tg_live_x"), Some("acme"), None, READ_USAGE)
        .await
        .unwrap();
    assert_eq!(principal.organization, org);
    assert!(principal.actor.starts_with("api_key:"));

    let too_small = service
        .authorize(&bearer("tg_live_x"), None, None, WRITE_SETTINGS)
        .await;
    assert!(matches!(
        too_small,
        Err(AuthError::Forbidden(_) | AuthError::Denied { .. })
    ));
}

#[tokio::test]
async fn revoked_or_unknown_keys_are_unauthenticated_and_other_organizations_forbidden() {
    let org = OrganizationId::new();
    let mut mocks = Mocks::new().organization("other", OrganizationId::new());
    let record = key(org, vec![Scope::UsageRead]);
    mocks
        .api_keys
        .expect_authenticate()
        .returning(move |digest, _| {
            Ok(
                (*digest == tollgate_domain::webhook_secret::SecretDigest::of("tg_live_good"))
                    .then(|| record.clone()),
            )
        });
    let service = mocks.service();

    assert!(matches!(
        service
            .authorize(&bearer("tg_live_revoked"), None, None, READ_USAGE)
            .await,
        Err(AuthError::Unauthenticated(_))
    ));
    assert!(matches!(
        service
            .authorize(&bearer("tg_live_good"), Some("other"), None, READ_USAGE)
            .await,
        Err(AuthError::Forbidden(_) | AuthError::Denied { .. })
    ));
}

fn token_for(subject: &'static str, scopes: &'static [&'static str]) -> MockAccessTokenVerifier {
    let mut tokens = MockAccessTokenVerifier::new();
    tokens.expect_verify().returning(move |_| {
        Ok(VerifiedToken {
            subject: subject.into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            expires_at: None,
            organization: None,
        })
    });
    tokens
}

#[tokio::test]
async fn a_person_acts_with_the_first_role_the_checker_allows() {
    let org = OrganizationId::new();
    let mut mocks = Mocks::new().organization("acme", org);
    mocks.tokens = token_for("alice", &[]);
    mocks
        .permissions
        .expect_check()
        .returning(|q| Ok(q.relation == "viewer" && q.subject == "alice"));
    let service = mocks.service();

    let principal = service
        .authorize(&bearer("eyJ.a.b"), Some("acme"), None, READ_USAGE)
        .await
        .unwrap();
    assert_eq!(principal.kind, PrincipalKind::Person { role: Role::Viewer });
    assert_eq!(principal.actor, "user:alice");

    let denied = service
        .authorize(&bearer("eyJ.a.b"), Some("acme"), None, WRITE_SETTINGS)
        .await;
    assert!(matches!(
        denied,
        Err(AuthError::Forbidden(_) | AuthError::Denied { .. })
    ));
}

#[tokio::test]
async fn an_unreachable_permission_checker_fails_closed() {
    let org = OrganizationId::new();
    let mut mocks = Mocks::new().organization("acme", org);
    mocks.tokens = token_for("alice", &[]);
    mocks.permissions.expect_check().returning(|_| {
        Err(AuthError::Upstream(crate::PortError::unavailable(
            "keto",
            "connection refused",
        )))
    });
    let result = mocks
        .service()
        .authorize(&bearer("eyJ.a.b"), Some("acme"), None, READ_USAGE)
        .await;
    assert!(matches!(result, Err(AuthError::Upstream(_))));
}

#[tokio::test]
async fn token_scopes_narrow_a_role_and_never_widen_it() {
    let org = OrganizationId::new();
    let mut mocks = Mocks::new().organization("acme", org);
    mocks.tokens = token_for("bob", &["usage:read"]);
    mocks
        .permissions
        .expect_check()
        .returning(|q| Ok(q.relation == "owner"));
    let service = mocks.service();

    let principal = service
        .authorize(&bearer("eyJ.a.b"), Some("acme"), None, READ_USAGE)
        .await
        .unwrap();
    assert_eq!(principal.scopes, vec![Scope::UsageRead]);
    assert!(matches!(
        service
            .authorize(&bearer("eyJ.a.b"), Some("acme"), None, WRITE_SETTINGS)
            .await,
        Err(AuthError::Forbidden(_) | AuthError::Denied { .. })
    ));
}

#[tokio::test]
async fn a_person_must_name_an_organization_that_exists() {
    let mut mocks = Mocks::new().organization("acme", OrganizationId::new());
    mocks.tokens = token_for("carol", &[]);
    mocks.permissions.expect_check().never();
    let service = mocks.service();

    assert!(matches!(
        service
            .authorize(&bearer("eyJ.a.b"), None, None, READ_USAGE)
            .await,
        Err(AuthError::Forbidden(_) | AuthError::Denied { .. })
    ));
    assert!(matches!(
        service
            .authorize(&bearer("eyJ.a.b"), Some("nope"), None, READ_USAGE)
            .await,
        Err(AuthError::Forbidden(_) | AuthError::Denied { .. })
    ));
    assert!(matches!(
        service
            .authorize(
                &Credential::Session(crate::ports::SessionCredential::Token("t".into())),
                Some("acme"),
                None,
                READ_USAGE
            )
            .await,
        Err(AuthError::Unauthenticated(_))
    ));
}

const PORTAL_USAGE: Requirement = Requirement {
    scope: Scope::UsageRead,
    roles: &[Role::Owner, Role::Admin, Role::Viewer, Role::Customer],
};

#[tokio::test]
async fn a_customer_member_acts_only_on_the_customer_they_belong_to() {
    let org = OrganizationId::new();
    let mut mocks = Mocks::new().organization("acme", org);
    mocks.tokens = token_for("carla", &[]);
    mocks.permissions.expect_check().returning(move |q| {
        Ok(q.namespace == CUSTOMERS_NAMESPACE
            && q.object == format!("{org}/cust-7")
            && q.relation == "member"
            && q.subject == "carla")
    });
    let service = mocks.service();

    let principal = service
        .authorize(
            &bearer("eyJ.a.b"),
            Some("acme"),
            Some("cust-7"),
            PORTAL_USAGE,
        )
        .await
        .unwrap();
    assert_eq!(principal.customer.as_deref(), Some("cust-7"));
    assert_eq!(
        principal.kind,
        PrincipalKind::Person {
            role: Role::Customer
        }
    );

    for customer in [Some("cust-8"), None] {
        assert!(matches!(
            service
                .authorize(&bearer("eyJ.a.b"), Some("acme"), customer, PORTAL_USAGE)
                .await,
            Err(AuthError::Forbidden(_) | AuthError::Denied { .. })
        ));
    }
}

#[tokio::test]
async fn an_organization_is_shown_by_its_display_name_else_its_own() {
    let id = OrganizationId::new();
    for (display_name, shown) in [
        (Some("Acme SAS"), "Acme SAS"),
        (None, "Default organization"),
        // A blank display name names nothing.
        (Some("  "), "Default organization"),
    ] {
        let mut mocks = Mocks::new();
        mocks
            .organizations
            .expect_record()
            .withf(move |asked| *asked == id)
            .returning(move |_| {
                Ok(Some(OrganizationRecord {
                    slug: "acme".into(),
                    name: "Default organization".into(),
                    display_name: display_name.map(str::to_owned),
                }))
            });
        let named = mocks.service().organization(id).await.unwrap();
        assert_eq!(
            named,
            Some(OrganizationName {
                slug: "acme".into(),
                display_name: shown.into(),
            })
        );
    }
}

const CUSTOMER_READ: Requirement = Requirement {
    scope: Scope::BillingRead,
    roles: &[Role::Owner, Role::Customer],
};

fn portal_holder(customer: Option<&str>) -> SessionHolder {
    SessionHolder {
        organization: OrganizationId::new(),
        subject: "portal_link:5".into(),
        // What a link's session claims does not widen what it opens.
        role: Role::Owner,
        customer: customer.map(str::to_owned),
    }
}

#[tokio::test]
async fn a_portal_link_opens_its_customer_pages_without_asking_the_permission_checker() {
    // No expectation is set on the checker: a call would panic.
    let service = Mocks::new().service();
    let principal = service
        .authorize_holder(
            &portal_holder(Some("acme")),
            SignInMethod::PortalLink,
            CUSTOMER_READ,
        )
        .await
        .unwrap();
    assert_eq!(principal.actor, "portal_link:5");
    assert_eq!(principal.customer.as_deref(), Some("acme"));
    assert_eq!(
        principal.kind,
        PrincipalKind::Person {
            role: Role::Customer
        }
    );
    assert_eq!(principal.scopes, Role::Customer.scopes().to_vec());
}

#[tokio::test]
async fn a_portal_link_never_opens_a_staff_page_or_a_write() {
    let service = Mocks::new().service();
    for requirement in [READ_USAGE, WRITE_SETTINGS] {
        let refused = service
            .authorize_holder(
                &portal_holder(Some("acme")),
                SignInMethod::PortalLink,
                requirement,
            )
            .await;
        assert!(
            matches!(refused, Err(AuthError::Denied { .. })),
            "{requirement:?}"
        );
    }
    let nameless = service
        .authorize_holder(
            &portal_holder(None),
            SignInMethod::PortalLink,
            CUSTOMER_READ,
        )
        .await;
    assert!(matches!(nameless, Err(AuthError::Forbidden(_))));
}
