//! The embedded meters: a delivery target that adds events to PostgreSQL rollups and marks
//! their outbox rows delivered in one transaction, so each event counts exactly once even
//! when a lease expires and two workers hold the same row.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Array, BigInt, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use tollgate_application::ports::{DeliveryOutcome, DeliveryTarget, OutboxItem};
use tollgate_domain::metering::meter_updates;
use uuid::Uuid;

use super::{PgPool, transaction};

pub const EMBEDDED_METER_TARGET: &str = "embedded_meter";

/// Folds (customer, model, meter) cells into `usage_rollups`, one numeric column per meter.
/// The column names are the meters' slugs (`metering::Meter::slug`); a test checks they match.
const USAGE_ROLLUPS_UPSERT: &str = r"
INSERT INTO usage_rollups AS r (organization_id, granularity, bucket_start, customer_id, model,
    input_tokens, output_tokens, cached_tokens, reasoning_tokens, requests, cost_usd, cache_hits)
SELECT o, g, b, c, m,
       coalesce(sum(q) FILTER (WHERE meter = 'input_tokens'), 0),
       coalesce(sum(q) FILTER (WHERE meter = 'output_tokens'), 0),
       coalesce(sum(q) FILTER (WHERE meter = 'cached_tokens'), 0),
       coalesce(sum(q) FILTER (WHERE meter = 'reasoning_tokens'), 0),
       coalesce(sum(q) FILTER (WHERE meter = 'requests'), 0),
       coalesce(sum(q) FILTER (WHERE meter = 'cost_usd'), 0),
       coalesce(sum(q) FILTER (WHERE meter = 'cache_hits'), 0)
FROM UNNEST($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],
            $7::text[]::numeric[]) AS t(o, g, b, c, m, meter, q)
GROUP BY o, g, b, c, m
ORDER BY o, g, b, c, m
ON CONFLICT (organization_id, granularity, bucket_start, customer_id, model) DO UPDATE SET
    input_tokens = r.input_tokens + EXCLUDED.input_tokens,
    output_tokens = r.output_tokens + EXCLUDED.output_tokens,
    cached_tokens = r.cached_tokens + EXCLUDED.cached_tokens,
    reasoning_tokens = r.reasoning_tokens + EXCLUDED.reasoning_tokens,
    requests = r.requests + EXCLUDED.requests,
    cost_usd = r.cost_usd + EXCLUDED.cost_usd,
    cache_hits = r.cache_hits + EXCLUDED.cache_hits
";

const GRANULARITIES: [(&str, TimeDelta); 3] = [
    ("minute", TimeDelta::minutes(1)),
    ("hour", TimeDelta::hours(1)),
    ("day", TimeDelta::days(1)),
];

/// One rollup cell: (organization, granularity, bucket, customer, model, provider, key, team,
/// status, meter).
type Cell = (
    Uuid,
    &'static str,
    DateTime<Utc>,
    String,
    String,
    String,
    String,
    String,
    String,
    &'static str,
);

#[derive(QueryableByName)]
struct Marked {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

pub struct PgEmbeddedMeter {
    pool: PgPool,
    batch: usize,
}

impl PgEmbeddedMeter {
    pub fn new(pool: PgPool, batch: usize) -> Self {
        Self { pool, batch }
    }
}

fn cells(items: &[&OutboxItem]) -> BTreeMap<Cell, Decimal> {
    let mut sums = BTreeMap::new();
    for item in items {
        let event = &item.event;
        let customer = event
            .customer
            .as_ref()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default();
        for update in meter_updates(event) {
            let d = &update.dimensions;
            for (granularity, width) in GRANULARITIES {
                let bucket = event
                    .occurred_at
                    .duration_trunc(width)
                    .unwrap_or(event.occurred_at);
                let key = (
                    item.organization.as_uuid(),
                    granularity,
                    bucket,
                    customer.clone(),
                    d.model.clone().unwrap_or_default(),
                    d.provider.clone().unwrap_or_default(),
                    d.key.clone().unwrap_or_default(),
                    d.team.clone().unwrap_or_default(),
                    d.status.clone(),
                    update.meter.slug(),
                );
                *sums.entry(key).or_insert(Decimal::ZERO) += update.quantity;
            }
        }
    }
    sums
}

#[async_trait]
impl DeliveryTarget for PgEmbeddedMeter {
    fn name(&self) -> &'static str {
        EMBEDDED_METER_TARGET
    }

