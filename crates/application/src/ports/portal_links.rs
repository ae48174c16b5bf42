//! One-time links into a customer's portal: only a SHA-256 of each link's token is kept.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tollgate_domain::{organization::OrganizationId, webhook_secret::SecretDigest};
use uuid::Uuid;

use super::{AuditContext, AuditEntry};
use crate::PortError;

/// A link to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPortalLink {
    pub id: Uuid,
    /// The billing customer's id.
    pub customer: Uuid,
    pub digest: SecretDigest,
    pub return_url: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// A link just redeemed: whose portal it opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedeemedPortalLink {
    pub id: Uuid,
    pub organization: OrganizationId,
    /// The customer's external id (what usage and invoices name it by).
    pub customer: String,
    pub return_url: Option<String>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PortalLinkStore: Send + Sync {
    /// Stores `link` with its audit record; `false` (nothing written) when the organization
    /// has no such customer.
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn create(
        &self,
        organization: OrganizationId,
        link: &NewPortalLink,
        audit: &AuditEntry,
    ) -> Result<bool, PortError>;

    /// Marks the unredeemed, unexpired (at `now`) link with this digest redeemed and records
    /// `portal_link.redeem` (the link as the actor, `context`'s request id and address) in the
    /// same transaction. `None` for an unknown, used or expired token: a token works once.
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn redeem(
        &self,
        digest: &SecretDigest,
        now: DateTime<Utc>,
        context: &AuditContext,
    ) -> Result<Option<RedeemedPortalLink>, PortError>;

    /// Where the portal opened by link `id` sends its visitor back: the link's `return_url`,
    /// if it had one (the link may be spent; the visit it opened lasts longer).
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn return_url(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<String>, PortError>;
}
