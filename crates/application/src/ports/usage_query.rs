//! Reading metered usage back: the embedded rollups or OpenMeter, behind one trait.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tollgate_domain::{metering::Meter, organization::OrganizationId};

use crate::PortError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Minute,
    Hour,
    Day,
}

impl Window {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::Day => "day",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Model,
    Customer,
    Key,
    Team,
    Provider,
    Status,
}

impl GroupBy {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Customer => "customer",
            Self::Key => "key",
            Self::Team => "team",
            Self::Provider => "provider",
            Self::Status => "status",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageQuery {
    /// Inclusive start, exclusive end.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub window: Window,
    /// IANA name the windows are aligned to (`UTC`, `Europe/Paris`...).
    pub time_zone: String,
    pub group_by: Option<GroupBy>,
    pub customer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsagePoint {
    pub window_start: DateTime<Utc>,
    pub value: Decimal,
}

/// One meter's time series, for one group when grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageSeries {
    pub meter: Meter,
    /// The group's value (model name, customer id...); `None` when not grouped, empty text
    /// for events without that attribute.
    pub group: Option<String>,
    pub points: Vec<UsagePoint>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UsageReader: Send + Sync {
    /// Every meter's series over the query's range; windows without usage are absent.
    ///
    /// # Errors
    /// `PortError` when the store cannot be read.
    async fn usage(
        &self,
        organization: OrganizationId,
        query: &UsageQuery,
    ) -> Result<Vec<UsageSeries>, PortError>;
}

/// What LiteLLM calls its API keys: meters group by the key's SHA-256, which stays the same
/// when the key is renamed; people know keys by their alias.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait KeyAliases: Send + Sync {
    /// The alias LiteLLM last sent for each of `hashes`; keys it never named are absent.
    ///
    /// # Errors
    /// `PortError` when the store cannot be read.
    async fn aliases(
        &self,
        organization: OrganizationId,
        hashes: &[String],
    ) -> Result<BTreeMap<String, String>, PortError>;
}

/// One stored event as exported: every field Tollgate keeps of it (never prompts or
/// completions, which are not kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    pub id: i64,
    pub idempotency_key: String,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub customer: Option<String>,
    pub model: Option<String>,
    pub provider: Option<String>,
    pub api_key_hash: Option<String>,
    pub api_key_alias: Option<String>,
    /// LiteLLM's user, team and organization ids.
    pub user: Option<String>,
    pub team: Option<String>,
    pub org: Option<String>,
    pub provider_model: Option<String>,
    pub call_type: Option<String>,
    pub status: String,
    pub error_code: Option<String>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub total_tokens: i64,
    pub cached_tokens: i64,
    pub reasoning_tokens: i64,
    pub cost_usd: Decimal,
    pub cache_hit: bool,
    pub stream: bool,
    pub trace_id: Option<String>,
    pub tags: Vec<String>,
}

/// Where an export page starts: after this event in (time, id) order. Events share
/// timestamps, so the id breaks ties and no event is skipped or repeated across pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportCursor {
    pub occurred_at: DateTime<Utc>,
    pub id: i64,
}

impl ExportCursor {
    /// Before every event at or after `from` (ids start at 1).
    pub fn start(from: DateTime<Utc>) -> Self {
        Self {
            occurred_at: from,
            id: 0,
        }
    }

    /// Just after `row`.
    pub fn after(row: &ExportRow) -> Self {
        Self {
            occurred_at: row.occurred_at,
            id: row.id,
        }
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UsageExport: Send + Sync {
    /// Events before `to` (of one customer when given) that come after `after` in
    /// (occurred_at, id) order, in that order, at most `limit`: callers page through a period
    /// in time order without holding it all, starting at [`ExportCursor::start`].
    ///
    /// # Errors
    /// `PortError` when the store cannot be read.
    async fn page(
        &self,
        organization: OrganizationId,
        to: DateTime<Utc>,
        customer: Option<String>,
        after: ExportCursor,
        limit: i64,
    ) -> Result<Vec<ExportRow>, PortError>;
}
