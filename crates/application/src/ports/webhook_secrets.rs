//! The shared secrets inbound webhooks authenticate with, each owned by one organization.

use async_trait::async_trait;
use tollgate_domain::{organization::OrganizationId, webhook_secret::SecretDigest};

use crate::PortError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSecret {
    pub organization: OrganizationId,
    pub digest: SecretDigest,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookSecretStore: Send + Sync {
    /// Every secret that is not revoked.
    ///
    /// # Errors
    /// `PortError::Unavailable` when the database cannot be reached in time.
    async fn active_secrets(&self) -> Result<Vec<WebhookSecret>, PortError>;
}
