//! `/`: the month so far (or another period) from the metering service; for an organization
//! that has sent nothing yet, the next step (LiteLLM's configuration) instead of empty figures.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::{DateTime, Datelike, TimeDelta, TimeZone, Utc};
use rust_decimal::{Decimal, RoundingStrategy, prelude::ToPrimitive};
use serde::Deserialize;
use tollgate_domain::metering::Meter;

use super::{
    Layout, Timing, Visitor, WebError,
    i18n::{catalog, key},
    layout::render,
};
use crate::state::AppState;

/// The periods offered: query value, label key.
const PERIODS: &[(&str, &str)] = &[
    ("today", key("period-today")),
    ("7d", key("period-7d")),
    ("30d", key("period-30d")),
    ("mtd", key("period-mtd")),
];

#[derive(Deserialize)]
pub struct DashboardQuery {
    period: Option<String>,
}

pub struct Card {
    pub label: String,
    pub value: String,
    /// The exact figure, when `value` is rounded for reading.
    pub exact: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    /// (query value, label, current)
    periods: Vec<(&'static str, String, bool)>,
    period_error: Option<String>,
    empty: bool,
    cards: Vec<Card>,
    requests: i64,
    snippet: String,
}

fn period_start(period: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let midnight = Utc
        .with_ymd_and_hms(now.year(), now.month(), now.day(), 0, 0, 0)
        .single()?;
    match period {
        "today" => Some(midnight),
        "7d" => Some(now - TimeDelta::days(7)),
        "30d" => Some(now - TimeDelta::days(30)),
        "mtd" => Utc
            .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
            .single(),
        _ => None,
    }
}

/// USD for reading: cents, half to even; the exact figure goes in the card's title.
fn usd(amount: Decimal) -> String {
    let cents = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
    format!("${cents:.2}")
}

fn count(amount: Decimal) -> String {
    amount.normalize().to_string()
}

fn snippet(origin: &str) -> String {
    format!(
        "litellm_settings:\n  callbacks: [\"tollgate\"]\ncallback_settings:\n  tollgate:\n    \
         callback_type: generic_api\n    endpoint: {origin}/v1/webhooks/litellm\n    headers:\n      \
         Authorization: \"Bearer <secret>\"\n    event_types: [\"llm_api_success\", \"llm_api_failure\"]\n    \
         log_format: json_array"
    )
}

pub async fn page(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, WebError> {
    let t = catalog();
    let now = Utc::now();
    let asked = query.period.as_deref().unwrap_or("mtd");
    let (period, from, status, period_error) = match period_start(asked, now) {
        Some(from) => (asked, from, StatusCode::OK, None),
        None => (
            "mtd",
            period_start("mtd", now).unwrap_or(now),
            StatusCode::BAD_REQUEST,
            Some(t.tr("period-invalid")),
        ),
    };
    let principal = &visitor.caller.principal;
    let analytics = timing
        .measure(
            "metering",
            state.metering.analytics(
                principal.organization,
                principal.customer.as_deref(),
                from,
                now,
            ),
        )
        .await?;
    let total = |meter| {
        analytics
            .totals
            .get(&meter)
            .map(|total| total.current)
            .unwrap_or_default()
    };
    let previous_requests = analytics
        .totals
        .get(&Meter::Requests)
        .map(|total| total.previous)
        .unwrap_or_default();
    let requests = total(Meter::Requests);
    let empty = requests.is_zero() && previous_requests.is_zero();
    let cost = total(Meter::CostUsd);
    let cards = vec![
        Card {
            label: t.tr("card-cost"),
            value: usd(cost),
            exact: cost.normalize().to_string(),
        },
        Card {
            label: t.tr("card-requests"),
            value: count(requests),
            exact: count(requests),
        },
        Card {
            label: t.tr("card-input-tokens"),
            value: count(total(Meter::InputTokens)),
            exact: count(total(Meter::InputTokens)),
        },
        Card {
            label: t.tr("card-output-tokens"),
            value: count(total(Meter::OutputTokens)),
            exact: count(total(Meter::OutputTokens)),
        },
        Card {
            label: t.tr("card-projection"),
            value: usd(analytics.month_end_projection_usd),
            exact: analytics.month_end_projection_usd.normalize().to_string(),
        },
    ];
    let periods = PERIODS
        .iter()
        .map(|(value, label)| (*value, t.tr(label), *value == period))
        .collect();
    let page = DashboardPage {
        layout: Layout::page(&visitor, &request, key("dashboard-title"), &timing),
        periods,
        period_error,
        empty,
        cards,
        requests: requests.trunc().to_i64().unwrap_or(i64::MAX),
        snippet: snippet(&state.web.origin),
    };
    render(status, &page)
}
