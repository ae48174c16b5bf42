//! The team settings: list the organization's members, add one, change a member's role,
//! remove one. Only an owner grants, changes or removes an owner; the last owner stays one
//! (409 `last_owner`); every change is audited with the change itself, atomically with these
//! checks (the store makes them under its lock).

use tollgate_domain::{
    DomainError, ErrorCode, access::Role, error::cut, organization::OrganizationId,
};

use super::{MembershipService, describe};
use crate::{
    AppError,
    ports::{AuditContext, AuditEntry, Member, MemberOutcome, MemberWrite, Membership},
};

/// The most members one page lists.
pub const MAX_PAGE: i64 = 500;
/// The longest subject kept (Kratos identities are UUIDs; e-mail addresses fit too).
pub const MAX_SUBJECT: usize = 255;

/// Who asks for a change: owners may touch owners, nobody else may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Person(Role),
    ApiKey,
}

impl Actor {
    fn is_owner(self) -> bool {
        self == Self::Person(Role::Owner)
    }
}

fn checked_subject(subject: &str) -> Result<(), AppError> {
    let fine = !subject.trim().is_empty()
        && subject.len() <= MAX_SUBJECT
        && !subject.chars().any(char::is_control);
    if fine {
        Ok(())
    } else {
        Err(AppError::Invalid(DomainError::Invalid {
            field: "subject",
            reason: format!(
                "must be 1 to {MAX_SUBJECT} characters without control characters, not `{}`",
                cut(subject)
            ),
        }))
    }
}

/// A customer's member names its customer; nobody else does.
fn checked_membership(membership: &Membership) -> Result<(), AppError> {
    match (membership.role, &membership.customer) {
        (Role::Customer, None) => Err(AppError::Unprocessable {
            code: ErrorCode::CustomerRequired,
            message: "a customer member needs the customer it belongs to".into(),
        }),
        (Role::Customer, Some(_)) | (_, None) => Ok(()),
        (role, Some(_)) => Err(AppError::Invalid(DomainError::Invalid {
            field: "customer",
            reason: format!("only a customer member names a customer, not a {role}"),
        })),
    }
}

impl MembershipService {
    /// At most `limit` (1 to [`MAX_PAGE`]) members after `after`, by subject.
    ///
    /// # Errors
    /// `AppError::Port` when the members cannot be read.
    pub async fn members(
        &self,
        organization: OrganizationId,
        after: Option<String>,
        limit: i64,
    ) -> Result<Vec<Member>, AppError> {
        Ok(self
            .store
            .members(organization, after, limit.clamp(1, MAX_PAGE))
            .await?)
    }

    /// Applies `write` to `subject` for `actor`: the member's previous membership (`None`
    /// for an added member), or why the change is refused in the route's own terms.
    ///
    /// # Errors
    /// 422 for a bad subject or membership, 409 `membership_exists` (adding a member) or
    /// `last_owner`; `AppError::Port` when the store fails.
    pub async fn change_member(
        &self,
        organization: OrganizationId,
        subject: &str,
        write: MemberWrite,
        actor: Actor,
        context: &AuditContext,
    ) -> Result<Result<Option<Membership>, TeamRefusal>, AppError> {
        checked_subject(subject)?;
        let (action, target) = match &write {
            MemberWrite::Add(wanted) => {
                checked_membership(wanted)?;
                (
                    "membership.grant",
                    format!("user:{subject} as {}", describe(wanted)),
                )
            }
            MemberWrite::Update(wanted) => {
                checked_membership(wanted)?;
                (
                    "membership.role_change",
                    format!("user:{subject} -> {}", describe(wanted)),
                )
            }
            MemberWrite::Remove => ("membership.revoke", format!("user:{subject}")),
        };
        let audit = AuditEntry::success(context, action, Some(target));
        let outcome = self
            .store
            .write(organization, subject, &write, actor.is_owner(), &audit)
            .await?;
        Ok(match outcome {
            MemberOutcome::Done { previous } => Ok(previous),
            MemberOutcome::NotMember => Err(TeamRefusal::NotMember),
            MemberOutcome::OwnerOnly => Err(TeamRefusal::OwnerOnly),
            MemberOutcome::Exists(current) => {
                return Err(AppError::Conflict {
                    code: ErrorCode::MembershipExists,
                    message: format!(
                        "{} is already a member ({}): change its role with PATCH",
                        cut(subject),
                        describe(&current)
                    ),
                });
            }
            MemberOutcome::LastOwner => {
                return Err(AppError::Conflict {
                    code: ErrorCode::LastOwner,
                    message: "this is the organization's last owner: make another member \
                              owner first"
                        .into(),
                });
            }
        })
    }
}

/// A change refused for a reason the route answers in its own terms (404, 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamRefusal {
    NotMember,
    OwnerOnly,
}
