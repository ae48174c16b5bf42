//! Taking usage events and budget alerts from LiteLLM: authenticate the sender, keep what is
//! usable, quarantine what is not, and store both durably before the answer goes back.

mod authentication;
mod group_commit;
mod recent_keys;

use std::{sync::Arc, time::Duration};

use tollgate_domain::QuarantineCode;
use tollgate_domain::{alert::BudgetAlert, organization::OrganizationId, usage::EventPayload};
use tracing::instrument;

pub use self::group_commit::{CommitObserver, GroupCommit, GroupCommitSettings};
use self::{authentication::SecretCache, recent_keys::RecentKeys};
use crate::{
    AppError,
    ports::{
        BudgetAlertStore, IncomingEvent, IngestBatch, QuarantinedEvent, StoredOrDuplicate,
        UsageEventStore, WebhookSecret, WebhookSecretStore,
    },
};

/// One event of a request after decoding: usable, or not with the reason why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "events move straight into a Vec; a Box per event would only add allocations"
)]
pub enum DecodedEvent {
    Valid(EventPayload),
    Rejected(RejectedEvent),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedEvent {
    /// Stable, machine-readable reason (`missing_call_id`, `negative_tokens`...).
    pub code: QuarantineCode,
    pub message: String,
    /// Minimized JSON text of the event, as it will be kept in the quarantine.
    pub content: String,
    /// SHA-256 of the event's bytes as received: a re-sent batch quarantines nothing twice.
    pub fingerprint: [u8; 32],
}

/// What happened to each event of a request; every one of them is durable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    pub accepted: usize,
    pub duplicates: usize,
    pub quarantined: Vec<QuarantinedReport>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedReport {
    pub index: usize,
    pub code: QuarantineCode,
    pub message: String,
}

pub struct WebhookService {
    events: Arc<dyn UsageEventStore>,
    alerts: Arc<dyn BudgetAlertStore>,
    secrets: SecretCache,
    recent_keys: RecentKeys,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Secrets from configuration, checked alongside the stored ones.
    pub configured_secrets: Vec<WebhookSecret>,
    /// How often stored secrets are re-read.
    pub secret_refresh: Duration,
    /// Committed idempotency keys remembered per generation (two generations), so replays are
    /// answered without the database; 0 turns this off.
    pub recent_keys: usize,
}

impl WebhookService {
    pub fn new(
        events: Arc<dyn UsageEventStore>,
        alerts: Arc<dyn BudgetAlertStore>,
        secret_store: Arc<dyn WebhookSecretStore>,
        settings: WebhookSettings,
    ) -> Self {
        Self {
            events,
            alerts,
            secrets: SecretCache::new(
                secret_store,
                settings.configured_secrets,
                settings.secret_refresh,
            ),
            recent_keys: RecentKeys::new(settings.recent_keys),
        }
    }

    /// The organization a presented webhook secret belongs to.
    ///
    /// # Errors
    /// `AppError::Unauthorized` when no active secret matches; `AppError::Port` when the stored
    /// secrets cannot be read and none were read before.
    #[instrument(skip_all)]
    pub async fn authenticate(&self, presented_secret: &str) -> Result<OrganizationId, AppError> {
        self.secrets.organization_for(presented_secret).await
    }

    /// Makes the next authentication re-read the stored secrets (after one was created,
    /// rotated or revoked here; other replicas follow within the refresh interval).
    pub async fn forget_stored_secrets(&self) {
        self.secrets.forget().await;
    }

    /// Stores the usable events (once per idempotency key) and quarantines the rest, in one
    /// transaction.
    ///
    /// # Errors
    /// `AppError::Port` when the store fails; then nothing of the request was written.
    #[instrument(skip_all, fields(organization = %organization, events = decoded.len()))]
    pub async fn ingest_usage(
        &self,
        organization: OrganizationId,
        decoded: Vec<DecodedEvent>,
    ) -> Result<IngestReport, AppError> {
        let mut batch = IngestBatch::default();
        let mut quarantined = Vec::new();
        let mut known_duplicates = 0;
        for (index, event) in decoded.into_iter().enumerate() {
            match event {
                DecodedEvent::Valid(payload)
                    if self
                        .recent_keys
                        .contains(organization, &payload.idempotency_key) =>
                {
                    known_duplicates += 1;
                }
                DecodedEvent::Valid(payload) => batch.events.push(IncomingEvent {
                    organization,
                    payload,
                }),
                DecodedEvent::Rejected(rejected) => {
                    quarantined.push(QuarantinedReport {
                        index,
                        code: rejected.code,
                        message: rejected.message.clone(),
                    });
                    batch.quarantined.push(QuarantinedEvent {
                        organization,
                        batch_index: u32::try_from(index).unwrap_or(u32::MAX),
                        reason_code: rejected.code,
                        reason: rejected.message,
                        content: rejected.content,
                        fingerprint: rejected.fingerprint,
                    });
                }
            }
        }
        if batch.is_empty() {
            return Ok(IngestReport {
                duplicates: known_duplicates,
                ..IngestReport::default()
            });
        }
        let keys: Vec<_> = batch
            .events
            .iter()
            .map(|e| e.payload.idempotency_key.clone())
            .collect();
        let receipt = self.events.ingest(batch).await?;
        self.recent_keys.remember(organization, &keys);
        let accepted = receipt
            .newly_stored
            .iter()
            .filter(|stored| **stored)
            .count();
        Ok(IngestReport {
            accepted,
            duplicates: receipt.newly_stored.len() - accepted + known_duplicates,
            quarantined,
        })
    }

    /// Stores a budget alert once per organization, kind, entity and day.
    ///
    /// # Errors
    /// `AppError::Port` when the store fails.
    #[instrument(skip_all, fields(organization = %organization, kind = alert.kind.as_str()))]
    pub async fn record_alert(
        &self,
        organization: OrganizationId,
        alert: &BudgetAlert,
    ) -> Result<StoredOrDuplicate, AppError> {
        Ok(self.alerts.record(organization, alert).await?)
    }
}

#[cfg(test)]
mod tests;
