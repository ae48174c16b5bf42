//! The embedded meters: a delivery target that adds events to PostgreSQL rollups and marks
//! their outbox rows delivered in one transaction, so each event counts exactly once even
//! when a lease expires and two workers hold the same row.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use diesel::{
    QueryResult, QueryableByName,
    sql_types::{Array, BigInt, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use tollgate_application::{
    ports::{DeliveryOutcome, DeliveryTarget, OutboxItem},
    services::metering::MeteringService,
};
use tollgate_domain::{metering::Meter, usage::Label};
use uuid::Uuid;

use super::{PgPool, transaction};

pub const EMBEDDED_METER_TARGET: &str = "embedded_meter";

/// Adds (customer, model) cells to `usage_rollups`, one numeric column per meter (the
/// meters' slugs, `metering::Meter::slug`; a test checks they match).
const USAGE_ROLLUPS_UPSERT: &str = r"
INSERT INTO usage_rollups AS r (organization_id, granularity, bucket_start, customer_id, model,
    input_tokens, output_tokens, cached_tokens, reasoning_tokens, requests, cost_usd, cache_hits)
SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::text[],
    $6::text[]::numeric[], $7::text[]::numeric[], $8::text[]::numeric[], $9::text[]::numeric[],
    $10::text[]::numeric[], $11::text[]::numeric[], $12::text[]::numeric[])
ON CONFLICT (organization_id, granularity, bucket_start, customer_id, model) DO UPDATE SET
    input_tokens = r.input_tokens + EXCLUDED.input_tokens,
    output_tokens = r.output_tokens + EXCLUDED.output_tokens,
    cached_tokens = r.cached_tokens + EXCLUDED.cached_tokens,
    reasoning_tokens = r.reasoning_tokens + EXCLUDED.reasoning_tokens,
    requests = r.requests + EXCLUDED.requests,
    cost_usd = r.cost_usd + EXCLUDED.cost_usd,
    cache_hits = r.cache_hits + EXCLUDED.cache_hits
";

/// Adds model cells summed over every customer to `usage_model_rollups`.
const MODEL_ROLLUPS_UPSERT: &str = r"
INSERT INTO usage_model_rollups AS r (organization_id, granularity, bucket_start, model,
    input_tokens, output_tokens, cached_tokens, reasoning_tokens, requests, cost_usd, cache_hits)
SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::timestamptz[], $4::text[],
    $5::text[]::numeric[], $6::text[]::numeric[], $7::text[]::numeric[], $8::text[]::numeric[],
    $9::text[]::numeric[], $10::text[]::numeric[], $11::text[]::numeric[])
ON CONFLICT (organization_id, granularity, bucket_start, model) DO UPDATE SET
    input_tokens = r.input_tokens + EXCLUDED.input_tokens,
    output_tokens = r.output_tokens + EXCLUDED.output_tokens,
    cached_tokens = r.cached_tokens + EXCLUDED.cached_tokens,
    reasoning_tokens = r.reasoning_tokens + EXCLUDED.reasoning_tokens,
    requests = r.requests + EXCLUDED.requests,
    cost_usd = r.cost_usd + EXCLUDED.cost_usd,
    cache_hits = r.cache_hits + EXCLUDED.cache_hits
";

/// Adds (customer, dimension, value) cells to `usage_dimension_rollups`.
const DIMENSION_ROLLUPS_UPSERT: &str = r"
INSERT INTO usage_dimension_rollups AS r (organization_id, granularity, bucket_start,
    customer_id, dimension, value, input_tokens, output_tokens, cached_tokens,
    reasoning_tokens, requests, cost_usd, cache_hits)
SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::text[],
    $6::text[], $7::text[]::numeric[], $8::text[]::numeric[], $9::text[]::numeric[],
    $10::text[]::numeric[], $11::text[]::numeric[], $12::text[]::numeric[],
    $13::text[]::numeric[])
ON CONFLICT (organization_id, dimension, granularity, bucket_start, customer_id, value)
DO UPDATE SET
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

/// The meters in the column order of the upserts.
const COLUMNS: [Meter; 7] = [
    Meter::InputTokens,
    Meter::OutputTokens,
    Meter::CachedTokens,
    Meter::ReasoningTokens,
    Meter::Requests,
    Meter::CostUsd,
    Meter::CacheHits,
];

type Sums = [Decimal; COLUMNS.len()];

