//! The team kept in Keto, when Keto decides who may do what: members are relation tuples,
//! `organizations:<org>#<role>@<subject>` for staff and
//! `customers:<org>/<customer>#member@<subject>` for a customer's members (what
//! [`super::KetoPermissions`] checks). Read with `GET <read>/relation-tuples`, changed with one
//! `PATCH <write>/admin/relation-tuples` (its inserts and deletes apply together).
//!
//! The owner checks read Keto first and write after: Keto has no conditional write, so two
//! owners removed at the very same moment by two owners could both pass. The audit record is
//! appended once Keto took the change (it cannot share Keto's transaction).

mod wire;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use tollgate_application::{
    PortError,
    ports::{
        AuditEntry, AuditTrail, Member, MemberOutcome, MemberWrite, Membership, MembershipStore,
    },
    services::access::{CUSTOMERS_NAMESPACE, ORGANIZATIONS_NAMESPACE},
};
use tollgate_domain::{access::Role, organization::OrganizationId};
use url::Url;

use self::wire::{Patch, Tuple, Tuples};
use super::{OrySetupError, http};
use crate::upstream::Upstream;

const SERVICE: &str = "keto";
const KETO: Upstream = Upstream(SERVICE);
/// Tuples asked for per page (Keto's maximum is higher; a team is small).
const PAGE_SIZE: &str = "500";

#[derive(Debug, Clone)]
pub struct KetoTeamConfig {
    /// Keto's read API (relation-tuples), port 4466 self-hosted.
    pub read_url: Url,
    /// Keto's write API (`/admin/relation-tuples`), port 4467 self-hosted; `None`: the team
    /// can be read but not changed here (changes answer 503 naming Keto).
    pub write_url: Option<Url>,
    pub api_key: Option<SecretString>,
    pub timeout: Duration,
}

pub struct KetoTeam {
    http: reqwest::Client,
    list: Url,
    write: Option<Url>,
    api_key: Option<SecretString>,
    audit: Arc<dyn AuditTrail>,
}

impl KetoTeam {
    /// # Errors
    /// When a URL is not an http(s) base URL or the HTTP client cannot be built.
    pub fn new(config: KetoTeamConfig, audit: Arc<dyn AuditTrail>) -> Result<Self, OrySetupError> {
        Ok(Self {
            http: http::client(SERVICE, config.timeout)?,
            list: http::endpoint(SERVICE, &config.read_url, "relation-tuples")?,
            write: config
                .write_url
                .as_ref()
                .map(|url| http::endpoint(SERVICE, url, "admin/relation-tuples"))
                .transpose()?,
            api_key: config.api_key,
            audit,
        })
    }

    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.api_key {
            Some(key) => request.bearer_auth(key.expose_secret()),
            None => request,
        }
    }

    /// Every tuple matching `query` (all pages).
    async fn tuples(&self, query: &[(&str, &str)]) -> Result<Vec<Tuple>, PortError> {
        let mut found = Vec::new();
        let mut token = String::new();
        loop {
            let mut url = self.list.clone();
            url.query_pairs_mut()
                .extend_pairs(query)
                .append_pair("page_size", PAGE_SIZE);
            if !token.is_empty() {
                url.query_pairs_mut().append_pair("page_token", &token);
            }
            let response = KETO
                .send(self.authorized(self.http.get(url)))
                .await
                .map_err(|e| KETO.failed(e))?;
            let status = response.status();
            if !status.is_success() {
                return Err(KETO.status(status, response.headers(), Utc::now()));
            }
            let body = response.bytes().await.map_err(|e| KETO.failed(e))?;
            let page: Tuples = KETO.decode(&body)?;
            found.extend(page.relation_tuples);
            match page.next_page_token {
                Some(next) if !next.is_empty() && next != token => token = next,
                _ => return Ok(found),
            }
        }
    }

    /// The organization's tuples of `subject` (any subject when `None`), staff and customer.
    async fn of(
        &self,
        organization: OrganizationId,
        subject: Option<&str>,
    ) -> Result<Vec<Tuple>, PortError> {
        let org = organization.to_string();
        let mut staff = vec![("namespace", ORGANIZATIONS_NAMESPACE), ("object", &org)];
        let mut customers = vec![("namespace", CUSTOMERS_NAMESPACE)];
        if let Some(subject) = subject {
            staff.push(("subject_id", subject));
            customers.push(("subject_id", subject));
        }
        let mut tuples = self.tuples(&staff).await?;
        // Keto lists by exact object only: a customer's object is `<org>/<customer>`.
        let prefix = format!("{org}/");
        tuples.extend(
            self.tuples(&customers)
                .await?
                .into_iter()
                .filter(|t| t.object.starts_with(&prefix)),
        );
        Ok(tuples)
    }

    async fn patch(&self, patches: &[Patch]) -> Result<(), PortError> {
        let Some(url) = &self.write else {
            return Err(PortError::unavailable(
                SERVICE,
                "ory.keto_write_url is not set: the team cannot be changed",
            ));
        };
        let response = KETO
            .send(self.authorized(self.http.patch(url.clone()).json(patches)))
            .await
            .map_err(|e| KETO.failed(e))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(KETO.status(status, response.headers(), Utc::now()))
        }
    }
}

