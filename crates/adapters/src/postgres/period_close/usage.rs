//! A batch's usage from the embedded rollups (the `status` dimension of
//! `usage_dimension_rollups`, one column per meter: successful and failed calls apart, since a
//! charge bills failures only when it includes them), in one statement: each span is cut into whole UTC days, whole hours at its edges and minutes at
//! theirs, and each piece reads the buckets of its granularity that start inside it. Pieces
//! do not overlap and cover the span exactly, so every event counts once.

use std::str::FromStr;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Array, Integer, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use tollgate_domain::{
    billing::{BillingPeriod, MeteredUsage},
    metering::Meter,
};
use uuid::Uuid;

use super::super::invoices::invariant;

/// One span to measure: an organization's customer (its external id, as the rollups key it).
pub(super) struct UsageSpan {
    pub organization: Uuid,
    pub customer: String,
    /// Minute-aligned at both ends; `None` for a share too short to hold a bucket.
    pub span: Option<BillingPeriod>,
}

/// `at` rounded down to `unit`.
fn floor(at: DateTime<Utc>, unit: TimeDelta) -> DateTime<Utc> {
    at.duration_trunc(unit).unwrap_or(at)
}

/// `at` rounded up to `unit`.
fn ceil(at: DateTime<Utc>, unit: TimeDelta) -> DateTime<Utc> {
    let down = floor(at, unit);
    if down == at { at } else { down + unit }
}

/// `[from, to)` as (granularity, from, to) pieces: whole `unit`s in the middle, the edges cut
/// finer by `finer` (days, then hours, then minutes).
fn cut(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    levels: &[(&'static str, TimeDelta)],
    pieces: &mut Vec<(&'static str, DateTime<Utc>, DateTime<Utc>)>,
) {
    if from >= to {
        return;
    }
    let Some(((granularity, unit), finer)) = levels.split_first() else {
        return;
    };
    if finer.is_empty() {
        pieces.push((granularity, from, to));
        return;
    }
    let (inner_from, inner_to) = (ceil(from, *unit), floor(to, *unit));
    if inner_from < inner_to {
        cut(from, inner_from, finer, pieces);
        pieces.push((granularity, inner_from, inner_to));
        cut(inner_to, to, finer, pieces);
    } else {
        cut(from, to, finer, pieces);
    }
}

fn pieces(span: BillingPeriod) -> Vec<(&'static str, DateTime<Utc>, DateTime<Utc>)> {
    let levels = [
        ("day", TimeDelta::days(1)),
        ("hour", TimeDelta::hours(1)),
        ("minute", TimeDelta::minutes(1)),
    ];
    let mut pieces = Vec::new();
    cut(span.start(), span.end(), &levels, &mut pieces);
    pieces
}

#[derive(QueryableByName)]
struct Sums {
    #[diesel(sql_type = Integer)]
    idx: i32,
    #[diesel(sql_type = Text)]
    status: String,
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

/// Each span's usage per meter, in `spans`' order (a span without usage gets empty maps).
pub(super) async fn read(
    connection: &mut AsyncPgConnection,
    spans: &[UsageSpan],
) -> Result<Vec<MeteredUsage>, diesel::result::Error> {
    let mut usage = vec![MeteredUsage::default(); spans.len()];
    let (mut orgs, mut customers, mut granularities, mut froms, mut tos, mut indexes) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for (index, span) in spans.iter().enumerate() {
        let index = i32::try_from(index).map_err(|e| invariant(e.to_string()))?;
        for (granularity, from, to) in span.span.map(pieces).unwrap_or_default() {
            orgs.push(span.organization);
            customers.push(span.customer.clone());
            granularities.push(granularity);
            froms.push(from);
            tos.push(to);
            indexes.push(index);
        }
    }
    if indexes.is_empty() {
        return Ok(usage);
    }
    let rows: Vec<Sums> = diesel::sql_query(
        "SELECT q.idx, r.value AS status,
                sum(r.input_tokens)::text AS input_tokens,
                sum(r.output_tokens)::text AS output_tokens,
                sum(r.cached_tokens)::text AS cached_tokens,
                sum(r.reasoning_tokens)::text AS reasoning_tokens,
                sum(r.requests)::text AS requests,
                sum(r.cost_usd)::text AS cost_usd,
                sum(r.cache_hits)::text AS cache_hits
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[],
                     $6::int[]) AS q(org, customer, granularity, from_at, to_at, idx)
         JOIN usage_dimension_rollups r
           ON r.organization_id = q.org AND r.customer_id = q.customer
          AND r.dimension = 'status' AND r.granularity = q.granularity
          AND r.bucket_start >= q.from_at AND r.bucket_start < q.to_at
         GROUP BY q.idx, r.value",
    )
    .bind::<Array<SqlUuid>, _>(&orgs)
    .bind::<Array<Text>, _>(&customers)
    .bind::<Array<Text>, _>(&granularities)
    .bind::<Array<Timestamptz>, _>(&froms)
    .bind::<Array<Timestamptz>, _>(&tos)
    .bind::<Array<Integer>, _>(&indexes)
    .load(connection)
    .await?;
    for row in rows {
        let slot = usize::try_from(row.idx)
            .ok()
            .and_then(|i| usage.get_mut(i))
            .ok_or_else(|| invariant(format!("usage for unknown span {}", row.idx)))?;
        let slot = if row.status == "success" {
            &mut slot.succeeded
        } else {
            &mut slot.failed
        };
        for (meter, text) in [
            (Meter::InputTokens, &row.input_tokens),
            (Meter::OutputTokens, &row.output_tokens),
            (Meter::CachedTokens, &row.cached_tokens),
            (Meter::ReasoningTokens, &row.reasoning_tokens),
            (Meter::Requests, &row.requests),
            (Meter::CostUsd, &row.cost_usd),
            (Meter::CacheHits, &row.cache_hits),
        ] {
            let quantity = Decimal::from_str(text)
                .map_err(|e| invariant(format!("rollup sum `{text}`: {e}")))?;
            slot.insert(meter, quantity.normalize());
        }
    }
    Ok(usage)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, d, h, m, 0).unwrap()
    }

    #[test]
    fn spans_are_cut_into_days_hours_and_minutes_that_cover_them_once() {
        let month = BillingPeriod::new(
            at(1, 0, 0),
            Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap(),
        )
        .unwrap();
        assert_eq!(pieces(month), vec![("day", month.start(), month.end())]);
        let odd = BillingPeriod::new(at(3, 14, 7), at(5, 9, 30)).unwrap();
        assert_eq!(
            pieces(odd),
            vec![
                ("minute", at(3, 14, 7), at(3, 15, 0)),
                ("hour", at(3, 15, 0), at(4, 0, 0)),
                ("day", at(4, 0, 0), at(5, 0, 0)),
                ("hour", at(5, 0, 0), at(5, 9, 0)),
                ("minute", at(5, 9, 0), at(5, 9, 30)),
            ]
        );
        let short = BillingPeriod::new(at(3, 14, 7), at(3, 14, 9)).unwrap();
        assert_eq!(pieces(short), vec![("minute", at(3, 14, 7), at(3, 14, 9))]);
    }
}
