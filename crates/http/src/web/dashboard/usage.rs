//! The dashboard's usage sections: cost per day stacked by model, and the top customers and
//! models, each an SVG chart with the same figures as a table.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};
use tollgate_application::{ports::UsageSeries, services::metering::analytics::Analytics};
use tollgate_domain::metering::Meter;

use super::period::Period;
use crate::{
    charts::{self, Series, Table, Text},
    web::i18n::{catalog, key},
};

/// Models drawn on their own in the daily chart; the rest are added up as "other models".
const DRAWN_MODELS: usize = 7;

/// A chart and its figures.
pub struct Chart {
    pub svg: String,
    pub table: Table,
}

fn model_name(model: Option<&str>) -> String {
    match model {
        Some(model) if !model.is_empty() => model.to_owned(),
        _ => catalog().tr("dashboard-no-model"),
    }
}

/// Cost per day of the period, a bar per day stacked by model (the costliest models each on
/// their own, the others together).
pub fn daily_cost(period: &Period, series: &[UsageSeries]) -> Chart {
    let t = catalog();
    let days = period.days();
    let index: BTreeMap<_, _> = days.iter().enumerate().map(|(i, d)| (*d, i)).collect();
    let mut per_model: BTreeMap<String, Vec<Decimal>> = BTreeMap::new();
    for s in series.iter().filter(|s| s.meter == Meter::CostUsd) {
        let values = per_model
            .entry(model_name(s.group.as_deref()))
            .or_insert_with(|| vec![Decimal::ZERO; days.len()]);
        for point in &s.points {
            let day = point.window_start.with_timezone(&period.tz).date_naive();
            if let Some(at) = index.get(&day) {
                values[*at] += point.value;
            }
        }
    }
    let mut ranked: Vec<(String, Vec<Decimal>)> = per_model
        .into_iter()
        .filter(|(_, values)| values.iter().any(|v| !v.is_zero()))
        .collect();
    ranked.sort_by(|a, b| {
        let total = |values: &[Decimal]| values.iter().copied().sum::<Decimal>();
        total(&b.1).cmp(&total(&a.1)).then_with(|| a.0.cmp(&b.0))
    });
    let mut drawn: Vec<Series> = Vec::new();
    let mut others = vec![Decimal::ZERO; days.len()];
    for (position, (model, values)) in ranked.into_iter().enumerate() {
        if position < DRAWN_MODELS {
            drawn.push(Series::new(model, round_cents(values)));
        } else {
            for (sum, value) in others.iter_mut().zip(values) {
                *sum += value;
            }
        }
    }
    if others.iter().any(|v| !v.is_zero()) {
        drawn.push(Series::new(
            t.tr("dashboard-other-models"),
            round_cents(others),
        ));
    }
    let labels: Vec<String> = days.iter().map(|d| d.format("%m-%d").to_string()).collect();
    let (title, desc, empty) = (
        t.tr("chart-daily-title"),
        t.tr("chart-daily-desc"),
        t.tr("chart-no-usage"),
    );
    let text = Text {
        id: "daily-cost",
        title: &title,
        desc: &desc,
        empty: &empty,
    };
    let svg = if drawn.is_empty() {
        charts::stacked_bars(&text, &[], &[])
    } else {
        charts::stacked_bars(&text, &labels, &drawn)
    };
    let full: Vec<String> = days
        .iter()
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect();
    let table = if drawn.is_empty() {
        Table::default()
    } else {
        charts::series_table(&t.tr("table-day"), &t.tr("table-total"), &full, &drawn)
    };
    Chart { svg, table }
}

/// To the cent, half to even, for charts and their tables (the cards keep the exact totals).
fn cents(value: Decimal) -> Decimal {
    let mut cents = value.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
    cents.rescale(2);
    cents
}

fn round_cents(values: Vec<Decimal>) -> Vec<Decimal> {
    values.into_iter().map(cents).collect()
}

fn ranked_chart(
    id: &str,
    title_key: &str,
    label_key: &str,
    items: Vec<(String, Decimal)>,
) -> Chart {
    let t = catalog();
    let (title, empty) = (t.tr(title_key), t.tr("chart-no-usage"));
    let desc = t.tr("chart-ranked-desc");
    let text = Text {
        id,
        title: &title,
        desc: &desc,
        empty: &empty,
    };
    let items: Vec<(String, Decimal)> = items
        .into_iter()
        .map(|(label, cost)| (label, cents(cost)))
        .collect();
    Chart {
        svg: charts::horizontal_bars(&text, &items),
        table: if items.is_empty() {
            Table::default()
        } else {
            charts::ranked_table(&t.tr(label_key), &t.tr("table-cost"), &items)
        },
    }
}

/// The costliest customers of the period.
pub fn top_customers(analytics: &Analytics) -> Chart {
    let items = analytics
        .top_customers
        .iter()
        .filter(|(_, cost, requests)| !cost.is_zero() || !requests.is_zero())
        .map(|(customer, cost, _)| {
            let name = customer
                .clone()
                .unwrap_or_else(|| catalog().tr("dashboard-no-customer"));
            (name, *cost)
        })
        .collect();
    ranked_chart(
        "top-customers",
        key("chart-customers-title"),
        key("table-customer"),
        items,
    )
}

/// The costliest models of the period.
pub fn top_models(analytics: &Analytics) -> Chart {
    let items = analytics
        .cost_by_model
        .iter()
        .filter(|(_, cost)| !cost.is_zero())
        .take(10)
        .map(|(model, cost)| (model_name(model.as_deref()), *cost))
        .collect();
    ranked_chart(
        "top-models",
        key("chart-models-title"),
        key("table-model"),
        items,
    )
}
