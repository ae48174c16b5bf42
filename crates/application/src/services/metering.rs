//! Metering: stored events become meter updates and reach the meters (the outbox
//! [`dispatcher`], one per delivery target, each target sending
//! [`MeteringService::meter_updates`]) and usage is read back ([`MeteringService`]: time
//! series, analytics, the export).

pub mod analytics;
pub mod dispatcher;
mod usage_source;

use std::{collections::BTreeSet, sync::Arc};

use chrono::{DateTime, Utc};
use tollgate_domain::{
    metering::{MeterUpdate, meter_updates},
    organization::OrganizationId,
};

pub use self::usage_source::{UsageAnswer, UsageReaders, UsageSource};
use self::{
    analytics::{Analytics, AnalyticsService},
    usage_source::WithFallback,
};
use crate::{
    AppError,
    ports::{
        Clock, EventDetail, EventFilter, EventLog, ExportCursor, ExportRow, GroupBy, KeyAliases,
        OutboxItem, UsageExport, UsageQuery,
    },
};

/// The metering context's entry point: what a stored event adds to each meter, for every
/// delivery target, and everything that reads usage back (the usage API, the analytics summary
/// and the export go through here, never to the stores directly).
pub struct MeteringService {
    readers: Arc<UsageReaders>,
    export: Arc<dyn UsageExport>,
    events: Arc<dyn EventLog>,
    aliases: Arc<dyn KeyAliases>,
    analytics: AnalyticsService,
}

impl MeteringService {
    /// What the stored event of `item` adds to each meter, every meter included (zeros too; a
    /// failed call counts as a request with its status as a dimension). OpenMeter's
    /// CloudEvents, Lago's events and the embedded rollups are all written from this, so no
    /// two targets can meter one event differently; the rule itself is the domain's.
    pub fn meter_updates(item: &OutboxItem) -> Vec<MeterUpdate> {
        meter_updates(&item.event)
    }

    pub fn new(
        readers: UsageReaders,
        export: Arc<dyn UsageExport>,
        events: Arc<dyn EventLog>,
        aliases: Arc<dyn KeyAliases>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let readers = Arc::new(readers);
        Self {
            analytics: AnalyticsService::new(Arc::new(WithFallback(Arc::clone(&readers))), clock),
            readers,
            export,
            events,
            aliases,
        }
    }

    /// Time series per meter for `query`, and which meters answered: the embedded rollups
    /// stand in for OpenMeter when it cannot answer and they are current. Grouped by key,
    /// with the keys' aliases.
    ///
    /// # Errors
    /// `AppError::Port` when the meters cannot be read.
    pub async fn usage(
        &self,
        organization: OrganizationId,
        query: &UsageQuery,
    ) -> Result<UsageAnswer, AppError> {
        let mut answer = self.readers.read(organization, query).await?;
        if query.group_by == Some(GroupBy::Key) {
            // Groups are key hashes, the empty one standing for calls made without a key.
            let hashes: Vec<String> = answer
                .series
                .iter()
                .filter_map(|series| series.group.clone())
                .filter(|hash| !hash.is_empty())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            if !hashes.is_empty() {
                answer.key_aliases = self.aliases.aliases(organization, &hashes).await?;
            }
        }
        Ok(answer)
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

    /// One page of stored events for the export, in (time, id) order after `after`.
    ///
    /// # Errors
    /// `AppError::Port` when the store cannot be read.
    pub async fn export_page(
        &self,
        organization: OrganizationId,
        to: DateTime<Utc>,
        customer: Option<String>,
        after: ExportCursor,
        limit: i64,
    ) -> Result<Vec<ExportRow>, AppError> {
        Ok(self
            .export
            .page(organization, to, customer, after, limit)
            .await?)
    }

    /// At most `limit` stored events matching `filter`, newest first, before `before`. A
    /// customer's member (`scope`) sees only that customer's, whatever the filter names.
    ///
    /// # Errors
    /// `AppError::Port` when the store cannot be read.
    pub async fn events(
        &self,
        organization: OrganizationId,
        scope: Option<&str>,
        mut filter: EventFilter,
        before: Option<ExportCursor>,
        limit: i64,
    ) -> Result<Vec<ExportRow>, AppError> {
        if let Some(customer) = scope {
            filter.customer = Some(customer.to_owned());
        }
        Ok(self
            .events
            .recent(organization, &filter, before, limit)
            .await?)
    }

    /// Everything kept of event `id`. `None` for an unknown id, another organization's, or,
    /// for a customer's member (`scope`), another customer's: it does not learn it exists.
    ///
    /// # Errors
    /// `AppError::Port` when the store cannot be read.
    pub async fn event(
        &self,
        organization: OrganizationId,
        scope: Option<&str>,
        id: i64,
    ) -> Result<Option<EventDetail>, AppError> {
        let detail = self.events.event(organization, id).await?;
        Ok(detail.filter(|detail| {
            scope.is_none_or(|customer| detail.event.customer.as_deref() == Some(customer))
        }))
    }
}

#[cfg(test)]
mod tests;
