//! Usage read from the embedded rollups, never from raw events.

use async_trait::async_trait;
use chrono::{DateTime, Offset, TimeZone, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;
use tollgate_application::{
    PortError,
    ports::{GroupBy, UsagePoint, UsageQuery, UsageReader, UsageSeries, Window},
};
use tollgate_domain::{metering::Meter, organization::OrganizationId};

use super::{PgPool, transaction};

pub struct PgUsageReader {
    pool: PgPool,
}

impl PgUsageReader {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

/// The finest rollup that still aligns with the query's windows in its time zone: day buckets
/// are UTC days, hour buckets only align with whole-hour offsets, minute buckets with all.
fn source_granularity(
    window: Window,
    time_zone: &str,
    offset_is_whole_hours: bool,
) -> &'static str {
    match window {
        Window::Minute => "minute",
        Window::Day if time_zone == "UTC" => "day",
        Window::Hour | Window::Day if offset_is_whole_hours => "hour",
        Window::Hour | Window::Day => "minute",
    }
}

/// Where a breakdown is read from: the table, the dimension within it, and the column that
/// names the group. Across all customers, the ungrouped totals and the models read the
/// customer-less model rollups (a row per model and bucket); customer and status totals read
/// the `status` dimension: two rows per customer and bucket at most, where the models take ten
/// or more.
struct Source {
    table: &'static str,
    dimension: Option<&'static str>,
    group: &'static str,
    /// Whether the table has a customer column to filter on.
    per_customer: bool,
}

fn source(group: Option<GroupBy>, one_customer: bool) -> Source {
    const DIMENSIONS: &str = "usage_dimension_rollups";
    let dimension = |dimension, group| Source {
        table: DIMENSIONS,
        dimension: Some(dimension),
        group,
        per_customer: true,
    };
    match group {
        None | Some(GroupBy::Model) if !one_customer => Source {
            table: "usage_model_rollups",
            dimension: None,
            group: if group.is_some() { "model" } else { "''" },
            per_customer: false,
        },
        None => dimension("status", "''"),
        Some(GroupBy::Model) => Source {
            table: "usage_rollups",
            dimension: None,
            group: "model",
            per_customer: true,
        },
        Some(GroupBy::Customer) => dimension("status", "customer_id"),
        Some(GroupBy::Status) => dimension("status", "value"),
        Some(GroupBy::Key) => dimension("key", "value"),
        Some(GroupBy::Team) => dimension("team", "value"),
        Some(GroupBy::Provider) => dimension("provider", "value"),
    }
}

#[async_trait]
impl UsageReader for PgUsageReader {
    async fn usage(
        &self,
        organization: OrganizationId,
        query: &UsageQuery,
    ) -> Result<Vec<UsageSeries>, PortError> {
        // Offsets that are not whole hours (India, Nepal...) need minute buckets to split days
        // and hours correctly.
        let zone: chrono_tz::Tz = query.time_zone.parse().map_err(|_| PortError::Internal {
            service: "usage",
            reason: format!("unknown time zone {}", query.time_zone),
        })?;
        let whole = [query.from, query.to].iter().all(|at| {
            zone.offset_from_utc_datetime(&at.naive_utc())
                .fix()
                .local_minus_utc()
                % 3600
                == 0
        });
        let granularity = source_granularity(query.window, &query.time_zone, whole);
        let owned = query.clone();
        let rows: Vec<WideRow> = transaction(&self.pool, move |connection| {
            Box::pin(async move {
                // A parallel plan (a parallel sequential scan of every bucket) was chosen for
                // the week of hours by model, key and provider and took 2-3 times the index's
                // time: on the few cores Tollgate runs on, workers compete with the server and
                // with each other. These reads are bounded ranges of the primary key.
                // And the week of hours by model sums 33,600 rows: with the default 4 MB of
                // work_mem its sort spilled to disk (external merge, 2.4 MB); 32 MB lets it
                // hash in memory. Both settings end with this transaction.
                diesel::sql_query(
                    "SELECT set_config('max_parallel_workers_per_gather', '0', true),
                            set_config('work_mem', '32MB', true)",
                )
                .execute(connection)
                .await?;
                load(connection, organization, &owned, granularity).await
            })
        })
        .await?;
        series(&rows, query)
    }
}

/// One group of rollups summed over a window: every meter, as decimal text.
#[derive(QueryableByName)]
struct WideRow {
    #[diesel(sql_type = Text)]
    grp: String,
    #[diesel(sql_type = Timestamptz)]
    window_start: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    input_tokens: String,
    #[diesel(sql_type = Text)]
    output_tokens: String,
    #[diesel(sql_type = Text)]
    cached_tokens: String,
    #[diesel(sql_type = Text)]
    reasoning_tokens: String,
    #[diesel(sql_type = Text)]
    requests: String,
    #[diesel(sql_type = Text)]
    cost_usd: String,
    #[diesel(sql_type = Text)]
    cache_hits: String,
}

impl WideRow {
    fn value(&self, meter: Meter) -> &str {
        match meter {
            Meter::InputTokens => &self.input_tokens,
            Meter::OutputTokens => &self.output_tokens,
            Meter::CachedTokens => &self.cached_tokens,
            Meter::ReasoningTokens => &self.reasoning_tokens,
            Meter::Requests => &self.requests,
            Meter::CostUsd => &self.cost_usd,
            Meter::CacheHits => &self.cache_hits,
        }
    }
}

async fn load(
    connection: &mut diesel_async::AsyncPgConnection,
    organization: OrganizationId,
    query: &UsageQuery,
    granularity: &str,
) -> Result<Vec<WideRow>, diesel::result::Error> {
    let Source {
        table,
        dimension,
        group,
        per_customer,
    } = source(query.group_by, query.customer.is_some());
    // The dimension is one of `source`'s constants, written into the statement so that the
    // planner sees it (the partial index on statuses applies only to a known dimension).
    let dimension = dimension
        .map(|d| format!("dimension = '{d}' AND "))
        .unwrap_or_default();
    // $7 is bound either way; a table without customers is only chosen when it is null.
    let customer = if per_customer {
        "($7::text IS NULL OR customer_id = $7)"
    } else {
        "$7::text IS NULL"
    };
    let sql = format!(
        "SELECT {group} AS grp, date_trunc($1, bucket_start, $2) AS window_start,
                sum(input_tokens)::text AS input_tokens, sum(output_tokens)::text AS output_tokens,
                sum(cached_tokens)::text AS cached_tokens,
                sum(reasoning_tokens)::text AS reasoning_tokens, sum(requests)::text AS requests,
                sum(cost_usd)::text AS cost_usd, sum(cache_hits)::text AS cache_hits
         FROM {table}
         WHERE organization_id = $3 AND {dimension}granularity = $4
           AND bucket_start >= $5 AND bucket_start < $6
           AND {customer}
         GROUP BY 1, 2 ORDER BY 1, 2"
    );
    diesel::sql_query(sql)
        .bind::<Text, _>(query.window.as_str())
        .bind::<Text, _>(&query.time_zone)
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Text, _>(granularity)
        .bind::<Timestamptz, _>(query.from)
        .bind::<Timestamptz, _>(query.to)
        .bind::<Nullable<Text>, _>(query.customer.as_deref())
        .load(connection)
        .await
}

/// The rows as one series per meter (and group), meters in slug order.
fn series(rows: &[WideRow], query: &UsageQuery) -> Result<Vec<UsageSeries>, PortError> {
    let mut meters = Meter::ALL;
    meters.sort_by_key(|m| m.slug());
    let mut series = Vec::new();
    for meter in meters {
        for row in rows {
            let value = row
                .value(meter)
                .parse::<Decimal>()
                .map_err(|e| PortError::Internal {
                    service: "postgres",
                    reason: e.to_string(),
                })?;
            let group = query.group_by.map(|_| row.grp.clone());
            let point = UsagePoint {
                window_start: row.window_start,
                value,
            };
            match series.last_mut() {
                Some(UsageSeries {
                    meter: last_meter,
                    group: last_group,
                    points,
                }) if *last_meter == meter && *last_group == group => points.push(point),
                _ => series.push(UsageSeries {
                    meter,
                    group,
                    points: vec![point],
                }),
            }
        }
    }
    Ok(series)
}
