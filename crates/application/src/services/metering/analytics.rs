//! The dashboard's summary: totals against the previous period, cost by model, top customers,
//! error rate, cache savings and a month-end projection, all computed from the usage meters
//! (so the same figures come out of the embedded rollups and of OpenMeter).

use std::{collections::BTreeMap, sync::Arc};

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use tollgate_domain::{metering::Meter, organization::OrganizationId};

use crate::{
    AppError,
    ports::{Clock, GroupBy, UsageQuery, UsageReader, UsageSeries, Window},
};

/// How many customers the summary ranks.
const TOP_CUSTOMERS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterTotal {
    pub current: Decimal,
    pub previous: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analytics {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The period of the same length just before, which `previous` totals cover.
    pub previous_from: DateTime<Utc>,
    pub totals: BTreeMap<Meter, MeterTotal>,
    /// Cost per model, most expensive first; `None` for calls that named no model.
    pub cost_by_model: Vec<(Option<String>, Decimal)>,
    /// (customer, cost, requests), most expensive first; `None` for calls without a customer.
    pub top_customers: Vec<(Option<String>, Decimal, Decimal)>,
    /// Failed calls over all calls, `None` without calls.
    pub error_rate: Option<Decimal>,
    /// The same over the previous period.
    pub previous_error_rate: Option<Decimal>,
    /// Estimated: each cache hit saved what a paid call of its model cost on average.
    pub cache_savings_usd: Decimal,
    /// The same over the previous period.
    pub previous_cache_savings_usd: Decimal,
    /// This calendar month's cost so far, extended to the whole month at the same pace.
    pub month_end_projection_usd: Decimal,
}

pub struct AnalyticsService {
    usage: Arc<dyn UsageReader>,
    clock: Arc<dyn Clock>,
}

fn sum(series: &[UsageSeries], meter: Meter) -> Decimal {
    series
        .iter()
        .filter(|s| s.meter == meter)
        .flat_map(|s| s.points.iter())
        .map(|p| p.value)
        .sum()
}

/// A group's value, `None` for the group of calls without the attribute (which the readers
/// name with the empty text).
fn named(group: String) -> Option<String> {
    (!group.is_empty()).then_some(group)
}

/// Per group value, the total of one meter.
fn by_group(series: &[UsageSeries], meter: Meter) -> BTreeMap<String, Decimal> {
    let mut groups = BTreeMap::new();
    for s in series.iter().filter(|s| s.meter == meter) {
        let total: Decimal = s.points.iter().map(|p| p.value).sum();
        *groups
            .entry(s.group.clone().unwrap_or_default())
            .or_insert(Decimal::ZERO) += total;
    }
    groups
}

/// Failed calls over all calls, from series grouped by status; `None` without calls.
fn failure_share(statuses: &[UsageSeries]) -> Option<Decimal> {
    let requests_by_status = by_group(statuses, Meter::Requests);
    let all_requests: Decimal = requests_by_status.values().copied().sum();
    let failures = requests_by_status
        .get("failure")
        .copied()
        .unwrap_or_default();
    (!all_requests.is_zero()).then(|| failures / all_requests)
}

/// What cache hits saved, from series grouped by model: each hit what a paid call of its
/// model cost on average.
fn cache_savings(models: &[UsageSeries]) -> Decimal {
    let model_requests = by_group(models, Meter::Requests);
    let model_hits = by_group(models, Meter::CacheHits);
    by_group(models, Meter::CostUsd)
        .into_iter()
        .map(|(model, cost)| {
            let hits = model_hits.get(&model).copied().unwrap_or_default();
            let paid = model_requests.get(&model).copied().unwrap_or_default() - hits;
            if hits.is_zero() || paid <= Decimal::ZERO {
                Decimal::ZERO
            } else {
                hits * cost / paid
            }
        })
        .sum()
}

impl AnalyticsService {
    pub fn new(usage: Arc<dyn UsageReader>, clock: Arc<dyn Clock>) -> Self {
        Self { usage, clock }
    }

    async fn read(
        &self,
        organization: OrganizationId,
        customer: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        group_by: Option<GroupBy>,
    ) -> Result<Vec<UsageSeries>, AppError> {
        if from >= to {
            return Ok(Vec::new());
        }
        Ok(self
            .usage
            .usage(
                organization,
                &UsageQuery {
                    from,
                    to,
                    window: Window::Day,
                    time_zone: "UTC".into(),
                    group_by,
                    customer: customer.map(str::to_owned),
                },
            )
            .await?)
    }

    /// # Errors
    /// `AppError::Port` when usage cannot be read.
    pub async fn summary(
        &self,
        organization: OrganizationId,
        customer: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Analytics, AppError> {
        let previous_from = from - (to - from);
        let read = |from, to, group| self.read(organization, customer, from, to, group);
        let current = read(from, to, None).await?;
        let previous = read(previous_from, from, None).await?;
        let models = read(from, to, Some(GroupBy::Model)).await?;
        let customers = read(from, to, Some(GroupBy::Customer)).await?;
        let statuses = read(from, to, Some(GroupBy::Status)).await?;

        let totals = Meter::ALL
            .into_iter()
            .map(|meter| {
                (
                    meter,
                    MeterTotal {
                        current: sum(&current, meter),
                        previous: sum(&previous, meter),
                    },
                )
            })
            .collect();

        let mut cost_by_model: Vec<(String, Decimal)> =
            by_group(&models, Meter::CostUsd).into_iter().collect();
        cost_by_model.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let cost_by_model = cost_by_model
            .into_iter()
            .map(|(model, cost)| (named(model), cost))
            .collect();

        let customer_requests = by_group(&customers, Meter::Requests);
        let mut top_customers: Vec<(String, Decimal, Decimal)> =
            by_group(&customers, Meter::CostUsd)
                .into_iter()
                .map(|(customer, cost)| {
                    let requests = customer_requests
                        .get(&customer)
                        .copied()
                        .unwrap_or_default();
                    (customer, cost, requests)
                })
                .collect();
        top_customers.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top_customers.truncate(TOP_CUSTOMERS);
        let top_customers = top_customers
            .into_iter()
            .map(|(customer, cost, requests)| (named(customer), cost, requests))
            .collect();

        let error_rate = failure_share(&statuses);
        let cache_savings_usd = cache_savings(&models);
        let previous_models = read(previous_from, from, Some(GroupBy::Model)).await?;
        let previous_statuses = read(previous_from, from, Some(GroupBy::Status)).await?;

        let month_end_projection_usd = self.month_end_projection(organization, customer).await?;
        Ok(Analytics {
            from,
            to,
            previous_from,
            totals,
            cost_by_model,
            top_customers,
            error_rate,
            previous_error_rate: failure_share(&previous_statuses),
            cache_savings_usd,
            previous_cache_savings_usd: cache_savings(&previous_models),
            month_end_projection_usd,
        })
    }

    async fn month_end_projection(
        &self,
        organization: OrganizationId,
        customer: Option<&str>,
    ) -> Result<Decimal, AppError> {
        let now = self.clock.now();
        let month_start = Utc
            .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
            .single()
            .unwrap_or(now);
        let next_month = if now.month() == 12 {
            Utc.with_ymd_and_hms(now.year() + 1, 1, 1, 0, 0, 0)
        } else {
            Utc.with_ymd_and_hms(now.year(), now.month() + 1, 1, 0, 0, 0)
        }
        .single()
        .unwrap_or(now);
        let so_far = sum(
            &self
                .read(organization, customer, month_start, now, None)
                .await?,
            Meter::CostUsd,
        );
        let elapsed = (now - month_start).num_seconds();
        let whole = (next_month - month_start).num_seconds();
        if elapsed <= 0 || elapsed < Duration::hours(1).num_seconds() {
            return Ok(so_far);
        }
        Ok(so_far * Decimal::from(whole) / Decimal::from(elapsed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockClock, MockUsageReader, UsagePoint};

    fn series(meter: Meter, group: Option<&str>, value: i64) -> UsageSeries {
        UsageSeries {
            meter,
            group: group.map(str::to_owned),
            points: vec![UsagePoint {
                window_start: Utc.with_ymd_and_hms(2026, 11, 10, 0, 0, 0).unwrap(),
                value: Decimal::from(value),
            }],
        }
    }

    #[tokio::test]
    async fn figures_come_from_the_meters_of_each_period_and_group() {
        let mut usage = MockUsageReader::new();
        usage.expect_usage().returning(|_, query| {
            let current = query.from == Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
            Ok(match query.group_by {
                None if current && query.to.day() == 21 => vec![
                    series(Meter::CostUsd, None, 100),
                    series(Meter::Requests, None, 50),
                ],
                None if query.to.day() == 1 => vec![series(Meter::CostUsd, None, 80)],
                // This month so far, for the projection (the clock says the 16th).
                None => vec![series(Meter::CostUsd, None, 150)],
                // The period before (from October 12th): fewer failures, no cache hits.
                Some(GroupBy::Status) if !current => vec![
                    series(Meter::Requests, Some("success"), 16),
                    series(Meter::Requests, Some("failure"), 4),
                ],
                Some(GroupBy::Model) if !current => vec![
                    series(Meter::CostUsd, Some("gpt"), 40),
                    series(Meter::Requests, Some("gpt"), 20),
                ],
                Some(GroupBy::Model) => vec![
                    series(Meter::CostUsd, Some("gpt"), 90),
                    series(Meter::CostUsd, Some("haiku"), 10),
                    series(Meter::Requests, Some("gpt"), 40),
                    series(Meter::CacheHits, Some("gpt"), 10),
                    series(Meter::Requests, Some("haiku"), 10),
                ],
                Some(GroupBy::Customer) => vec![
                    series(Meter::CostUsd, Some("a"), 30),
                    series(Meter::CostUsd, Some("b"), 70),
                    series(Meter::Requests, Some("b"), 7),
                    // Calls attributed to no customer.
                    series(Meter::CostUsd, Some(""), 5),
                ],
                Some(GroupBy::Status) => vec![
                    series(Meter::Requests, Some("success"), 45),
                    series(Meter::Requests, Some("failure"), 5),
                ],
                Some(_) => vec![],
            })
        });
        let mut clock = MockClock::new();
        clock
            .expect_now()
            .returning(|| Utc.with_ymd_and_hms(2026, 11, 16, 0, 0, 0).unwrap());
        let service = AnalyticsService::new(Arc::new(usage), Arc::new(clock));

        let summary = service
            .summary(
                OrganizationId::new(),
                None,
                Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).unwrap(),
            )
            .await
            .unwrap();

        let cost = &summary.totals[&Meter::CostUsd];
        assert_eq!(
            (cost.current, cost.previous),
            (Decimal::from(100), Decimal::from(80))
        );
        assert_eq!(
            summary.cost_by_model[0],
            (Some("gpt".into()), Decimal::from(90))
        );
        assert_eq!(
            summary.top_customers,
            [
                (Some("b".into()), Decimal::from(70), Decimal::from(7)),
                (Some("a".into()), Decimal::from(30), Decimal::ZERO),
                (None, Decimal::from(5), Decimal::ZERO),
            ]
        );
        assert_eq!(summary.error_rate, Some(Decimal::new(1, 1)));
        assert_eq!(summary.previous_error_rate, Some(Decimal::new(2, 1)));
        assert_eq!(summary.previous_cache_savings_usd, Decimal::ZERO);
        // gpt: 10 hits, 30 paid calls costing 90 in all: 3 each.
        assert_eq!(summary.cache_savings_usd, Decimal::from(30));
        // 150 in 15 of November's 30 days.
        assert_eq!(summary.month_end_projection_usd, Decimal::from(300));
    }
}
