//! Durable storage of usage events, their delivery outbox and the quarantine.

use async_trait::async_trait;
use tollgate_domain::{alert::BudgetAlert, organization::OrganizationId, usage::EventPayload};

use crate::PortError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingEvent {
    pub organization: OrganizationId,
    pub payload: EventPayload,
}

/// Valid JSON that could not become a usage event, kept so nothing acknowledged is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedEvent {
    pub organization: OrganizationId,
    /// Position of the event in the request that carried it.
    pub batch_index: u32,
    pub reason_code: tollgate_domain::QuarantineCode,
    pub reason: String,
    /// Minimized JSON text of what arrived: never prompts, completions, headers or addresses.
    pub content: String,
    /// Identifies the entry across retries: stored once per organization.
    pub fingerprint: [u8; 32],
}

/// Everything one or more requests hand over to be stored at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestBatch {
    pub events: Vec<IncomingEvent>,
    pub quarantined: Vec<QuarantinedEvent>,
}

impl IngestBatch {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.quarantined.is_empty()
    }
}

/// For each event of an [`IngestBatch`], in order: `true` when it was stored now, `false` when
/// the same (organization, idempotency key) was already stored, or appears earlier in the batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReceipt {
    pub newly_stored: Vec<bool>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UsageEventStore: Send + Sync {
    /// Stores the new events, one outbox row per new event and enabled delivery target, and the
    /// quarantined entries, all in one transaction: when this returns `Ok`, all of it is durable;
    /// when it returns `Err`, none of it was written.
    ///
    /// # Errors
    /// `PortError::Unavailable` when the database cannot be reached in time (the caller should
    /// ask the sender to retry), `PortError::Internal` otherwise.
    async fn ingest(&self, batch: IngestBatch) -> Result<IngestReceipt, PortError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredOrDuplicate {
    Stored,
    Duplicate,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait BudgetAlertStore: Send + Sync {
    /// Stores the alert once per organization, kind, entity and day.
    ///
    /// # Errors
    /// `PortError::Unavailable` when the database cannot be reached in time.
    async fn record(
        &self,
        organization: OrganizationId,
        alert: &BudgetAlert,
    ) -> Result<StoredOrDuplicate, PortError>;
}