/// (organization, granularity, bucket): the part every table keys on.
type Bucket = (Uuid, &'static str, DateTime<Utc>);

/// The tables' cells of a batch. BTreeMap order is the same in every transaction, so
/// concurrent writers lock rollup rows in one order and cannot deadlock.
#[derive(Default)]
struct Cells {
    /// (bucket, customer, model)
    models: BTreeMap<(Bucket, String, String), Sums>,
    /// (bucket, model): every customer's
    model_totals: BTreeMap<(Bucket, String), Sums>,
    /// (bucket, customer, dimension, value)
    dimensions: BTreeMap<(Bucket, String, &'static str, String), Sums>,
}

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

fn add(into: &mut Sums, from: &Sums) {
    for (sum, quantity) in into.iter_mut().zip(from) {
        *sum += *quantity;
    }
}

fn cells(items: &[&OutboxItem]) -> Cells {
    let mut cells = Cells::default();
    for item in items {
        let event = &item.event;
        let customer = event
            .customer
            .as_ref()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default();
        // The same updates OpenMeter's and Lago's events carry.
        let updates = MeteringService::meter_updates(item);
        let sums: Sums = COLUMNS.map(|meter| {
            updates
                .iter()
                .find(|update| update.meter == meter)
                .map_or(Decimal::ZERO, |update| update.quantity)
        });
        let label = |l: &Option<Label>| {
            l.as_ref()
                .map(|l| l.as_str().to_owned())
                .unwrap_or_default()
        };
        let model = label(&event.model_group);
        let dimensions = [
            ("key", label(&event.api_key_hash)),
            ("team", label(&event.team_id)),
            ("provider", label(&event.provider)),
            ("status", event.status.as_str().to_owned()),
        ];
        for (granularity, width) in GRANULARITIES {
            let bucket = event
                .occurred_at
                .duration_trunc(width)
                .unwrap_or(event.occurred_at);
            let at = (item.organization.as_uuid(), granularity, bucket);
            add(
                cells
                    .models
                    .entry((at, customer.clone(), model.clone()))
                    .or_default(),
                &sums,
            );
            add(
                cells.model_totals.entry((at, model.clone())).or_default(),
                &sums,
            );
            for (dimension, value) in &dimensions {
                add(
                    cells
                        .dimensions
                        .entry((at, customer.clone(), dimension, value.clone()))
                        .or_default(),
                    &sums,
                );
            }
        }
    }
    cells
}

/// The key columns of one table's cells plus one text column per meter, as bound arrays.
#[derive(Default)]
struct Columns {
    organizations: Vec<Uuid>,
    granularities: Vec<String>,
    buckets: Vec<DateTime<Utc>>,
    /// The rest of the table's key, in column order (customer, model, dimension, value...).
    keys: Vec<Vec<String>>,
    meters: [Vec<String>; COLUMNS.len()],
}

impl Columns {
    fn push(&mut self, bucket: &Bucket, keys: &[&str], sums: &Sums) {
        let (organization, granularity, at) = bucket;
        self.organizations.push(*organization);
        self.granularities.push((*granularity).to_owned());
        self.buckets.push(*at);
        self.keys.resize_with(keys.len(), Vec::new);
        for (column, key) in self.keys.iter_mut().zip(keys) {
            column.push((*key).to_owned());
        }
        for (column, sum) in self.meters.iter_mut().zip(sums) {
            column.push(sum.to_string());
        }
    }
}

/// Runs one of the upserts, whose parameters are the columns in this order.
async fn upsert(
    connection: &mut AsyncPgConnection,
    sql: &'static str,
    columns: &Columns,
) -> QueryResult<usize> {
    let mut query = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Array<SqlUuid>, _>(&columns.organizations)
        .bind::<Array<Text>, _>(&columns.granularities)
        .bind::<Array<Timestamptz>, _>(&columns.buckets);
    for key in &columns.keys {
        query = query.bind::<Array<Text>, _>(key);
    }
    for meter in &columns.meters {
        query = query.bind::<Array<Text>, _>(meter);
    }
    query.execute(connection).await
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
                let cells = cells(&counted);
                let mut models = Columns::default();
                for ((bucket, customer, model), sums) in &cells.models {
                    models.push(bucket, &[customer, model], sums);
                }
                let mut model_totals = Columns::default();
                for ((bucket, model), sums) in &cells.model_totals {
                    model_totals.push(bucket, &[model], sums);
                }
                let mut dimensions = Columns::default();
                for ((bucket, customer, dimension, value), sums) in &cells.dimensions {
                    dimensions.push(bucket, &[customer, dimension, value], sums);
                }
                if models.organizations.is_empty() {
                    return Ok(());
                }
                // Always in this table order, for the same reason as the sorted rows.
                upsert(connection, USAGE_ROLLUPS_UPSERT, &models).await?;
                upsert(connection, MODEL_ROLLUPS_UPSERT, &model_totals).await?;
                upsert(connection, DIMENSION_ROLLUPS_UPSERT, &dimensions).await?;
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
