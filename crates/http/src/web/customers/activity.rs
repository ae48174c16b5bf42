//! Usage as the customer pages show it, from the meters (the embedded rollups or OpenMeter,
//! never a scan of the stored events): this month's cost and the last day with a request per
//! customer for the list, and one customer's month day by day for its page and its portal.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, TimeDelta, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use tollgate_application::{
    AppError,
    ports::{GroupBy, UsageQuery, UsageSeries, Window},
};
use tollgate_domain::{metering::Meter, organization::OrganizationId};

use crate::{state::AppState, web::figures::month_start};

/// How far back the list looks for a customer's last request.
pub const LOOKBACK_DAYS: i64 = 90;

/// Per customer (external id): this month's LLM cost and the start of the last day (in the
/// page's zone) with a request within [`LOOKBACK_DAYS`].
#[derive(Debug, Default)]
pub struct Activity {
    pub cost: BTreeMap<String, Decimal>,
    pub last_day: BTreeMap<String, DateTime<Utc>>,
}

/// Every customer's activity, read as one usage query grouped by customer.
///
/// # Errors
/// As the metering service (an unreachable OpenMeter included).
pub async fn activity(
    state: &AppState,
    organization: OrganizationId,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Activity, AppError> {
    let month = month_start(now, tz);
    let from = month.min(now - TimeDelta::days(LOOKBACK_DAYS));
    let answer = state
        .metering
        .usage(
            organization,
            &UsageQuery {
                from,
                to: now,
                window: Window::Day,
                time_zone: tz.name().to_owned(),
                group_by: Some(GroupBy::Customer),
                customer: None,
            },
        )
        .await?;
    Ok(summarize(&answer.series, month))
}

fn summarize(series: &[UsageSeries], month: DateTime<Utc>) -> Activity {
    let mut activity = Activity::default();
    for series in series {
        let Some(customer) = series.group.as_deref().filter(|c| !c.is_empty()) else {
            continue;
        };
        match series.meter {
            Meter::CostUsd => {
                let cost: Decimal = series
                    .points
                    .iter()
                    .filter(|point| point.window_start >= month)
                    .map(|point| point.value)
                    .sum();
                *activity.cost.entry(customer.to_owned()).or_default() += cost;
            }
            Meter::Requests => {
                let last = series
                    .points
                    .iter()
                    .filter(|point| point.value > Decimal::ZERO)
                    .map(|point| point.window_start)
                    .max();
                if let Some(last) = last {
                    let day = activity.last_day.entry(customer.to_owned()).or_insert(last);
                    *day = (*day).max(last);
                }
            }
            _ => {}
        }
    }
    activity
}

/// One day of a customer's month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayUsage {
    /// The day's start.
    pub day: DateTime<Utc>,
    pub cost: Decimal,
    pub requests: Decimal,
    pub input_tokens: Decimal,
    pub output_tokens: Decimal,
}

/// `customer`'s usage each day of the month so far (in `tz`), days without usage as zeros.
///
/// # Errors
/// As the metering service.
pub async fn daily_usage(
    state: &AppState,
    organization: OrganizationId,
    customer: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<DayUsage>, AppError> {
    let month = month_start(now, tz);
    let answer = state
        .metering
        .usage(
            organization,
            &UsageQuery {
                from: month,
                to: now,
                window: Window::Day,
                time_zone: tz.name().to_owned(),
                group_by: None,
                customer: Some(customer.to_owned()),
            },
        )
        .await?;
    Ok(days(&answer.series, month, now, tz))
}

fn days(series: &[UsageSeries], month: DateTime<Utc>, now: DateTime<Utc>, tz: Tz) -> Vec<DayUsage> {
    let mut by_day: BTreeMap<DateTime<Utc>, DayUsage> = BTreeMap::new();
    // Every day of the month so far, so a quiet day shows as zero rather than not at all.
    let mut day = month.with_timezone(&tz).date_naive();
    let today = now.with_timezone(&tz).date_naive();
    while day <= today {
        if let Some(start) = day
            .and_hms_opt(0, 0, 0)
            .and_then(|midnight| midnight.and_local_timezone(tz).earliest())
        {
            let start = start.with_timezone(&Utc);
            by_day.insert(
                start,
                DayUsage {
                    day: start,
                    cost: Decimal::ZERO,
                    requests: Decimal::ZERO,
                    input_tokens: Decimal::ZERO,
                    output_tokens: Decimal::ZERO,
                },
            );
        }
        let Some(next) = day.checked_add_days(Days::new(1)) else {
            break;
        };
        day = next;
    }
    for series in series {
        for point in &series.points {
            let Some(entry) = by_day.get_mut(&point.window_start) else {
                continue;
            };
            match series.meter {
                Meter::CostUsd => entry.cost += point.value,
                Meter::Requests => entry.requests += point.value,
                Meter::InputTokens => entry.input_tokens += point.value,
                Meter::OutputTokens => entry.output_tokens += point.value,
                _ => {}
            }
        }
    }
    by_day.into_values().collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use tollgate_application::ports::UsagePoint;

    use super::*;

    fn series(meter: Meter, group: Option<&str>, points: &[(DateTime<Utc>, i64)]) -> UsageSeries {
        UsageSeries {
            meter,
            group: group.map(str::to_owned),
            points: points
                .iter()
                .map(|(at, value)| UsagePoint {
                    window_start: *at,
                    value: Decimal::from(*value),
                })
                .collect(),
        }
    }

    #[test]
    fn the_month_cost_and_the_last_day_with_a_request_per_customer() {
        let day = |d| Utc.with_ymd_and_hms(2026, 12, d, 0, 0, 0).unwrap();
        let last_month = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
        let found = summarize(
            &[
                series(
                    Meter::CostUsd,
                    Some("acme"),
                    &[(last_month, 7), (day(2), 3), (day(4), 2)],
                ),
                series(Meter::Requests, Some("acme"), &[(day(2), 1), (day(4), 0)]),
                series(Meter::Requests, Some("globex"), &[(last_month, 5)]),
                series(Meter::CostUsd, Some(""), &[(day(2), 9)]),
            ],
            day(1),
        );
        assert_eq!(found.cost.get("acme"), Some(&Decimal::from(5)));
        assert_eq!(found.cost.get(""), None);
        // A day with requests counted as zero is not activity.
        assert_eq!(found.last_day.get("acme"), Some(&day(2)));
        assert_eq!(found.last_day.get("globex"), Some(&last_month));
    }

    #[test]
    fn every_day_of_the_month_so_far_is_shown_quiet_ones_as_zero() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap();
        let month = month_start(now, paris);
        let second = Utc.with_ymd_and_hms(2026, 12, 1, 23, 0, 0).unwrap();
        let found = days(
            &[
                series(Meter::CostUsd, None, &[(second, 4)]),
                series(Meter::Requests, None, &[(second, 2)]),
            ],
            month,
            now,
            paris,
        );
        assert_eq!(found.len(), 3);
        assert_eq!(
            found[0].day,
            Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap()
        );
        assert_eq!(found[0].cost, Decimal::ZERO);
        assert_eq!(found[1].day, second);
        assert_eq!(found[1].cost, Decimal::from(4));
        assert_eq!(found[1].requests, Decimal::from(2));
    }
}
