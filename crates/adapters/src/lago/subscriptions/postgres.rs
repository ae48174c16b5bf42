//! The subscription lookup backed by Tollgate's own subscriptions table, so events go to the
//! subscription created through the API without any configuration.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::PortError;
use tollgate_domain::{organization::OrganizationId, usage::CustomerId};

use super::{StaticSubscriptions, SubscriptionLookup};
use crate::postgres::PgPool;

/// How many of a customer's subscriptions are kept, newest first: enough for events that
/// arrive late across a few plan restarts.
const RECENT: i64 = 8;
/// Past this many cached customers the cache starts over (a bound, not an eviction policy).
const MAX_CACHED: usize = 100_000;

/// One subscription's lifetime, as events are matched to it.
#[derive(Debug, Clone, QueryableByName)]
struct Span {
    #[diesel(sql_type = Text)]
    external_id: String,
    #[diesel(sql_type = Timestamptz)]
    started_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    terminated_at: Option<DateTime<Utc>>,
}

impl Span {
    fn covers(&self, at: DateTime<Utc>) -> bool {
        self.started_at <= at && self.terminated_at.is_none_or(|end| at < end)
    }
}

struct Cached {
    spans: Vec<Span>,
    read: Instant,
}

/// The subscription billing an event: the one running when it occurred, else the customer's
/// live one (usage from just before a subscription started still goes to it), else none and
/// the event waits. Entries of the configured map win over the table; the configured
/// "customer id as subscription id" convention comes last.
///
/// Answers are cached per customer for a short time (10 s by default): delivery asks once per
/// event, and a new or terminated subscription shows within that time.
pub struct PgSubscriptionLookup {
    pool: PgPool,
    overrides: StaticSubscriptions,
    ttl: Duration,
    cache: Mutex<HashMap<(OrganizationId, String), Cached>>,
}

impl PgSubscriptionLookup {
    pub const DEFAULT_TTL: Duration = Duration::from_secs(10);

    pub fn new(pool: PgPool, overrides: StaticSubscriptions) -> Self {
        Self {
            pool,
            overrides,
            ttl: Self::DEFAULT_TTL,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Caches answers for `ttl` (zero: always read the table).
    #[must_use]
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    fn cached(&self, key: &(OrganizationId, String)) -> Option<Vec<Span>> {
        let cache = self.cache.lock().ok()?;
        let entry = cache.get(key)?;
        (entry.read.elapsed() < self.ttl).then(|| entry.spans.clone())
    }

    fn remember(&self, key: (OrganizationId, String), spans: Vec<Span>) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
            cache.insert(
                key,
                Cached {
                    spans,
                    read: Instant::now(),
                },
            );
        }
    }

    async fn spans(
        &self,
        organization: OrganizationId,
        customer: &CustomerId,
    ) -> Result<Vec<Span>, PortError> {
        let unavailable = |reason: String| PortError::unavailable("postgres", reason);
        let mut connection = self
            .pool
            .get()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        diesel::sql_query(
            "SELECT s.external_id, s.started_at, s.terminated_at
             FROM billing_subscriptions s
             JOIN billing_customers c ON c.id = s.customer_id
             WHERE s.organization_id = $1 AND c.organization_id = $1 AND c.external_id = $2
             ORDER BY s.started_at DESC, s.created_at DESC
             LIMIT $3",
        )
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Text, _>(customer.as_str())
        .bind::<diesel::sql_types::BigInt, _>(RECENT)
        .load(&mut connection)
        .await
        // Any failure here is worth a retry of the events, never a verdict on them.
        .map_err(|e| unavailable(e.to_string()))
    }
}

#[async_trait]
impl SubscriptionLookup for PgSubscriptionLookup {
    async fn external_subscription_id(
        &self,
        organization: &OrganizationId,
        customer: &CustomerId,
        occurred_at: DateTime<Utc>,
    ) -> Result<Option<String>, PortError> {
        if let Some(listed) = self.overrides.listed(customer) {
            return Ok(Some(listed));
        }
        let key = (*organization, customer.as_str().to_owned());
        let spans = match self.cached(&key) {
            Some(spans) => spans,
            None => {
                let spans = self.spans(*organization, customer).await?;
                self.remember(key, spans.clone());
                spans
            }
        };
        let found = spans
            .iter()
            .find(|span| span.covers(occurred_at))
            .or_else(|| spans.iter().find(|span| span.terminated_at.is_none()))
            .map(|span| span.external_id.clone());
        Ok(found.or_else(|| self.overrides.lookup(customer)))
    }
}
