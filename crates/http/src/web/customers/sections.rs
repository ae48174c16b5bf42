//! The sections a customer's page and its portal share: this month's usage, the open
//! periods' estimated charges, subscriptions and the latest invoices, each read for a
//! [`Principal`] (a customer's member reads its own customer only).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use tollgate_application::{
    ports::{InvoiceFilter, SubscriptionRecord},
    services::{access::Principal, billing::invoices::describe},
};
use tollgate_domain::{
    billing::{Invoice, Money},
    usage::CustomerId,
};
use uuid::Uuid;

use super::activity::DayUsage;
use crate::{
    charts::{Text, sparkline},
    error::ApiError,
    state::AppState,
    web::{
        WebError,
        figures::{date, datetime, exact, grouped, money, usd},
        i18n::{Catalog, catalog},
    },
};

/// Invoices the page lists; the billing pages have the rest.
const INVOICES: u32 = 10;
/// Subscriptions the page lists (a customer rarely has more).
const SUBSCRIPTIONS: i64 = 50;
/// Plans offered for a plan change.
const PLANS: i64 = 200;

pub struct Card {
    pub label: String,
    pub value: String,
    pub exact: String,
}

pub struct DayRow {
    pub date: String,
    pub requests: String,
    pub input_tokens: String,
    pub output_tokens: String,
    pub cost: String,
    pub cost_exact: String,
}

/// This month's usage, as cards, a sparkline and a table.
pub struct Usage {
    pub cards: Vec<Card>,
    pub chart: String,
    pub days: Vec<DayRow>,
    pub any: bool,
}

pub struct LineRow {
    pub description: String,
    pub quantity: String,
    pub amount: String,
}

/// One open period rated to now, or why it cannot be.
pub struct Estimate {
    pub subscription: String,
    pub period: String,
    pub as_of: String,
    pub lines: Vec<LineRow>,
    pub subtotal: String,
    pub tax_rate: String,
    pub tax: String,
    pub total: String,
    /// The service refused (Lago rates usage itself; every period invoiced): its message.
    pub refusal: Option<String>,
}

pub struct SubscriptionRow {
    pub id: Uuid,
    pub external_id: String,
    pub status: &'static str,
    pub plan: String,
    pub period: Option<String>,
    pub pending: Option<String>,
    pub live: bool,
}

pub struct InvoiceRow {
    pub id: Uuid,
    pub number: String,
    pub status: &'static str,
    pub period: String,
    pub issued: String,
    pub total: String,
}

/// The month's usage for the page (also the portal's).
pub fn usage_section(t: &Catalog, days: &[DayUsage], tz: Tz) -> Usage {
    let total = |of: fn(&DayUsage) -> Decimal| days.iter().map(of).sum::<Decimal>();
    let cost = total(|d| d.cost);
    let requests = total(|d| d.requests);
    let cards = vec![
        Card {
            label: t.tr("card-cost"),
            value: usd(cost),
            exact: exact(cost),
        },
        Card {
            label: t.tr("card-requests"),
            value: grouped(requests),
            exact: grouped(requests),
        },
        Card {
            label: t.tr("card-input-tokens"),
            value: grouped(total(|d| d.input_tokens)),
            exact: grouped(total(|d| d.input_tokens)),
        },
        Card {
            label: t.tr("card-output-tokens"),
            value: grouped(total(|d| d.output_tokens)),
            exact: grouped(total(|d| d.output_tokens)),
        },
    ];
    let labels: Vec<String> = days.iter().map(|d| date(d.day, tz)).collect();
    let values: Vec<Decimal> = days.iter().map(|d| d.cost).collect();
    let title = t.tr("customer-usage-chart-title");
    let desc = t.tr("customer-usage-chart-desc");
    let empty = t.tr("customer-usage-empty");
    let chart = sparkline(
        &Text {
            id: "usage-trend",
            title: &title,
            desc: &desc,
            empty: &empty,
        },
        &labels,
        &values,
    );
    Usage {
        cards,
        chart,
        any: !requests.is_zero(),
        days: days
            .iter()
            .rev()
            .map(|d| DayRow {
                date: date(d.day, tz),
                requests: grouped(d.requests),
                input_tokens: grouped(d.input_tokens),
                output_tokens: grouped(d.output_tokens),
                cost: usd(d.cost),
                cost_exact: exact(d.cost),
            })
            .collect(),
    }
}