/// The membership a tuple grants, for the organization (`None` for a relation Tollgate does
/// not use).
fn membership_of(organization: &str, tuple: &Tuple) -> Option<Membership> {
    match tuple.namespace.as_str() {
        ORGANIZATIONS_NAMESPACE => Some(Membership {
            role: Role::parse(&tuple.relation)
                .ok()
                .filter(|r| *r != Role::Customer)?,
            customer: None,
        }),
        CUSTOMERS_NAMESPACE if tuple.relation == "member" => Some(Membership {
            role: Role::Customer,
            customer: Some(
                tuple
                    .object
                    .strip_prefix(organization)?
                    .strip_prefix('/')?
                    .to_owned(),
            ),
        }),
        _ => None,
    }
}

/// The tuple that grants `membership` to `subject`.
fn tuple_for(organization: &str, subject: &str, membership: &Membership) -> Tuple {
    match &membership.customer {
        Some(customer) => Tuple::new(
            CUSTOMERS_NAMESPACE,
            format!("{organization}/{customer}"),
            "member",
            subject,
        ),
        None => Tuple::new(
            ORGANIZATIONS_NAMESPACE,
            organization.to_owned(),
            membership.role.as_str(),
            subject,
        ),
    }
}

/// A subject holding several roles shows as the strongest (the order of [`Role::ALL`]).
fn strongest(memberships: impl Iterator<Item = Membership>) -> Option<Membership> {
    memberships.min_by_key(|m| Role::ALL.iter().position(|r| *r == m.role))
}

#[async_trait]
impl MembershipStore for KetoTeam {
    async fn membership(
        &self,
        organization: OrganizationId,
        subject: &str,
    ) -> Result<Option<Membership>, PortError> {
        let org = organization.to_string();
        let tuples = self.of(organization, Some(subject)).await?;
        Ok(strongest(
            tuples.iter().filter_map(|t| membership_of(&org, t)),
        ))
    }

    async fn grant(
        &self,
        organization: OrganizationId,
        subject: &str,
        membership: &Membership,
        audit: &AuditEntry,
    ) -> Result<(), PortError> {
        let org = organization.to_string();
        let mut patches: Vec<Patch> = self
            .of(organization, Some(subject))
            .await?
            .into_iter()
            .filter(|t| membership_of(&org, t).is_some())
            .map(Patch::delete)
            .collect();
        patches.push(Patch::insert(tuple_for(&org, subject, membership)));
        self.patch(&patches).await?;
        self.audit.append(organization, audit).await
    }

    async fn members(
        &self,
        organization: OrganizationId,
        after: Option<String>,
        limit: i64,
    ) -> Result<Vec<Member>, PortError> {
        let org = organization.to_string();
        let mut by_subject: std::collections::BTreeMap<String, Vec<Membership>> =
            std::collections::BTreeMap::new();
        for tuple in self.of(organization, None).await? {
            if let (Some(subject), Some(membership)) =
                (tuple.subject_id.clone(), membership_of(&org, &tuple))
            {
                by_subject.entry(subject).or_default().push(membership);
            }
        }
        Ok(by_subject
            .into_iter()
            .filter(|(subject, _)| after.as_ref().is_none_or(|after| subject > after))
            .filter_map(|(subject, held)| {
                Some(Member {
                    membership: strongest(held.into_iter())?,
                    subject,
                })
            })
            .take(usize::try_from(limit).unwrap_or(0))
            .collect())
    }

    async fn write(
        &self,
        organization: OrganizationId,
        subject: &str,
        write: &MemberWrite,
        actor_is_owner: bool,
        audit: &AuditEntry,
    ) -> Result<MemberOutcome, PortError> {
        let org = organization.to_string();
        let held: Vec<Tuple> = self
            .of(organization, Some(subject))
            .await?
            .into_iter()
            .filter(|t| membership_of(&org, t).is_some())
            .collect();
        let current = strongest(held.iter().filter_map(|t| membership_of(&org, t)));
        let was_owner = held
            .iter()
            .any(|t| membership_of(&org, t).is_some_and(|m| m.role == Role::Owner));
        let wanted = match (write, &current) {
            (MemberWrite::Add(_), Some(current)) => {
                return Ok(MemberOutcome::Exists(current.clone()));
            }
            (MemberWrite::Update(_) | MemberWrite::Remove, None) => {
                return Ok(MemberOutcome::NotMember);
            }
            (MemberWrite::Add(wanted) | MemberWrite::Update(wanted), _) => Some(wanted),
            (MemberWrite::Remove, Some(_)) => None,
        };
        let owner_after = wanted.is_some_and(|m| m.role == Role::Owner);
        if (owner_after || was_owner) && !actor_is_owner {
            return Ok(MemberOutcome::OwnerOnly);
        }
        if was_owner && !owner_after {
            let owners = self
                .tuples(&[
                    ("namespace", ORGANIZATIONS_NAMESPACE),
                    ("object", &org),
                    ("relation", Role::Owner.as_str()),
                ])
                .await?;
            let others = owners
                .iter()
                .filter(|t| t.subject_id.as_deref() != Some(subject))
                .count();
            if others == 0 {
                return Ok(MemberOutcome::LastOwner);
            }
        }
        let mut patches: Vec<Patch> = held.into_iter().map(Patch::delete).collect();
        if let Some(wanted) = wanted {
            patches.push(Patch::insert(tuple_for(&org, subject, wanted)));
        }
        self.patch(&patches).await?;
        self.audit.append(organization, audit).await?;
        Ok(MemberOutcome::Done { previous: current })
    }
}
