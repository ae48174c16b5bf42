//! `GET /api/analytics`: the dashboard's summary of a period against the one before.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use tollgate_domain::ErrorCode;

use crate::{access::Caller, error::ApiError, extract::Checked, state::AppState};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AnalyticsParams {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

pub async fn show(
    caller: Caller,
    state: web::Data<AppState>,
    params: Checked<web::Query<AnalyticsParams>>,
) -> Result<HttpResponse, ApiError> {
    let params = params.open()?;
    let now = Utc::now();
    let to = params.to.unwrap_or(now);
    // Default: this calendar month so far.
    let from = match params.from {
        Some(from) => from,
        None => Utc
            .with_ymd_and_hms(to.year(), to.month(), 1, 0, 0, 0)
            .single()
            .unwrap_or(to),
    };
    if from >= to || to - from > chrono::Duration::days(3 * 366) {
        return Err(ApiError::Invalid {
            code: ErrorCode::InvalidQuery,
            message: "from must be before to, at most three years apart".into(),
        });
    }
    let summary = state
        .metering
        .analytics(
            caller.principal.organization,
            caller.principal.customer.as_deref(),
            from,
            to,
        )
        .await?;
    let mut totals = Map::new();
    for (meter, total) in &summary.totals {
        let change = (!total.previous.is_zero()).then(|| {
            ((total.current - total.previous) / total.previous)
                .round_dp(4)
                .to_string()
        });
        totals.insert(
            meter.slug().to_owned(),
            json!({
                "current": total.current.normalize().to_string(),
                "previous": total.previous.normalize().to_string(),
                "change": change,
            }),
        );
    }
    let body: Value = json!({
        "from": summary.from,
        "to": summary.to,
        "previous_from": summary.previous_from,
        "totals": totals,
        "cost_by_model": summary.cost_by_model.iter().map(|(model, cost)| json!({
            "model": model, "cost_usd": cost.normalize().to_string(),
        })).collect::<Vec<_>>(),
        "top_customers": summary.top_customers.iter().map(|(customer, cost, requests)| json!({
            "customer": customer,
            "cost_usd": cost.normalize().to_string(),
            "requests": requests.normalize().to_string(),
        })).collect::<Vec<_>>(),
        "tokens": {
            "input": summary.totals.get(&tollgate_domain::metering::Meter::InputTokens).map(|t| t.current.to_string()),
            "output": summary.totals.get(&tollgate_domain::metering::Meter::OutputTokens).map(|t| t.current.to_string()),
        },
        "error_rate": summary.error_rate.map(|r| r.round_dp(6).normalize().to_string()),
        "cache_savings_usd": summary.cache_savings_usd.round_dp(10).normalize().to_string(),
        "month_end_projection_usd": summary.month_end_projection_usd.round_dp(10).normalize().to_string(),
    });
    Ok(HttpResponse::Ok().json(body))
}
