//! Where the dashboard's sessions and one-time sign-in links are kept. Only digests of their
//! secrets are stored: a copy of the store opens nothing.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tollgate_domain::{access::Role, organization::OrganizationId};

use crate::PortError;
use crate::ports::AuditEntry;

/// How a person signed in to the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInMethod {
    /// An access token pasted into the sign-in form.
    Token,
    /// A one-time link printed by `tollgate dev-login`.
    DevLink,
    /// Ory Kratos's browser login flow.
    Kratos,
    /// A customer's portal link (`POST /api/billing/customers/{id}/portal-links`): no account,
    /// the link's customer only.
    PortalLink,
}

impl SignInMethod {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::DevLink => "dev_link",
            Self::Kratos => "kratos",
            Self::PortalLink => "portal_link",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Token, Self::DevLink, Self::Kratos, Self::PortalLink]
            .into_iter()
            .find(|method| method.as_str() == text)
    }
}

/// Who a session or a sign-in link is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionHolder {
    pub organization: OrganizationId,
    pub subject: String,
    /// The role found when the person signed in; every page asks again.
    pub role: Role,
    /// The customer a customer member belongs to.
    pub customer: Option<String>,
}

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSessionRecord {
    pub holder: SessionHolder,
    pub method: SignInMethod,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebSessionStore: Send + Sync {
    /// Stores a new session under `digest` with its audit record, in one transaction.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn insert(
        &self,
        digest: &[u8; 32],
        holder: &SessionHolder,
        method: SignInMethod,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), PortError>;

    /// The live session under `digest`, its `last_seen_at` moved to `now`: none when it is
    /// unknown, revoked, idle since before `idle_since` or begun before `begun_after`.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn touch(
        &self,
        digest: &[u8; 32],
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
        begun_after: DateTime<Utc>,
    ) -> Result<Option<WebSessionRecord>, PortError>;

    /// Revokes the session under `digest` with its audit record; `false` when there was no
    /// live session to revoke (nothing is written then).
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn revoke(
        &self,
        digest: &[u8; 32],
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<bool, PortError>;

    /// Stores a one-time sign-in link under `digest`, usable until `expires_at`.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn insert_link(
        &self,
        digest: &[u8; 32],
        holder: &SessionHolder,
        expires_at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), PortError>;

    /// Marks the link under `digest` used and answers whom it is for; none when it is
    /// unknown, used already or expired at `now`. Two redemptions of one link: one wins.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn redeem_link(
        &self,
        digest: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<SessionHolder>, PortError>;
}
