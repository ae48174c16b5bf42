//! Making someone a member of an organization without silently changing what an existing
//! member may do: a role changes only when the caller says so, and that change is audited
//! apart from a first grant.

use std::sync::Arc;

use tollgate_domain::ErrorCode;
use tollgate_domain::{access::Role, organization::OrganizationId};

use crate::{
    AppError,
    ports::{
        AuditContext, AuditEntry, IdentityDirectory, Membership, MembershipStore, NoDirectory,
    },
};

pub mod people;
pub mod team;
#[cfg(test)]
mod tests;

/// What [`MembershipService::ensure`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembershipOutcome {
    /// `subject` was not a member; it is now, as asked.
    Granted,
    /// `subject` already was a member exactly as asked.
    Unchanged,
    /// `subject` was a member as `previous` and was changed as asked.
    Changed { previous: Membership },
}

/// Whether an existing member's role may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleChange {
    Refuse,
    Allow,
}

pub struct MembershipService {
    store: Arc<dyn MembershipStore>,
    /// Where people are found by e-mail ([`NoDirectory`] unless Kratos's admin API is set).
    directory: Arc<dyn IdentityDirectory>,
}

impl MembershipService {
    /// Members named by subject only.
    pub fn new(store: Arc<dyn MembershipStore>) -> Self {
        Self::with_directory(store, Arc::new(NoDirectory))
    }

    /// Members also found (and shown) by e-mail through `directory`.
    pub fn with_directory(
        store: Arc<dyn MembershipStore>,
        directory: Arc<dyn IdentityDirectory>,
    ) -> Self {
        Self { store, directory }
    }

    /// Makes `subject` a member of `organization` as `wanted` when it is not one yet. An
    /// existing member with another role (or customer) keeps it unless `change` allows the
    /// change: tokens already handed to that subject must not lose or gain rights by accident.
    ///
    /// # Errors
    /// `AppError::Conflict` (`membership_exists`) for a member with another role when
    /// `change` is `Refuse`; `AppError::Port` when the store cannot be reached.
    pub async fn ensure(
        &self,
        organization: OrganizationId,
        subject: &str,
        wanted: &Membership,
        change: RoleChange,
        context: &AuditContext,
    ) -> Result<MembershipOutcome, AppError> {
        if wanted.role == Role::Customer && wanted.customer.is_none() {
            return Err(AppError::Unprocessable {
                code: ErrorCode::CustomerRequired,
                message: "a customer member needs the customer it belongs to".into(),
            });
        }
        let target = Some(format!("user:{subject}"));
        match self.store.membership(organization, subject).await? {
            None => {
                let entry = AuditEntry::success(context, "membership.grant", target);
                self.store
                    .grant(organization, subject, wanted, &entry)
                    .await?;
                Ok(MembershipOutcome::Granted)
            }
            Some(current) if current == *wanted => Ok(MembershipOutcome::Unchanged),
            Some(current) if change == RoleChange::Refuse => Err(AppError::Conflict {
                code: ErrorCode::MembershipExists,
                message: format!(
                    "{} is already {}; changing it to {} must be asked for explicitly",
                    tollgate_domain::error::cut(subject),
                    describe(&current),
                    describe(wanted)
                ),
            }),
            Some(previous) => {
                let entry = AuditEntry::success(
                    context,
                    "membership.role_change",
                    Some(format!(
                        "user:{subject} ({} -> {})",
                        describe(&previous),
                        describe(wanted)
                    )),
                );
                self.store
                    .grant(organization, subject, wanted, &entry)
                    .await?;
                Ok(MembershipOutcome::Changed { previous })
            }
        }
    }
}

/// `owner`, or `customer of acme` for a customer member.
pub fn describe(membership: &Membership) -> String {
    match &membership.customer {
        Some(customer) => format!("{} of {customer}", membership.role.as_str()),
        None => membership.role.as_str().to_owned(),
    }
}
