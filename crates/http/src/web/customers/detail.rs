//! `GET /customers/{id}`: who the customer is, its usage this month (a sparkline and the
//! figures day by day), what its open periods would invoice now (the current-usage service
//! of `GET /api/billing/subscriptions/{id}/current-usage`), its subscriptions with their plan
//! changes, its latest invoices and a portal link. A section whose system fails says so; the
//! rest of the page is still shown.

use actix_web::{HttpRequest, HttpResponse, http::Method, http::StatusCode, web};
use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::Deserialize;
use tollgate_application::{
    ports::{CustomerRecord, InvoiceFilter, SubscriptionRecord},
    services::billing::invoices::describe,
};
use tollgate_domain::billing::{Invoice, Money};
use uuid::Uuid;

use super::{
    activity::{DayUsage, daily_usage},
    customer,
    portal_link::LIFETIMES,
};
use crate::{
    charts::{Text, sparkline},
    error::ApiError,
    state::AppState,
    web::{
        Layout, Timing, Visitor, WebError,
        error_page::{SectionFailure, degraded},
        figures::{count, date, datetime, exact, money, usd, zone},
        i18n::{Catalog, catalog, key},
        layout::render,
    },
};

/// Invoices the page lists; the billing pages have the rest.
const INVOICES: u32 = 10;
/// Subscriptions the page lists (a customer rarely has more).
const SUBSCRIPTIONS: i64 = 50;
/// Plans offered for a plan change.
const PLANS: i64 = 200;

#[derive(Deserialize)]
pub struct DetailQuery {
    tz: Option<String>,
}

pub struct Fact {
    pub label: String,
    pub value: String,
}

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

#[derive(Template)]
#[template(path = "customers/detail.html")]
struct DetailPage {
    layout: Layout,
    id: Uuid,
    name: String,
    external_id: String,
    facts: Vec<Fact>,
    tz_error: Option<String>,
    usage: Option<Usage>,
    usage_failure: Option<SectionFailure>,
    estimates: Vec<Estimate>,
    billing_failure: Option<SectionFailure>,
    subscriptions: Vec<SubscriptionRow>,
    plans: Vec<String>,
    invoices: Vec<InvoiceRow>,
    more_invoices: bool,
    invoices_failure: Option<SectionFailure>,
    can_edit: bool,
    can_change_plan: bool,
    can_link: bool,
    /// The portal-link form's values (the same form as the page that issues the link).
    customer_id: Uuid,
    return_url: String,
    expires_in: String,
    lifetimes: Vec<(i64, String)>,
}

