//! `GET /customers/{id}`: who the customer is, its usage this month (a sparkline and the
//! figures day by day), what its open periods would invoice now (the current-usage service
//! of `GET /api/billing/subscriptions/{id}/current-usage`), its subscriptions with their plan
//! changes, its latest invoices and a portal link. A section whose system fails says so; the
//! rest of the page is still shown.

use actix_web::{HttpRequest, HttpResponse, http::Method, http::StatusCode, web};
use askama::Template;
use chrono::Utc;
use chrono_tz::Tz;
use serde::Deserialize;
use tollgate_application::ports::CustomerRecord;
use uuid::Uuid;

use super::{
    activity::daily_usage,
    cards::{CardRow, cards},
    customer,
    portal_link::LIFETIMES,
    sections::{
        Estimate, InvoiceRow, SubscriptionRow, Usage, estimates, invoices, plan_choices,
        subscriptions, usage_section,
    },
};
use crate::{
    state::AppState,
    web::{
        Layout, Timing, Visitor, WebError,
        error_page::{SectionFailure, degraded},
        figures::{datetime, exact},
        i18n::{Catalog, catalog, key},
        layout::render,
        when::zone,
    },
};

#[derive(Deserialize)]
pub struct DetailQuery {
    tz: Option<String>,
    /// Where Stripe's card page sent the customer back: `saved` or `cancelled`.
    card: Option<String>,
}

pub struct Fact {
    pub label: String,
    pub value: String,
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
    /// The cards on file; `None` without Stripe.
    cards: Option<Vec<CardRow>>,
    cards_failure: Option<SectionFailure>,
    /// What Stripe's card page came back with, said above the cards.
    card_notice: Option<String>,
    can_add_card: bool,
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
    let reader = &visitor.caller.principal;
    let billing = async {
        let rows = subscriptions(&state, reader, record.id, tz, now).await?;
        let plans = plan_choices(&state, reader, &rows).await?;
        let estimates = estimates(&state, reader, &rows, tz).await?;
        Ok::<_, WebError>((rows, plans, estimates))
    };
    let ((subscriptions, plans, estimates), billing_failure) =
        match timing.measure("billing", billing).await {
            Ok(section) => (section, None),
            Err(error) => degraded(error)?,
        };
    let ((invoices, more_invoices), invoices_failure) = match timing
        .measure(
            "invoices",
            invoices(&state, reader, record.customer.external_id(), tz),
        )
        .await
    {
        Ok(section) => (section, None),
        Err(error) => degraded(error)?,
    };
    let (cards, cards_failure) = match timing.measure("stripe", cards(&state, &record)).await {
        Ok(cards) => (cards, None),
        // The section stays, with the failure in its place.
        Err(error) => {
            let (_, failure): (Vec<CardRow>, _) = degraded(error)?;
            (Some(Vec::new()), failure)
        }
    };
    let card_notice = match query.card.as_deref() {
        Some("saved") => Some(t.tr("customer-card-saved")),
        Some("cancelled") => Some(t.tr("customer-card-cancelled")),
        _ => None,
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
        can_add_card: cards.is_some() && visitor.may(&Method::POST, "/customers/{id}/setup-link"),
        cards,
        cards_failure,
        card_notice,
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
