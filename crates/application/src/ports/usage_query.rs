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
}

impl GroupBy {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Customer => "customer",
            Self::Key => "key",
            Self::Team => "team",
            Self::Provider => "provider",
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
