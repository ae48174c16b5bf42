//! Organization settings and LiteLLM webhook secrets, changed by owners and admins.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use rand::RngCore;
use tollgate_domain::{
    DomainError,
    organization::OrganizationId,
    settings::{OrganizationSettings, SettingsField},
    webhook_secret::{SecretDigest, display_prefix, rotated_label},
};
use uuid::Uuid;

use crate::{
    AppError,
    ports::{
        AuditContext, AuditEntry, CreationKey, NewWebhookSecret, SettingsStore, WebhookSecretAdmin,
        WebhookSecretRecord,
    },
};

/// The most LiteLLM secrets one call lists.
pub const MAX_PAGE: i64 = 1000;

pub struct SettingsService {
    store: Arc<dyn SettingsStore>,
    secrets: Arc<dyn WebhookSecretAdmin>,
}

/// A new LiteLLM secret: the record, and the secret text shown this once.
pub struct CreatedWebhookSecret {
    pub record: WebhookSecretRecord,
    pub secret: String,
}

impl SettingsService {
    pub fn new(store: Arc<dyn SettingsStore>, secrets: Arc<dyn WebhookSecretAdmin>) -> Self {
        Self { store, secrets }
    }

    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn get(
        &self,
        organization: OrganizationId,
    ) -> Result<OrganizationSettings, AppError> {
        Ok(self.store.get(organization).await?)
    }

    /// Replaces the whole settings document.
    ///
    /// # Errors
    /// As [`SettingsService::patch`].
    pub async fn put(
        &self,
        organization: OrganizationId,
        settings: OrganizationSettings,
        context: &AuditContext,
    ) -> Result<OrganizationSettings, AppError> {
        self.write(organization, settings, &SettingsField::ALL, context)
            .await
    }

    /// Writes `fields` of `settings` (the stored document with a merge patch applied) and
    /// leaves the others as stored, so that two changes of different fields at once both
    /// stay. The whole document is checked first, as a replacement would be.
    ///
    /// # Errors
    /// `AppError::Invalid` for thresholds out of order; `AppError::Port`.
    pub async fn patch(
        &self,
        organization: OrganizationId,
        settings: OrganizationSettings,
        fields: &[SettingsField],
        context: &AuditContext,
    ) -> Result<OrganizationSettings, AppError> {
        self.write(organization, settings, fields, context).await
    }

    /// Checks `settings`, then writes `fields` of it with an audit record naming the fields
    /// whose values change; answers the settings as stored then.
    async fn write(
        &self,
        organization: OrganizationId,
        settings: OrganizationSettings,
        fields: &[SettingsField],
        context: &AuditContext,
    ) -> Result<OrganizationSettings, AppError> {
        Self::check(&settings)?;
        let current = self.store.get(organization).await?;
        let changed: Vec<&str> = current
            .changed_fields(&settings)
            .into_iter()
            .filter(|field| fields.contains(field))
            .map(SettingsField::as_str)
            .collect();
        let target = match changed.as_slice() {
            [] => "settings".to_owned(),
            names => format!("settings:{}", names.join(",")),
        };
        let audit = AuditEntry::success(context, "settings.update", Some(target));
        self.store
            .put(organization, &settings, fields, &audit)
            .await?;
        Ok(self.store.get(organization).await?)
    }

    /// Thresholds must ascend.
    fn check(settings: &OrganizationSettings) -> Result<(), AppError> {
        if settings.alert_thresholds.windows(2).any(|w| w[0] >= w[1]) {
            return Err(DomainError::Invalid {
                field: "alert_thresholds",
                reason: "must be strictly ascending".into(),
            }
            .into());
        }
        Ok(())
    }

    /// At most `limit` (1 to [`MAX_PAGE`]) secrets created after `after`, oldest first.
    ///
    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn list_secrets(
        &self,
        organization: OrganizationId,
        after: Option<CreationKey>,
        limit: i64,
    ) -> Result<Vec<WebhookSecretRecord>, AppError> {
        Ok(self
            .secrets
            .page(organization, after, limit.clamp(1, MAX_PAGE))
            .await?)
    }

    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn create_secret(
        &self,
        organization: OrganizationId,
        label: &str,
        context: &AuditContext,
    ) -> Result<CreatedWebhookSecret, AppError> {
        let (new, secret) = new_secret(label);
        let audit = AuditEntry::success(
            context,
            "litellm_secret.create",
            Some(format!("litellm_secret:{}", new.id)),
        );
        let record = self.secrets.create(organization, &new, &audit).await?;
        Ok(CreatedWebhookSecret { record, secret })
    }

    /// Makes a replacement; the old secret keeps working for `overlap`, long enough to update
    /// LiteLLM's configuration without losing a batch.
    ///
    /// # Errors
    /// `AppError::Port` when the store fails. `Ok(None)` for an unknown or inactive id.
    pub async fn rotate_secret(
        &self,
        organization: OrganizationId,
        id: Uuid,
        overlap: Duration,
        context: &AuditContext,
    ) -> Result<Option<CreatedWebhookSecret>, AppError> {
        let old = self
            .secrets
            .list(organization)
            .await?
            .into_iter()
            .find(|s| s.id == id && s.revoked_at.is_none())
            .map(|s| s.label);
        let Some(label) = old else { return Ok(None) };
        let now = Utc::now();
        let (new, secret) = new_secret(&rotated_label(&label, now));
        let until = now + chrono::Duration::from_std(overlap).unwrap_or_default();
        let audit = AuditEntry::success(
            context,
            "litellm_secret.rotate",
            Some(format!("litellm_secret:{id}")),
        );
        Ok(self
            .secrets
            .rotate(organization, id, &new, until, &audit)
            .await?
            .map(|record| CreatedWebhookSecret { record, secret }))
    }

    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn revoke_secret(
        &self,
        organization: OrganizationId,
        id: Uuid,
        context: &AuditContext,
    ) -> Result<bool, AppError> {
        let audit = AuditEntry::success(
            context,
            "litellm_secret.revoke",
            Some(format!("litellm_secret:{id}")),
        );
        Ok(self.secrets.revoke(organization, id, &audit).await?)
    }
}

/// A new LiteLLM webhook secret: `whsec_` and 32 random bytes in hex, the one format of every
/// secret Tollgate makes (at first start too).
pub fn generate_webhook_secret() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

fn new_secret(label: &str) -> (NewWebhookSecret, String) {
    let secret = generate_webhook_secret();
    let new = NewWebhookSecret {
        id: Uuid::now_v7(),
        label: label.to_owned(),
        display_prefix: display_prefix(&secret),
        digest: SecretDigest::of(&secret),
    };
    (new, secret)
}

#[cfg(test)]
mod tests;
