//! Reading metered usage back: the embedded rollups or OpenMeter, behind one trait.

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

/// One stored event as exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    pub id: i64,
    pub idempotency_key: String,
    pub occurred_at: DateTime<Utc>,
    pub customer: Option<String>,
    pub model: Option<String>,
    pub provider: Option<String>,
    pub api_key_alias: Option<String>,
    pub team: Option<String>,
    pub status: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cached_tokens: i64,
    pub reasoning_tokens: i64,
    pub cost_usd: Decimal,
    pub cache_hit: bool,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UsageExport: Send + Sync {
    /// Events with `from <= occurred_at < to` (of one customer when given) and an id above
    /// `after_id`, in id order, at most
    /// `limit`: callers page through a period without holding it all.
    ///
    /// # Errors
    /// `PortError` when the store cannot be read.
    async fn page(
        &self,
        organization: OrganizationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        customer: Option<String>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<ExportRow>, PortError>;
}
