//! `/`: a period's figures against the period before (usage from the metering service, money
//! from the billing summary), cost per day by model, the top customers and models, and the
//! delivery backlog for owners and admins. Each section reads on its own: a failing upstream
//! (OpenMeter, Lago) puts a notice in its section only. An organization that has sent nothing
//! yet sees the next step (LiteLLM's configuration) instead of empty figures.

mod billing;
mod figures;
pub(super) mod period;
mod usage;

use actix_web::{
    HttpRequest, HttpResponse,
    http::{Method, StatusCode},
    web,
};
use askama::Template;
use futures_util::future::join5;
use rust_decimal::{Decimal, prelude::ToPrimitive};
use tollgate_application::{
    AppError,
    ports::{EventFilter, GroupBy, UsageQuery, Window},
    services::metering::analytics::Analytics,
};
use tollgate_domain::{access::Role, metering::Meter};

use self::{
    figures::{Card, percent, usd},
    period::{FieldError, PERIODS, Period, PeriodQuery},
    usage::Chart,
};
use super::{
    Layout, Timing, Visitor, WebError,
    figures::grouped,
    i18n::{catalog, key},
    layout::render,
    litellm,
};
use crate::{access::requirement_for, state::AppState};

/// A section's content, or what to say instead when its source failed.
type Section<T> = Result<T, String>;

pub struct PeriodLink {
    pub href: String,
    pub label: String,
    pub current: bool,
}

pub struct UsageView {
    pub cards: Vec<Card>,
    pub requests: i64,
    pub customers: Chart,
    pub models: Chart,
}

/// Events not yet delivered to the metering and billing targets.
pub struct Backlog {
    pub pending: i64,
    pub dead: i64,
    /// The page that shows it per target, when the dashboard has one.
    pub href: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    periods: Vec<PeriodLink>,
    period: Period,
    custom: bool,
    /// (field, message) of the refused query fields.
    errors: Vec<(&'static str, String)>,
    range: String,
    empty: bool,
    usage: Section<UsageView>,
    daily: Section<Chart>,
    billing: Section<Vec<Card>>,
    backlog: Option<Section<Backlog>>,
    snippet: String,
}

impl DashboardPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, message)| message.as_str())
    }
}

/// What a section shows when its source failed: the error page's words, logged.
fn failed(error: AppError) -> String {
    let error = WebError::from(error);
    tracing::warn!(%error, "a dashboard section could not be read");
    error.notice()
}

fn usage_cards(analytics: &Analytics) -> Vec<Card> {
    let t = catalog();
    let total = |meter| {
        analytics
            .totals
            .get(&meter)
            .map(|total| (total.current, total.previous))
            .unwrap_or_default()
    };
    let (cost, before) = total(Meter::CostUsd);
    let mut cards = vec![
        Card::new(t.tr("card-cost"), usd(cost), cost.normalize().to_string()).against(
            cost,
            before,
            usd(before),
        ),
    ];
    let counted = [
        (key("card-requests"), Meter::Requests),
        (key("card-input-tokens"), Meter::InputTokens),
        (key("card-output-tokens"), Meter::OutputTokens),
        (key("card-cached-tokens"), Meter::CachedTokens),
        (key("card-reasoning-tokens"), Meter::ReasoningTokens),
    ];
    for (label, meter) in counted {
        let (now, before) = total(meter);
        cards.push(Card::new(t.tr(label), grouped(now), grouped(now)).against(
            now,
            before,
            grouped(before),
        ));
    }
    let error_rate = analytics.error_rate.unwrap_or_default();
    let mut errors = Card::new(
        t.tr("card-error-rate"),
        percent(error_rate),
        error_rate.normalize().to_string(),
    );
    if let Some(before) = analytics.previous_error_rate {
        errors = errors.against(error_rate, before, percent(before));
    }
    cards.push(errors);
    cards.push(
        Card::new(
            t.tr("card-cache-savings"),
            usd(analytics.cache_savings_usd),
            analytics.cache_savings_usd.normalize().to_string(),
        )
        .against(
            analytics.cache_savings_usd,
            analytics.previous_cache_savings_usd,
            usd(analytics.previous_cache_savings_usd),
        ),
    );
    cards.push(Card::new(
        t.tr("card-projection"),
        usd(analytics.month_end_projection_usd),
        analytics.month_end_projection_usd.normalize().to_string(),
    ));
    cards
}

