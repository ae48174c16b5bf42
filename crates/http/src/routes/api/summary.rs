//! `GET /api/billing/summary?from&to`: per currency, what was invoiced, paid, is outstanding
//! and was credited over the span, as exact decimal strings in the currency's minor units.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tollgate_application::ports::CurrencyTotals;

use super::invoices::dto::money;
use crate::{access::Caller, error::ApiError, extract::Checked, state::AppState};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SummaryParams {
    /// Start of the span (inclusive, RFC 3339).
    from: DateTime<Utc>,
    /// End of the span (exclusive, RFC 3339); at most about ten years after `from`.
    to: DateTime<Utc>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SummaryResponse {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    /// One entry per currency with something to show, by currency code.
    data: Vec<CurrencySummaryDto>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CurrencySummaryDto {
    currency: String,
    /// Invoices finalized in the span (whatever became of them since).
    invoiced: String,
    /// Payments recorded in the span.
    paid: String,
    /// What finalized invoices still asked at `to`: neither paid nor voided by then, less
    /// what credit notes cancelled of them.
    outstanding: String,
    /// Credit notes issued in the span.
    credited: String,
}

impl From<&CurrencyTotals> for CurrencySummaryDto {
    fn from(totals: &CurrencyTotals) -> Self {
        Self {
            currency: totals.invoiced.currency().code().to_owned(),
            invoiced: money(totals.invoiced),
            paid: money(totals.paid),
            outstanding: money(totals.outstanding),
            credited: money(totals.credited),
        }
    }
}

pub async fn show(
    caller: Caller,
    state: web::Data<AppState>,
    params: Checked<web::Query<SummaryParams>>,
) -> Result<HttpResponse, ApiError> {
    let params = params.open()?.into_inner();
    let totals = state
        .billing
        .summary()
        .summary(caller.principal.organization, params.from, params.to)
        .await?;
    Ok(HttpResponse::Ok().json(SummaryResponse {
        from: params.from,
        to: params.to,
        data: totals.iter().map(CurrencySummaryDto::from).collect(),
    }))
}
