//! Organization settings, LiteLLM webhook secret management, and name resolution for the
//! outbound-URL checks.

use std::net::IpAddr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tollgate_domain::{
    organization::OrganizationId,
    settings::{OrganizationSettings, SettingsField},
    webhook_secret::SecretDigest,
};
use uuid::Uuid;

use super::{AuditEntry, CreationKey};
use crate::PortError;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// The organization's settings (defaults when never set).
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn get(&self, organization: OrganizationId) -> Result<OrganizationSettings, PortError>;

    /// Writes `fields` of `settings` with the audit record, leaving the other fields as stored
    /// (all of `settings` when nothing is stored yet).
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn put(
        &self,
        organization: OrganizationId,
        settings: &OrganizationSettings,
        fields: &[SettingsField],
        audit: &AuditEntry,
    ) -> Result<(), PortError>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait HostResolver: Send + Sync {
    /// Every address `host` resolves to.
    ///
    /// # Errors
    /// `PortError::Unavailable` when the name cannot be resolved.
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<IpAddr>, PortError>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSecretRecord {
    pub id: Uuid,
    pub label: String,
    pub display_prefix: String,
    pub created_at: DateTime<Utc>,
    /// Set on a rotated secret: it keeps working until then.
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhookSecret {
    pub id: Uuid,
    pub label: String,
    pub display_prefix: String,
    pub digest: SecretDigest,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookSecretAdmin: Send + Sync {
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn list(
        &self,
        organization: OrganizationId,
    ) -> Result<Vec<WebhookSecretRecord>, PortError>;

    /// At most `limit` secrets created after `after`, oldest first.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn page(
        &self,
        organization: OrganizationId,
        after: Option<CreationKey>,
        limit: i64,
    ) -> Result<Vec<WebhookSecretRecord>, PortError>;

    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn create(
        &self,
        organization: OrganizationId,
        secret: &NewWebhookSecret,
        audit: &AuditEntry,
    ) -> Result<WebhookSecretRecord, PortError>;

    /// Adds `replacement` and lets the active secret `id` expire at `old_expires_at`; `None`
    /// when the organization has no such active secret.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn rotate(
        &self,
        organization: OrganizationId,
        id: Uuid,
        replacement: &NewWebhookSecret,
        old_expires_at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Option<WebhookSecretRecord>, PortError>;

    /// `false` when the organization has no such secret.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn revoke(
        &self,
        organization: OrganizationId,
        id: Uuid,
        audit: &AuditEntry,
    ) -> Result<bool, PortError>;
}