async fn backlog(state: &AppState, visitor: &Visitor) -> Section<Backlog> {
    let rows = state
        .outbox
        .depth(Some(visitor.caller.principal.organization))
        .await
        .map_err(|e| failed(e.into()))?;
    let sum = |wanted: &str| {
        rows.iter()
            .filter(|row| row.state == wanted)
            .map(|row| row.count)
            .sum()
    };
    let page = "/settings/delivery";
    Ok(Backlog {
        pending: sum("pending"),
        dead: sum("dead"),
        href: requirement_for(&Method::GET, page)
            .is_some_and(|r| r.roles.contains(&visitor.role))
            .then_some(page),
    })
}

pub async fn page(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    query: web::Query<PeriodQuery>,
) -> Result<HttpResponse, WebError> {
    let t = catalog();
    let now = chrono::Utc::now();
    let (period, refused) = period::parse(&query, now);
    let status = if refused.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let principal = &visitor.caller.principal;
    let organization = principal.organization;
    let customer = principal.customer.as_deref();
    let daily_query = UsageQuery {
        from: period.from,
        to: period.to,
        window: Window::Day,
        time_zone: period.tz.name().to_owned(),
        group_by: Some(GroupBy::Model),
        customer: customer.map(str::to_owned),
    };
    let previous_from = period.from - (period.to - period.from);
    let summary = state.billing.summary();
    let wants_backlog = matches!(visitor.role, Role::Owner | Role::Admin);
    let (analytics, daily, (billing_now, billing_before), backlog, history) = join5(
        timing.measure(
            "analytics",
            state
                .metering
                .analytics(organization, customer, period.from, period.to),
        ),
        timing.measure("daily", state.metering.usage(organization, &daily_query)),
        timing.measure(
            "billing",
            futures_util::future::join(
                summary.summary(organization, period.from, period.to),
                summary.summary(organization, previous_from, period.from),
            ),
        ),
        timing.measure("outbox", async {
            if wants_backlog {
                Some(backlog(&state, &visitor).await)
            } else {
                None
            }
        }),
        timing.measure(
            "events",
            state
                .metering
                .events(organization, customer, EventFilter::default(), None, 1),
        ),
    )
    .await;

    let cost = analytics
        .as_ref()
        .ok()
        .and_then(|a| a.totals.get(&Meter::CostUsd))
        .map_or(Decimal::ZERO, |total| total.current);
    let empty = match &history {
        Ok(events) => events.is_empty(),
        Err(_) => analytics.as_ref().is_ok_and(|a| {
            a.totals
                .get(&Meter::Requests)
                .is_none_or(|r| r.current.is_zero() && r.previous.is_zero())
        }),
    };
    let billing = match (billing_now, billing_before) {
        (Ok(now), Ok(before)) => {
            let mut cards = billing::cards(&now, &before);
            if analytics.is_ok() {
                cards.extend(billing::margin(&now, cost));
            }
            Ok(cards)
        }
        (Err(error), _) | (_, Err(error)) => Err(failed(error)),
    };
    let usage = analytics.map_err(failed).map(|analytics| UsageView {
        cards: usage_cards(&analytics),
        requests: analytics
            .totals
            .get(&Meter::Requests)
            .and_then(|r| r.current.trunc().to_i64())
            .unwrap_or_default(),
        customers: usage::top_customers(&analytics),
        models: usage::top_models(&analytics),
    });
    let daily = daily
        .map_err(failed)
        .map(|answer| usage::daily_cost(&period, &answer.series));

    let periods = PERIODS
        .iter()
        .map(|(value, label)| PeriodLink {
            href: format!("/?{}", period.query(value)),
            label: t.tr(label),
            current: *value == period.value,
        })
        .collect();
    let errors = refused
        .iter()
        .map(|FieldError { field, message }| (*field, t.tr(message)))
        .collect();
    let local = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&period.tz)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let range = format!(
        "{} – {} ({})",
        local(period.from),
        local(period.to),
        period.tz.name()
    );
    let page = DashboardPage {
        layout: Layout::page(&visitor, &request, key("dashboard-title"), &timing),
        periods,
        custom: period.value == "custom",
        period,
        errors,
        range,
        empty,
        usage,
        daily,
        billing,
        backlog,
        snippet: litellm::snippet(&state.web.origin, litellm::SECRET_PLACEHOLDER),
    };
    render(status, &page)
}
