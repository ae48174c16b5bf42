//! Organization settings and LiteLLM webhook secrets, changed by owners and admins.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use rand::RngCore;
use tollgate_domain::{
    DomainError,
    organization::OrganizationId,
    settings::{OrganizationSettings, is_public_address, webhook_target},
    webhook_secret::{SecretDigest, display_prefix, rotated_label},
};
use uuid::Uuid;

use crate::{
    AppError, PortError,
    ports::{
        AuditContext, AuditEntry, CreationKey, HostResolver, NewWebhookSecret, SettingsStore,
        WebhookSecretAdmin, WebhookSecretRecord,
    },
};

/// The most LiteLLM secrets one call lists.
pub const MAX_PAGE: i64 = 1000;

pub struct SettingsService {
    store: Arc<dyn SettingsStore>,
    resolver: Arc<dyn HostResolver>,
    secrets: Arc<dyn WebhookSecretAdmin>,
}

/// A new LiteLLM secret: the record, and the secret text shown this once.
pub struct CreatedWebhookSecret {
    pub record: WebhookSecretRecord,
    pub secret: String,
}

impl SettingsService {
    pub fn new(
        store: Arc<dyn SettingsStore>,
        resolver: Arc<dyn HostResolver>,
        secrets: Arc<dyn WebhookSecretAdmin>,
    ) -> Self {
        Self {
            store,
            resolver,
            secrets,
        }
    }

    /// # Errors
    /// `AppError::Port` when the store fails.
    pub async fn get(
        &self,
        organization: OrganizationId,
    ) -> Result<OrganizationSettings, AppError> {
        Ok(self.store.get(organization).await?)
    }

    /// Replaces the settings after checking every outbound URL resolves to public addresses
    /// only (no SSRF into Tollgate's own network).
    ///
    /// # Errors
    /// `AppError::Invalid` for an unsafe URL or thresholds out of order; `AppError::Port`.
    pub async fn put(
        &self,
        organization: OrganizationId,
        settings: OrganizationSettings,
        context: &AuditContext,
    ) -> Result<OrganizationSettings, AppError> {
        for url in &settings.webhook_urls {
            let (host, port) = webhook_target(url)?;
            let addresses = match self.resolver.resolve(&host, port).await {
                Ok(addresses) if !addresses.is_empty() => addresses,
                Ok(_) | Err(PortError::Unavailable { .. }) => {
                    return Err(DomainError::UnsafeUrl {
                        url: url.clone(),
                        reason: "the host name does not resolve".into(),
                    }
                    .into());
                }
                Err(other) => return Err(other.into()),
            };
            if addresses.iter().any(|ip| !is_public_address(*ip)) {
                return Err(DomainError::UnsafeUrl {
                    url: url.clone(),
                    reason: "the host resolves to a non-public address".into(),
                }
                .into());
            }
        }
        if settings.alert_thresholds.windows(2).any(|w| w[0] >= w[1]) {
            return Err(DomainError::Invalid {
                field: "alert_thresholds",
                reason: "must be strictly ascending".into(),
            }
            .into());
        }
        let audit = AuditEntry::success(context, "settings.update", Some("settings".into()));
        self.store.put(organization, &settings, &audit).await?;
        Ok(settings)
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
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::ports::{MockHostResolver, MockSettingsStore, MockWebhookSecretAdmin};

    fn service(resolver: MockHostResolver, store: MockSettingsStore) -> SettingsService {
        SettingsService::new(
            Arc::new(store),
            Arc::new(resolver),
            Arc::new(MockWebhookSecretAdmin::new()),
        )
    }

    fn with_url(url: &str) -> OrganizationSettings {
        OrganizationSettings {
            webhook_urls: vec![url.to_owned()],
            ..OrganizationSettings::default()
        }
    }

    fn resolving_to(addresses: &'static [&'static str]) -> MockHostResolver {
        let mut resolver = MockHostResolver::new();
        resolver.expect_resolve().returning(move |_, _| {
            Ok(addresses
                .iter()
                .map(|a| a.parse::<IpAddr>().unwrap())
                .collect())
        });
        resolver
    }

    #[tokio::test]
    async fn secret_pages_resume_after_the_key_given_and_are_bounded() {
        let organization = OrganizationId::new();
        let after = CreationKey {
            created_at: Utc::now(),
            id: Uuid::new_v4(),
        };
        let mut secrets = MockWebhookSecretAdmin::new();
        secrets
            .expect_page()
            .withf(move |org, key, limit| {
                *org == organization && *key == Some(after) && *limit == MAX_PAGE
            })
            .times(1)
            .returning(|_, _, _| Ok(vec![]));
        let service = SettingsService::new(
            Arc::new(MockSettingsStore::new()),
            Arc::new(MockHostResolver::new()),
            Arc::new(secrets),
        );
        let page = service
            .list_secrets(organization, Some(after), 5_000)
            .await
            .unwrap();
        assert!(page.is_empty());
    }

    #[tokio::test]
    async fn names_that_resolve_inside_the_network_are_refused_and_nothing_is_written() {
        let mut store = MockSettingsStore::new();
        store.expect_put().never();
        let service = service(resolving_to(&["93.184.216.34", "10.0.0.7"]), store);

        let result = service
            .put(
                OrganizationId::new(),
                with_url("https://rebind.example.com/hook"),
                &AuditContext::default(),
            )
            .await;
        assert!(matches!(
            result,
            Err(AppError::Invalid(DomainError::UnsafeUrl { .. }))
        ));
    }

    #[tokio::test]
    async fn public_https_targets_are_saved_with_an_audit_record() {
        let mut store = MockSettingsStore::new();
        store
            .expect_put()
            .withf(|_, settings, audit| {
                settings.webhook_urls.len() == 1 && audit.action == "settings.update"
            })
            .times(1)
            .returning(|_, _, _| Ok(()));
        let service = service(resolving_to(&["93.184.216.34"]), store);

        service
            .put(
                OrganizationId::new(),
                with_url("https://hooks.example.com/tollgate"),
                &AuditContext::default(),
            )
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn unresolvable_and_literal_internal_targets_are_refused_before_resolving() {
        let mut resolver = MockHostResolver::new();
        resolver
            .expect_resolve()
            .returning(|_, _| Err(PortError::unavailable("dns", "NXDOMAIN")));
        let service = service(resolver, MockSettingsStore::new());
        for url in [
            "https://nowhere.invalid/",
            "https://169.254.169.254/",
            "http://x.example/",
        ] {
            let result = service
                .put(
                    OrganizationId::new(),
                    with_url(url),
                    &AuditContext::default(),
                )
                .await;
            assert!(matches!(result, Err(AppError::Invalid(_))), "{url}");
        }
    }
}
