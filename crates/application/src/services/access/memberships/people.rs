//! People named by e-mail: with an identity directory (Ory Kratos), a member may be added by
//! the e-mail they sign in with, which becomes their identity id (the subject their sessions
//! and tokens carry), and the team list shows each member's e-mail. Without one, members are
//! named by subject only, as before.

use std::collections::HashMap;

use tollgate_domain::{ErrorCode, error::cut, organization::OrganizationId};

use super::{
    MembershipService,
    team::{Actor, TeamRefusal},
};
use crate::{
    AppError,
    ports::{AuditContext, Member, MemberWrite, Membership},
};

/// The longest e-mail address looked up (RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;

/// How the person to add is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Person {
    /// The subject their tokens carry (a Kratos identity id...), used as it is.
    Subject(String),
    /// Their login e-mail, looked up in the identity directory.
    Email(String),
}

/// Who a [`Person`] turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub subject: String,
    /// The e-mail they were found by, as looked up.
    pub email: Option<String>,
}

/// A member with their e-mail, when the directory knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedMember {
    pub member: Member,
    pub email: Option<String>,
}

fn unknown(message: String) -> AppError {
    AppError::Unprocessable {
        code: ErrorCode::UnknownIdentity,
        message,
    }
}

/// The e-mail as the directory keeps it: trimmed, lower case (Kratos stores e-mail
/// identifiers lower-cased and matches them exactly).
fn normalized(email: &str) -> Result<String, AppError> {
    let email = email.trim();
    let fine = email.len() <= MAX_EMAIL
        && !email.chars().any(|c| c.is_control() || c.is_whitespace())
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
    if fine {
        Ok(email.to_lowercase())
    } else {
        Err(AppError::Invalid(tollgate_domain::DomainError::Invalid {
            field: "email",
            reason: format!("`{}` is not an e-mail address", cut(email)),
        }))
    }
}

impl MembershipService {
    /// Whether members can be named by e-mail (an identity directory is configured).
    pub fn resolves_emails(&self) -> bool {
        self.directory.resolves_emails()
    }

    /// The subject `person` names: a subject as it is, an e-mail through the directory.
    ///
    /// # Errors
    /// 422 `unknown_identity` for an e-mail nobody in the directory has (or no directory),
    /// 422 for text that is no e-mail address; `AppError::Port` when the directory fails.
    pub async fn resolve(&self, person: &Person) -> Result<Resolved, AppError> {
        let email = match person {
            Person::Subject(subject) => {
                return Ok(Resolved {
                    subject: subject.trim().to_owned(),
                    email: None,
                });
            }
            Person::Email(email) => email,
        };
        if !self.directory.resolves_emails() {
            return Err(unknown(
                "members are found by e-mail only in Ory Kratos, and no Kratos admin API is \
                 configured (ory.kratos_admin_url): name the member by subject"
                    .to_owned(),
            ));
        }
        let email = normalized(email)?;
        let subject = self
            .directory
            .identity_by_email(&email)
            .await?
            .ok_or_else(|| {
                unknown(format!(
                    "nobody signs in with `{}`: they must have an account (a Kratos \
                     identity) before they can be added",
                    cut(&email)
                ))
            })?;
        Ok(Resolved {
            subject,
            email: Some(email),
        })
    }

    /// Adds `person` as `wanted`, as [`change_member`](Self::change_member) adds a subject:
    /// who was added.
    ///
    /// # Errors
    /// As [`resolve`](Self::resolve) and [`change_member`](Self::change_member).
    pub async fn add_member(
        &self,
        organization: OrganizationId,
        person: &Person,
        wanted: Membership,
        actor: Actor,
        context: &AuditContext,
    ) -> Result<Result<Resolved, TeamRefusal>, AppError> {
        let resolved = self.resolve(person).await?;
        Ok(self
            .change_member(
                organization,
                &resolved.subject,
                MemberWrite::Add(wanted),
                actor,
                context,
            )
            .await?
            .map(|_| resolved))
    }

    /// As [`members`](Self::members), each with the e-mail the directory knows. The e-mails
    /// are a convenience: when the directory fails they are left out (and the failure
    /// logged), the members are still listed.
    ///
    /// # Errors
    /// `AppError::Port` when the members cannot be read.
    pub async fn members_with_emails(
        &self,
        organization: OrganizationId,
        after: Option<String>,
        limit: i64,
    ) -> Result<Vec<ListedMember>, AppError> {
        let members = self.members(organization, after, limit).await?;
        let mut emails = HashMap::new();
        if self.directory.resolves_emails() && !members.is_empty() {
            let ids: Vec<String> = members.iter().map(|m| m.subject.clone()).collect();
            match self.directory.emails_of(&ids).await {
                Ok(found) => emails = found,
                Err(error) => tracing::warn!(
                    error = %error,
                    "the team is listed without e-mails: the identity directory failed"
                ),
            }
        }
        Ok(members
            .into_iter()
            .map(|member| ListedMember {
                email: emails.remove(&member.subject),
                member,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests;
