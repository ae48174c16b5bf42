//! Signing in to the dashboard: who a person is and which role they hold, found once when the
//! session begins. Every page then asks [`AccessService::authorize_holder`] again, the same
//! decision the API makes, so a role taken away ends what the session may do at once.

use tollgate_domain::{access::Role, api_key::looks_like_api_key};

use super::{
    AccessService, CUSTOMERS_NAMESPACE, ORGANIZATIONS_NAMESPACE, Principal, PrincipalKind,
    Requirement,
};
use crate::ports::{
    AuthError, RelationCheck, Session, SessionCredential, SessionHolder, SignInMethod,
};

/// Staff roles, strongest first: a person holding several signs in with the strongest.
const STAFF_ROLES: [Role; 4] = [Role::Owner, Role::Admin, Role::Billing, Role::Viewer];

impl AccessService {
    /// Verifies a pasted access token as the API verifies a bearer token, and answers whom it
    /// signs in: its subject, in the organization named (or the token's own), with the role
    /// they hold there. API keys and tokens narrowed to fewer scopes than the role are
    /// refused: a session acts with the person's whole role.
    ///
    /// # Errors
    /// `Unauthenticated` for an invalid token or an API key, `Forbidden` for a token whose
    /// subject holds no role there, `Upstream` when the identity system cannot answer.
    pub async fn sign_in_token(
        &self,
        token: &str,
        organization: Option<&str>,
        customer: Option<&str>,
    ) -> Result<SessionHolder, AuthError> {
        if looks_like_api_key(token) {
            return Err(AuthError::Unauthenticated(
                "API keys are for machines; sign in with a person's access token".into(),
            ));
        }
        let verified = self.tokens.verify(token).await?;
        let organization = organization
            .or(verified.organization.as_deref())
            .ok_or_else(|| AuthError::Forbidden("name the organization to sign in to".into()))?;
        let holder = self
            .sign_in_subject(&verified.subject, organization, customer)
            .await?;
        let narrowed = verified
            .scopes
            .iter()
            .any(|scope| tollgate_domain::access::Scope::parse(scope).is_ok());
        if narrowed {
            let missing = holder
                .role
                .scopes()
                .iter()
                .any(|scope| !verified.scopes.iter().any(|s| s == scope.as_str()));
            if missing {
                return Err(AuthError::Forbidden(
                    "this token is limited to fewer scopes than your role; sign in with an unrestricted token".into(),
                ));
            }
        }
        Ok(holder)
    }

    /// The identity system's session the browser's credential names (Kratos's whoami), for
    /// a sign-in through its login flow; then [`Self::sign_in_subject`] finds the role.
    ///
    /// # Errors
    /// `Unauthenticated` without a session (or with sessions not enabled), `Forbidden` when
    /// it needs a second factor first, `Upstream` when the identity system cannot answer.
    pub async fn browser_session(
        &self,
        credential: &SessionCredential,
    ) -> Result<Session, AuthError> {
        let sessions = self
            .sessions
            .as_ref()
            .ok_or_else(|| AuthError::Unauthenticated("sessions are not enabled here".into()))?;
        sessions.whoami(credential).await
    }

    /// The role `subject` holds in `organization` (id or slug): the strongest staff role,
    /// else membership of `customer`.
    ///
    /// # Errors
    /// `Forbidden` when they hold none, `Upstream` when the permission checker cannot answer.
    pub async fn sign_in_subject(
        &self,
        subject: &str,
        organization: &str,
        customer: Option<&str>,
    ) -> Result<SessionHolder, AuthError> {
        let organization = self
            .resolve(organization)
            .await?
            .ok_or_else(|| AuthError::Forbidden("not a member of that organization".into()))?;
        for role in STAFF_ROLES {
            let question = RelationCheck {
                namespace: ORGANIZATIONS_NAMESPACE.into(),
                object: organization.to_string(),
                relation: role.as_str().into(),
                subject: subject.into(),
            };
            if self.permissions.check(&question).await? {
                return Ok(SessionHolder {
                    organization,
                    subject: subject.to_owned(),
                    role,
                    customer: None,
                });
            }
        }
        if let Some(customer) = customer {
            let question = RelationCheck {
                namespace: CUSTOMERS_NAMESPACE.into(),
                object: format!("{organization}/{customer}"),
                relation: "member".into(),
                subject: subject.into(),
            };
            if self.permissions.check(&question).await? {
                return Ok(SessionHolder {
                    organization,
                    subject: subject.to_owned(),
                    role: Role::Customer,
                    customer: Some(customer.to_owned()),
                });
            }
        }
        Err(AuthError::Forbidden(
            "not a member of that organization".into(),
        ))
    }

    /// Whether a session may open what `requirement` guards: the API's decision for the same
    /// person, role asked again. A portal link's session has no person to ask about: the
    /// link was checked when it was spent, and it opens its customer's portal pages only.
    ///
    /// # Errors
    /// As [`AccessService::authorize`]: `Denied` / `Forbidden` (403), `Upstream`.
    pub async fn authorize_holder(
        &self,
        holder: &SessionHolder,
        method: SignInMethod,
        requirement: Requirement,
    ) -> Result<Principal, AuthError> {
        if method == SignInMethod::PortalLink {
            return portal_visit(holder, requirement);
        }
        self.authorize_person(
            &holder.subject,
            &holder.organization.to_string(),
            holder.customer.as_deref(),
            None,
            requirement,
        )
        .await
    }
}

/// A portal link's visitor: the customer role's scopes, on its customer, whatever the holder
/// says of its role (a link never grants staff pages).
fn portal_visit(holder: &SessionHolder, requirement: Requirement) -> Result<Principal, AuthError> {
    let scopes = Role::Customer.scopes();
    let customer = holder
        .customer
        .clone()
        .ok_or_else(|| AuthError::Forbidden("a portal link names no customer".into()))?;
    if !requirement.roles.contains(&Role::Customer) || !scopes.contains(&requirement.scope) {
        return Err(AuthError::Denied {
            organization: holder.organization,
            actor: holder.subject.clone(),
            reason: "a portal link opens its customer's portal only".into(),
        });
    }
    Ok(Principal {
        actor: holder.subject.clone(),
        organization: holder.organization,
        kind: PrincipalKind::Person {
            role: Role::Customer,
        },
        scopes: scopes.to_vec(),
        customer: Some(customer),
    })
}
