//! Who is calling and may they do this: one decision for every `/api` request.
//!
//! Machines present Tollgate API keys (scopes only, bound to one organization). People
//! present an access token (Ory Hydra or the embedded issuer) or a Kratos session; their role
//! in the organization comes from the [`PermissionChecker`] (Ory Keto or embedded
//! memberships), which must answer, or the request is refused (fail closed).

use std::sync::Arc;

use tollgate_domain::{
    access::{Role, Scope},
    api_key::looks_like_api_key,
    organization::OrganizationId,
    webhook_secret::SecretDigest,
};
use tracing::instrument;
use uuid::Uuid;

use crate::PortError;
use crate::ports::{
    AccessTokenVerifier, ApiKeyStore, AuthError, Clock, OrganizationDirectory, PermissionChecker,
    RelationCheck, SessionCredential, SessionResolver,
};

/// The namespace of organization roles in Keto (and in the embedded memberships).
pub const ORGANIZATIONS_NAMESPACE: &str = "organizations";

/// The namespace of customer portal members: `customers:<organization id>/<customer id>#member`.
pub const CUSTOMERS_NAMESPACE: &str = "customers";

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Bearer(String),
    Session(SessionCredential),
}

/// What a route needs: a scope, and (for people) one of these roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    pub scope: Scope,
    pub roles: &'static [Role],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    ApiKey { id: Uuid },
    Person { role: Role },
}

/// An authenticated caller allowed to act on one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `api_key:<id>` or `user:<subject>`: what the audit log names as the actor.
    pub actor: String,
    pub organization: OrganizationId,
    pub kind: PrincipalKind,
    pub scopes: Vec<Scope>,
    /// Set for a customer's member (the portal): everything they see is that customer's only.
    pub customer: Option<String>,
}

/// How an organization is named to the people who use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationName {
    pub slug: String,
    pub display_name: String,
}

pub struct AccessService {
    tokens: Arc<dyn AccessTokenVerifier>,
    sessions: Option<Arc<dyn SessionResolver>>,
    permissions: Arc<dyn PermissionChecker>,
    api_keys: Arc<dyn ApiKeyStore>,
    organizations: Arc<dyn OrganizationDirectory>,
    clock: Arc<dyn Clock>,
}

