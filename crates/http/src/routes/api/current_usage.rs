//! `GET /api/billing/subscriptions/{id}/current-usage`: the subscription's open period rated
//! to now by the period close's own rules (what its closing invoice would hold with the usage
//! stored so far). A customer's member may read its own customer's.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tollgate_domain::billing::{Invoice, Money};
use uuid::Uuid;

use super::invoices::dto::{LineDto, PeriodDto, exact, line, money};
use crate::{access::Caller, error::ApiError, state::AppState};

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CurrentUsageResponse {
    subscription_id: Uuid,
    customer: String,
    /// What the next closing invoice covers.
    period: PeriodDto,
    /// Usage is counted up to here.
    as_of: DateTime<Utc>,
    currency: String,
    /// The period's lines so far: base fees in arrears for the whole period, usage to date,
    /// credits for unused days of a phase that ended; never the next period's fee.
    lines: Vec<LineDto>,
    tax_rate: String,
    subtotal: String,
    tax: String,
    total: String,
}

pub async fn show(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let missing = || ApiError::Missing {
        what: "subscription",
    };
    let id = Uuid::parse_str(&id).map_err(|_| missing())?;
    let usage = state
        .billing
        .current_usage()
        .current_usage(
            caller.principal.organization,
            caller.principal.customer.as_deref(),
            id,
        )
        .await?
        .ok_or_else(missing)?;
    let invoice = usage.invoice.as_ref();
    let zero = Money::zero(usage.currency);
    let amount = |of: fn(&Invoice) -> Money| money(invoice.map_or(zero, of));
    Ok(HttpResponse::Ok().json(CurrentUsageResponse {
        subscription_id: id,
        customer: usage.customer.as_str().to_owned(),
        period: usage.period.into(),
        as_of: usage.as_of,
        currency: usage.currency.code().to_owned(),
        lines: invoice
            .map(|i| i.lines().iter().map(line).collect())
            .unwrap_or_default(),
        tax_rate: exact(usage.tax_rate.percent()),
        subtotal: amount(Invoice::subtotal),
        tax: amount(Invoice::tax),
        total: amount(Invoice::total),
    }))
}