fn span(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> String {
    format!("{} – {}", date(start, tz), date(end, tz))
}

fn subscription_row(record: &SubscriptionRecord, now: DateTime<Utc>, tz: Tz) -> SubscriptionRow {
    let subscription = &record.subscription;
    let code = |plan_id: Uuid| {
        record
            .plan_codes
            .get(&plan_id)
            .cloned()
            .unwrap_or_else(|| plan_id.to_string())
    };
    let status = subscription.status_at(now);
    let running = subscription
        .phase_at(now)
        .or_else(|| subscription.phases().first());
    SubscriptionRow {
        id: record.id,
        external_id: record.external_id.clone(),
        status: status.as_str(),
        plan: running
            .map(|phase| code(phase.plan.plan_id))
            .unwrap_or_default(),
        period: status
            .is_live()
            .then(|| subscription.current_period(now).ok())
            .flatten()
            .map(|period| span(period.start(), period.end(), tz)),
        pending: subscription
            .scheduled_after(now.max(subscription.started_at()))
            .map(|phase| {
                format!(
                    "{} ({})",
                    code(phase.plan.plan_id),
                    date(phase.starts_at, tz)
                )
            }),
        live: status.is_live(),
    }
}

/// The open period of `subscription` rated to now; a refusal of the service is shown in its
/// place, an outside system's failure is the section's.
async fn estimate(
    state: &AppState,
    reader: &Principal,
    subscription: &SubscriptionRow,
    tz: Tz,
) -> Result<Option<Estimate>, WebError> {
    let answer = state
        .billing
        .current_usage()
        .current_usage(
            reader.organization,
            reader.customer.as_deref(),
            subscription.id,
        )
        .await;
    let usage = match answer {
        Ok(Some(usage)) => usage,
        Ok(None) => return Ok(None),
        Err(error) => {
            let error = ApiError::from(error);
            if actix_web::ResponseError::status_code(&error).is_client_error() {
                return Ok(Some(Estimate {
                    subscription: subscription.external_id.clone(),
                    period: String::new(),
                    as_of: String::new(),
                    lines: Vec::new(),
                    subtotal: String::new(),
                    tax_rate: String::new(),
                    tax: String::new(),
                    total: String::new(),
                    refusal: Some(error.public_message()),
                }));
            }
            return Err(error.into());
        }
    };
    let zero = Money::zero(usage.currency);
    let invoice = usage.invoice.as_ref();
    let amount = |of: fn(&Invoice) -> Money| money(invoice.map_or(zero, of));
    Ok(Some(Estimate {
        subscription: subscription.external_id.clone(),
        period: span(usage.period.start(), usage.period.end(), tz),
        as_of: datetime(usage.as_of, tz),
        lines: invoice
            .map(|invoice| {
                invoice
                    .lines()
                    .iter()
                    .map(|line| LineRow {
                        description: describe(line),
                        quantity: exact(line.billed_quantity()),
                        amount: money(line.amount()),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        subtotal: amount(Invoice::subtotal),
        tax_rate: format!("{} %", exact(usage.tax_rate.percent())),
        tax: amount(Invoice::tax),
        total: amount(Invoice::total),
        refusal: None,
    }))
}

/// The customer's subscriptions (id `customer`), newest first.
pub async fn subscriptions(
    state: &AppState,
    reader: &Principal,
    customer: Uuid,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<SubscriptionRow>, WebError> {
    let records = state
        .billing
        .subscriptions()
        .list(reader.organization, Some(customer), None, SUBSCRIPTIONS)
        .await?;
    Ok(records
        .iter()
        .map(|record| subscription_row(record, now, tz))
        .collect())
}

/// The codes of the plans a live subscription may change to: none when nothing is live.
pub async fn plan_choices(
    state: &AppState,
    reader: &Principal,
    subscriptions: &[SubscriptionRow],
) -> Result<Vec<String>, WebError> {
    if !subscriptions.iter().any(|row| row.live) {
        return Ok(Vec::new());
    }
    Ok(state
        .billing
        .plans()
        .list(reader.organization, None, PLANS)
        .await?
        .into_iter()
        .filter(|plan| plan.archived_at.is_none())
        .map(|plan| plan.current.draft.plan.code().as_str().to_owned())
        .collect())
}

/// Each live subscription's open period, rated to now.
pub async fn estimates(
    state: &AppState,
    reader: &Principal,
    subscriptions: &[SubscriptionRow],
    tz: Tz,
) -> Result<Vec<Estimate>, WebError> {
    let mut estimates = Vec::new();
    for row in subscriptions.iter().filter(|row| row.live) {
        if let Some(estimate) = estimate(state, reader, row, tz).await? {
            estimates.push(estimate);
        }
    }
    Ok(estimates)
}

/// The customer's latest invoices, and whether there are more.
pub async fn invoices(
    state: &AppState,
    reader: &Principal,
    customer: &CustomerId,
    tz: Tz,
) -> Result<(Vec<InvoiceRow>, bool), WebError> {
    let filter = InvoiceFilter {
        customer: Some(customer.clone()),
        issued_only: reader.customer.is_some(),
        ..InvoiceFilter::default()
    };
    let page = state
        .billing
        .invoices()
        .list(reader.organization, &filter, None, INVOICES)
        .await?;
    let rows = page
        .invoices
        .iter()
        .map(|invoice| InvoiceRow {
            id: invoice.id,
            number: invoice.invoice.number().map_or_else(
                || catalog().tr("customer-invoice-draft"),
                ToString::to_string,
            ),
            status: invoice.invoice.status().as_str(),
            period: span(invoice.period.start(), invoice.period.end(), tz),
            issued: date(invoice.issued_at, tz),
            total: money(invoice.invoice.total()),
        })
        .collect();
    Ok((rows, page.next.is_some()))
}