impl AccessService {
    pub fn new(
        tokens: Arc<dyn AccessTokenVerifier>,
        sessions: Option<Arc<dyn SessionResolver>>,
        permissions: Arc<dyn PermissionChecker>,
        api_keys: Arc<dyn ApiKeyStore>,
        organizations: Arc<dyn OrganizationDirectory>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            tokens,
            sessions,
            permissions,
            api_keys,
            organizations,
            clock,
        }
    }

    /// Authenticates `credential` and checks it may do what `requirement` names in the
    /// organization the request names (`requested_organization`, an id or slug) or, for
    /// tokens, the one they were minted for.
    ///
    /// # Errors
    /// `Unauthenticated` (401), `Forbidden` (403) or `Unavailable` (503, fail closed).
    #[instrument(skip_all, fields(scope = %requirement.scope))]
    pub async fn authorize(
        &self,
        credential: &Credential,
        requested_organization: Option<&str>,
        requested_customer: Option<&str>,
        requirement: Requirement,
    ) -> Result<Principal, AuthError> {
        match credential {
            Credential::Bearer(token) if looks_like_api_key(token) => {
                self.authorize_api_key(token, requested_organization, requirement)
                    .await
            }
            Credential::Bearer(token) => {
                let verified = self.tokens.verify(token).await?;
                let token_scopes: Vec<Scope> = verified
                    .scopes
                    .iter()
                    .filter_map(|s| Scope::parse(s).ok())
                    .collect();
                let organization = requested_organization
                    .or(verified.organization.as_deref())
                    .ok_or_else(|| {
                        AuthError::Forbidden(
                            "name the organization in the Tollgate-Organization header".into(),
                        )
                    })?;
                // A token without Tollgate scopes acts with its holder's role; one with scopes
                // is narrowed to them.
                let narrowed = (!token_scopes.is_empty()).then_some(token_scopes);
                self.authorize_person(
                    &verified.subject,
                    organization,
                    requested_customer,
                    narrowed,
                    requirement,
                )
                .await
            }
            Credential::Session(session) => {
                let sessions = self.sessions.as_ref().ok_or_else(|| {
                    AuthError::Unauthenticated("sessions are not enabled here".into())
                })?;
                let session = sessions.whoami(session).await?;
                let organization = requested_organization.ok_or_else(|| {
                    AuthError::Forbidden(
                        "name the organization in the Tollgate-Organization header".into(),
                    )
                })?;
                self.authorize_person(
                    &session.subject,
                    organization,
                    requested_customer,
                    None,
                    requirement,
                )
                .await
            }
        }
    }

    async fn authorize_api_key(
        &self,
        secret: &str,
        requested_organization: Option<&str>,
        requirement: Requirement,
    ) -> Result<Principal, AuthError> {
        let key = self
            .api_keys
            .authenticate(&SecretDigest::of(secret), self.clock.now())
            .await?
            .ok_or_else(|| {
                AuthError::Unauthenticated("unknown, revoked or expired API key".into())
            })?;
        if let Some(requested) = requested_organization {
            let organization = self.resolve(requested).await?;
            if organization != Some(key.organization) {
                return Err(AuthError::Forbidden(
                    "this API key belongs to another organization".into(),
                ));
            }
        }
        if !key.scopes.contains(&requirement.scope) {
            return Err(AuthError::Denied {
                organization: key.organization,
                actor: format!("api_key:{}", key.id),
                reason: format!("this API key lacks the scope {}", requirement.scope),
            });
        }
        Ok(Principal {
            actor: format!("api_key:{}", key.id),
            organization: key.organization,
            kind: PrincipalKind::ApiKey { id: key.id },
            scopes: key.scopes,
            customer: None,
        })
    }

    async fn authorize_person(
        &self,
        subject: &str,
        requested_organization: &str,
        requested_customer: Option<&str>,
        narrowed_scopes: Option<Vec<Scope>>,
        requirement: Requirement,
    ) -> Result<Principal, AuthError> {
        let organization = self
            .resolve(requested_organization)
            .await?
            .ok_or_else(|| AuthError::Forbidden("not a member of that organization".into()))?;
        let mut role = None;
        for candidate in requirement.roles {
            let question = match (candidate, requested_customer) {
                // A customer's member may act only on the customer the request names, and only
                // when they belong to it.
                (Role::Customer, Some(customer)) => RelationCheck {
                    namespace: CUSTOMERS_NAMESPACE.into(),
                    object: format!("{organization}/{customer}"),
                    relation: "member".into(),
                    subject: subject.into(),
                },
                (Role::Customer, None) => continue,
                (staff, _) => RelationCheck {
                    namespace: ORGANIZATIONS_NAMESPACE.into(),
                    object: organization.to_string(),
                    relation: staff.as_str().into(),
                    subject: subject.into(),
                },
            };
            let allowed = self.permissions.check(&question).await?;
            if allowed {
                role = Some(*candidate);
                break;
            }
        }
        let role = role.ok_or_else(|| AuthError::Denied {
            organization,
            actor: format!("user:{subject}"),
            reason: "your role in this organization does not allow this".into(),
        })?;
        let scopes: Vec<Scope> = match narrowed_scopes {
            Some(token) => token
                .into_iter()
                .filter(|s| role.scopes().contains(s))
                .collect(),
            None => role.scopes().to_vec(),
        };
        if !scopes.contains(&requirement.scope) {
            return Err(AuthError::Denied {
                organization,
                actor: format!("user:{subject}"),
                reason: format!("the token lacks the scope {}", requirement.scope),
            });
        }
        Ok(Principal {
            actor: format!("user:{subject}"),
            organization,
            kind: PrincipalKind::Person { role },
            scopes,
            customer: (role == Role::Customer)
                .then(|| requested_customer.map(str::to_owned))
                .flatten(),
        })
    }

    /// How the organization a caller acts on is named: its slug, and the name to show (the
    /// settings' display name, else the name it was created with). `None` when there is no
    /// such organization.
    ///
    /// # Errors
    /// `PortError` when the directory cannot be read.
    pub async fn organization(
        &self,
        organization: OrganizationId,
    ) -> Result<Option<OrganizationName>, PortError> {
        Ok(self
            .organizations
            .record(organization)
            .await?
            .map(|record| OrganizationName {
                display_name: record
                    .display_name
                    .filter(|name| !name.trim().is_empty())
                    .unwrap_or(record.name),
                slug: record.slug,
            }))
    }

    /// The organization named by its id or slug (the dashboard's pages for people not signed
    /// in name the installation's default one).
    ///
    /// # Errors
    /// `PortError` when the directory cannot be read.
    pub async fn find_organization(
        &self,
        id_or_slug: &str,
    ) -> Result<Option<OrganizationId>, PortError> {
        self.organizations.resolve(id_or_slug).await
    }

    async fn resolve(&self, id_or_slug: &str) -> Result<Option<OrganizationId>, AuthError> {
        Ok(self.organizations.resolve(id_or_slug).await?)
    }
}

mod sign_in;
#[cfg(test)]
mod tests;
