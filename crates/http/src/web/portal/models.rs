//! The portal's usage by model this month: one usage query grouped by model, read from the
//! meters (the embedded rollups or OpenMeter), ranked by cost.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use tollgate_application::{
    AppError,
    ports::{GroupBy, UsageQuery, UsageSeries, Window},
};
use tollgate_domain::{metering::Meter, organization::OrganizationId};

use crate::{
    charts::{Text, horizontal_bars},
    state::AppState,
    web::{
        figures::{exact, grouped, month_start, usd},
        i18n::Catalog,
    },
};

/// A model's month, as shown.
pub struct ModelRow {
    pub model: String,
    pub requests: String,
    pub input_tokens: String,
    pub output_tokens: String,
    pub cost: String,
    pub cost_exact: String,
    cost_value: Decimal,
}

#[derive(Default)]
struct Totals {
    requests: Decimal,
    input_tokens: Decimal,
    output_tokens: Decimal,
    cost: Decimal,
}

/// `customer`'s usage per model since the month began (in `tz`), the costliest first.
///
/// # Errors
/// As the metering service.
pub async fn by_model(
    state: &AppState,
    organization: OrganizationId,
    customer: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<ModelRow>, AppError> {
    let answer = state
        .metering
        .usage(
            organization,
            &UsageQuery {
                from: month_start(now, tz),
                to: now,
                window: Window::Day,
                time_zone: tz.name().to_owned(),
                group_by: Some(GroupBy::Model),
                customer: Some(customer.to_owned()),
            },
        )
        .await?;
    Ok(rank(&answer.series))
}

fn rank(series: &[UsageSeries]) -> Vec<ModelRow> {
    let mut models: BTreeMap<&str, Totals> = BTreeMap::new();
    for series in series {
        let model = series.group.as_deref().unwrap_or_default();
        let sum: Decimal = series.points.iter().map(|point| point.value).sum();
        let totals = models.entry(model).or_default();
        match series.meter {
            Meter::CostUsd => totals.cost += sum,
            Meter::Requests => totals.requests += sum,
            Meter::InputTokens => totals.input_tokens += sum,
            Meter::OutputTokens => totals.output_tokens += sum,
            _ => {}
        }
    }
    let mut rows: Vec<ModelRow> = models
        .into_iter()
        .filter(|(_, totals)| !totals.requests.is_zero() || !totals.cost.is_zero())
        .map(|(model, totals)| ModelRow {
            model: model.to_owned(),
            requests: grouped(totals.requests),
            input_tokens: grouped(totals.input_tokens),
            output_tokens: grouped(totals.output_tokens),
            cost: usd(totals.cost),
            cost_exact: exact(totals.cost),
            cost_value: totals.cost,
        })
        .collect();
    // Costliest first; equal costs by name, so the order is stable.
    rows.sort_by(|a, b| b.cost_value.cmp(&a.cost_value).then(a.model.cmp(&b.model)));
    rows
}

/// The models' costs as horizontal bars (the table beside it has every figure).
pub fn chart(t: &Catalog, rows: &[ModelRow]) -> String {
    let title = t.tr("portal-models-chart-title");
    let desc = t.tr("portal-models-chart-desc");
    let empty = t.tr("customer-usage-empty");
    let items: Vec<(String, Decimal)> = rows
        .iter()
        .map(|row| (row.model.clone(), row.cost_value))
        .collect();
    horizontal_bars(
        &Text {
            id: "portal-models",
            title: &title,
            desc: &desc,
            empty: &empty,
        },
        &items,
    )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use tollgate_application::ports::UsagePoint;

    use super::*;

    fn series(meter: Meter, model: &str, values: &[i64]) -> UsageSeries {
        let day = |d| Utc.with_ymd_and_hms(2026, 12, d, 0, 0, 0).unwrap();
        UsageSeries {
            meter,
            group: Some(model.to_owned()),
            points: values
                .iter()
                .zip(1..)
                .map(|(value, d)| UsagePoint {
                    window_start: day(d),
                    value: Decimal::from(*value),
                })
                .collect(),
        }
    }

    #[test]
    fn models_are_summed_over_the_month_and_ranked_by_cost() {
        let rows = rank(&[
            series(Meter::CostUsd, "gpt-4o", &[1, 2]),
            series(Meter::Requests, "gpt-4o", &[10, 20]),
            series(Meter::CostUsd, "claude", &[5]),
            series(Meter::Requests, "claude", &[1]),
            series(Meter::InputTokens, "claude", &[1200]),
            // A model with nothing this month is left out.
            series(Meter::CostUsd, "idle", &[0]),
            series(Meter::Requests, "idle", &[0]),
        ]);
        let names: Vec<&str> = rows.iter().map(|row| row.model.as_str()).collect();
        assert_eq!(names, ["claude", "gpt-4o"]);
        assert_eq!(rows[0].cost_exact, "5");
        assert_eq!(rows[0].input_tokens, "1,200");
        assert_eq!(rows[1].requests, "30");
        assert_eq!(rows[1].cost, "$3.00");
    }
}