    fn max_batch(&self) -> usize {
        self.batch
    }

    async fn deliver(&self, items: &[OutboxItem]) -> Vec<DeliveryOutcome> {
        let ids: Vec<i64> = items.iter().map(|i| i.outbox_id).collect();
        let owned: Vec<OutboxItem> = items.to_vec();
        let result = transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let marked: Vec<Marked> = diesel::sql_query(
                    "UPDATE outbox SET state = 'delivered', delivered_at = now(),
                        locked_until = NULL, attempts = attempts + 1
                     WHERE id = ANY($1) AND state = 'pending' AND target = 'embedded_meter'
                     RETURNING id",
                )
                .bind::<Array<BigInt>, _>(&ids)
                .load(connection)
                .await?;
                let marked: std::collections::HashSet<i64> =
                    marked.into_iter().map(|m| m.id).collect();
                let counted: Vec<&OutboxItem> = owned
                    .iter()
                    .filter(|i| marked.contains(&i.outbox_id))
                    .collect();
                // BTreeMap order is the same in every transaction, so concurrent writers lock
                // rollup rows in one order and cannot deadlock.
                let sums = cells(&counted);
                if sums.is_empty() {
                    return Ok(());
                }
                let mut columns: (
                    Vec<Uuid>,
                    Vec<String>,
                    Vec<DateTime<Utc>>,
                    Vec<String>,
                    Vec<String>,
                    Vec<String>,
                    Vec<String>,
                    Vec<String>,
                    Vec<String>,
                    Vec<String>,
                    Vec<String>,
                ) = Default::default();
                for (
                    (org, granularity, bucket, customer, model, provider, key, team, status, meter),
                    quantity,
                ) in sums
                {
                    columns.0.push(org);
                    columns.1.push(granularity.to_owned());
                    columns.2.push(bucket);
                    columns.3.push(customer);
                    columns.4.push(model);
                    columns.5.push(provider);
                    columns.6.push(key);
                    columns.7.push(team);
                    columns.8.push(status);
                    columns.9.push(meter.to_owned());
                    columns.10.push(quantity.to_string());
                }
                diesel::sql_query(
                    "INSERT INTO meter_rollups (organization_id, granularity, bucket_start,
                        customer_id, model, provider, api_key, team, status, meter, quantity)
                     SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::timestamptz[], $4::text[],
                        $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                        $11::text[]::numeric[])
                     ON CONFLICT (organization_id, granularity, bucket_start, customer_id, model,
                        provider, api_key, team, status, meter)
                     DO UPDATE SET quantity = meter_rollups.quantity + EXCLUDED.quantity",
                )
                .bind::<Array<SqlUuid>, _>(&columns.0)
                .bind::<Array<Text>, _>(&columns.1)
                .bind::<Array<Timestamptz>, _>(&columns.2)
                .bind::<Array<Text>, _>(&columns.3)
                .bind::<Array<Text>, _>(&columns.4)
                .bind::<Array<Text>, _>(&columns.5)
                .bind::<Array<Text>, _>(&columns.6)
                .bind::<Array<Text>, _>(&columns.7)
                .bind::<Array<Text>, _>(&columns.8)
                .bind::<Array<Text>, _>(&columns.9)
                .bind::<Array<Text>, _>(&columns.10)
                .execute(connection)
                .await?;
                // The same cells folded to customer x model with a column per meter, for the
                // queries that do not break usage down by key, team, provider or status.
                diesel::sql_query(USAGE_ROLLUPS_UPSERT)
                    .bind::<Array<SqlUuid>, _>(&columns.0)
                    .bind::<Array<Text>, _>(&columns.1)
                    .bind::<Array<Timestamptz>, _>(&columns.2)
                    .bind::<Array<Text>, _>(&columns.3)
                    .bind::<Array<Text>, _>(&columns.4)
                    .bind::<Array<Text>, _>(&columns.9)
                    .bind::<Array<Text>, _>(&columns.10)
                    .execute(connection)
                    .await?;
                Ok(())
            })
        })
        .await;
        let outcome = match result {
            Ok(()) => DeliveryOutcome::Delivered,
            Err(error) => DeliveryOutcome::Retry {
                reason: error.to_string(),
                retry_after: None,
            },
        };
        vec![outcome; items.len()]
    }
}
