//! Stored events one by one, newest first: the event list and an event's detail (support's
//! "what happened to this call").

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tollgate_domain::organization::OrganizationId;

use super::{ExportCursor, ExportRow};
use crate::PortError;

/// Which events a list shows: each given filter must match (all of them when none is).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub customer: Option<String>,
    /// LiteLLM's model group.
    pub model: Option<String>,
    /// `success` or `failure`.
    pub status: Option<String>,
    pub key_alias: Option<String>,
    /// Occurred at or after.
    pub from: Option<DateTime<Utc>>,
    /// Occurred before.
    pub to: Option<DateTime<Utc>>,
}

/// Where an event stands with one delivery target (the outbox row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDelivery {
    /// `embedded_meter`, `openmeter`, `lago`.
    pub target: String,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Everything kept of one event: its fields and its deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDetail {
    pub event: ExportRow,
    pub deliveries: Vec<EventDelivery>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EventLog: Send + Sync {
    /// At most `limit` events matching `filter` that come before `before` in (occurred_at, id)
    /// order (from the newest when `None`), newest first.
    ///
    /// # Errors
    /// `PortError` when the store cannot be read.
    async fn recent(
        &self,
        organization: OrganizationId,
        filter: &EventFilter,
        before: Option<ExportCursor>,
        limit: i64,
    ) -> Result<Vec<ExportRow>, PortError>;

    /// The organization's event `id`; `None` for an unknown id or another organization's.
    ///
    /// # Errors
    /// `PortError` when the store cannot be read.
    async fn event(
        &self,
        organization: OrganizationId,
        id: i64,
    ) -> Result<Option<EventDetail>, PortError>;
}
