//! Metering: stored events reach the meters (the outbox [`dispatcher`], one per delivery
//! target) and usage is read back ([`MeteringService`]: time series, analytics, the export).

pub mod analytics;
pub mod dispatcher;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tollgate_domain::organization::OrganizationId;

use self::analytics::{Analytics, AnalyticsService};
use crate::{
    AppError,
    ports::{Clock, ExportRow, UsageExport, UsageQuery, UsageReader, UsageSeries},
};

/// The metering context's entry point for everything that reads usage: the usage API, the
/// analytics summary and the export all go through here, never to the stores directly.
pub struct MeteringService {
    reader: Arc<dyn UsageReader>,
    export: Arc<dyn UsageExport>,
    analytics: AnalyticsService,
}

impl MeteringService {
    pub fn new(
        reader: Arc<dyn UsageReader>,
        export: Arc<dyn UsageExport>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            analytics: AnalyticsService::new(Arc::clone(&reader), clock),
            reader,
            export,
        }
    }

    /// Time series per meter for `query`.
    ///
    /// # Errors
    /// `AppError::Port` when the meters cannot be read.
    pub async fn usage(
        &self,
        organization: OrganizationId,
        query: &UsageQuery,
    ) -> Result<Vec<UsageSeries>, AppError> {
        Ok(self.reader.usage(organization, query).await?)
    }

    /// Totals against the previous period, top models and customers, the month's projection.
    ///
    /// # Errors
    /// As [`Self::usage`].
    pub async fn analytics(
        &self,
        organization: OrganizationId,
        customer: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Analytics, AppError> {
        self.analytics
            .summary(organization, customer, from, to)
            .await
    }

    /// One page of stored events for the export, in id order after `after_id`.
    ///
    /// # Errors
    /// `AppError::Port` when the store cannot be read.
    pub async fn export_page(
        &self,
        organization: OrganizationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        customer: Option<String>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<ExportRow>, AppError> {
        Ok(self
            .export
            .page(organization, from, to, customer, after_id, limit)
            .await?)
    }
}