fn facts(t: &Catalog, record: &CustomerRecord, tz: Tz) -> Vec<Fact> {
    let customer = &record.customer;
    let mut facts = vec![
        Fact {
            label: t.tr("customer-external-id"),
            value: customer.external_id().as_str().to_owned(),
        },
        Fact {
            label: t.tr("customer-email"),
            value: customer.billing_email().as_str().to_owned(),
        },
        Fact {
            label: t.tr("customer-currency"),
            value: customer.currency().code().to_owned(),
        },
        Fact {
            label: t.tr("customer-tax-rate"),
            value: customer.tax_rate().map_or_else(
                || t.tr("customer-tax-rate-default"),
                |rate| format!("{} %", exact(rate.percent())),
            ),
        },
        Fact {
            label: t.tr("customer-net-terms"),
            value: customer.net_terms().map_or_else(
                || t.tr("customer-net-terms-default"),
                |terms| t.tr_count("customer-days", i64::from(terms.days())),
            ),
        },
        Fact {
            label: t.tr("customer-timezone"),
            value: customer.timezone().as_str().to_owned(),
        },
        Fact {
            label: t.tr("customer-created"),
            value: datetime(record.created_at, tz),
        },
    ];
    if let Some(tax_id) = customer.tax_id() {
        facts.insert(
            3,
            Fact {
                label: t.tr("customer-tax-id"),
                value: tax_id.as_str().to_owned(),
            },
        );
    }
    if let Some(address) = customer.address() {
        let parts = [
            Some(address.line1.as_str()),
            address.line2.as_deref(),
            address.postal_code.as_deref(),
            Some(address.city.as_str()),
            address.state.as_deref(),
            Some(address.country.as_str()),
        ];
        facts.push(Fact {
            label: t.tr("customer-address"),
            value: parts.into_iter().flatten().collect::<Vec<_>>().join(", "),
        });
    }
    facts
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
            value: count(requests),
            exact: count(requests),
        },
        Card {
            label: t.tr("card-input-tokens"),
            value: count(total(|d| d.input_tokens)),
            exact: count(total(|d| d.input_tokens)),
        },
        Card {
            label: t.tr("card-output-tokens"),
            value: count(total(|d| d.output_tokens)),
            exact: count(total(|d| d.output_tokens)),
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
                requests: count(d.requests),
                input_tokens: count(d.input_tokens),
                output_tokens: count(d.output_tokens),
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
    visitor: &Visitor,
    subscription: &SubscriptionRow,
    tz: Tz,
) -> Result<Option<Estimate>, WebError> {
    let organization = visitor.caller.principal.organization;
    let answer = state
        .billing
        .current_usage()
        .current_usage(organization, None, subscription.id)
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

/// Subscriptions, the plans to change to and the open periods' estimates.
async fn billing_section(
    state: &AppState,
    visitor: &Visitor,
    customer: Uuid,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<(Vec<SubscriptionRow>, Vec<String>, Vec<Estimate>), WebError> {
    let organization = visitor.caller.principal.organization;
    let records = state
        .billing
        .subscriptions()
        .list(organization, Some(customer), None, SUBSCRIPTIONS)
        .await?;
    let rows: Vec<SubscriptionRow> = records
        .iter()
        .map(|record| subscription_row(record, now, tz))
        .collect();
    let plans = if rows.iter().any(|row| row.live) {
        state
            .billing
            .plans()
            .list(organization, None, PLANS)
            .await?
            .into_iter()
            .filter(|plan| plan.archived_at.is_none())
            .map(|plan| plan.current.draft.plan.code().as_str().to_owned())
            .collect()
    } else {
        Vec::new()
    };
    let mut estimates = Vec::new();
    for row in rows.iter().filter(|row| row.live) {
        if let Some(estimate) = estimate(state, visitor, row, tz).await? {
            estimates.push(estimate);
        }
    }
    Ok((rows, plans, estimates))
}

async fn invoices_section(
    state: &AppState,
    visitor: &Visitor,
    record: &CustomerRecord,
    tz: Tz,
) -> Result<(Vec<InvoiceRow>, bool), WebError> {
    let filter = InvoiceFilter {
        customer: Some(record.customer.external_id().clone()),
        ..InvoiceFilter::default()
    };
    let page = state
        .billing
        .invoices()
        .list(
            visitor.caller.principal.organization,
            &filter,
            None,
            INVOICES,
        )
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

pub async fn page(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<DetailQuery>,
) -> Result<HttpResponse, WebError> {
    let t = catalog();
    let (tz, tz_error) = match zone(query.tz.as_deref()) {
        Ok(tz) => (tz, None),
        Err(refused) => (Tz::UTC, Some(t.tr_with("customers-tz-invalid", &refused))),
    };
    let record = timing
        .measure("customer", customer(&state, &visitor, &id))
        .await?;
    let organization = visitor.caller.principal.organization;
    let external_id = record.customer.external_id().as_str().to_owned();
    let now = Utc::now();
    let (usage, usage_failure) = match timing
        .measure(
            "metering",
            daily_usage(&state, organization, &external_id, tz, now),
        )
        .await
    {
        Ok(days) => (Some(usage_section(t, &days, tz)), None),
        Err(error) => degraded(error)?,
    };
    let ((subscriptions, plans, estimates), billing_failure) = match timing
        .measure(
            "billing",
            billing_section(&state, &visitor, record.id, tz, now),
        )
        .await
    {
        Ok(section) => (section, None),
        Err(error) => degraded(error)?,
    };
    let ((invoices, more_invoices), invoices_failure) = match timing
        .measure("invoices", invoices_section(&state, &visitor, &record, tz))
        .await
    {
        Ok(section) => (section, None),
        Err(error) => degraded(error)?,
    };
    let id = record.id;
    let mut layout = Layout::page(&visitor, &request, key("customer-title"), &timing);
    layout.title = record.customer.name().to_owned();
    let page = DetailPage {
        layout,
        id,
        name: record.customer.name().to_owned(),
        facts: facts(t, &record, tz),
        external_id,
        tz_error,
        usage,
        usage_failure,
        estimates,
        billing_failure,
        subscriptions,
        plans,
        invoices,
        more_invoices,
        invoices_failure,
        can_edit: visitor.may(&Method::POST, "/customers/{id}"),
        can_change_plan: visitor.may(
            &Method::POST,
            "/customers/{id}/subscriptions/{subscription}/upgrade",
        ),
        can_link: visitor.may(&Method::POST, "/customers/{id}/portal-links"),
        customer_id: id,
        return_url: String::new(),
        expires_in: LIFETIMES[0].0.to_string(),
        lifetimes: LIFETIMES
            .iter()
            .map(|(seconds, label)| (*seconds, t.tr(label)))
            .collect(),
    };
    let status = if page.tz_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(status, &page)
}

/// The catalog key of a subscription's status.
pub fn subscription_status_key(status: &str) -> &'static str {
    match status {
        "pending" => key("customer-subscription-status-pending"),
        "active" => key("customer-subscription-status-active"),
        _ => key("customer-subscription-status-terminated"),
    }
}

/// The catalog key of an invoice's status.
pub fn invoice_status_key(status: &str) -> &'static str {
    match status {
        "draft" => key("customer-invoice-status-draft"),
        "finalized" => key("customer-invoice-status-finalized"),
        "paid" => key("customer-invoice-status-paid"),
        _ => key("customer-invoice-status-voided"),
    }
}

impl DetailPage {
    fn status_key(&self, status: &str) -> &'static str {
        subscription_status_key(status)
    }

    fn invoice_status_key(&self, status: &str) -> &'static str {
        invoice_status_key(status)
    }

    /// The billing pages' invoice list, this customer's.
    fn all_invoices(&self) -> String {
        format!(
            "/billing/invoices?customer={}",
            url::form_urlencoded::byte_serialize(self.external_id.as_bytes()).collect::<String>()
        )
    }
}
