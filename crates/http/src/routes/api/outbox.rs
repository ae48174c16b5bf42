//! `/api/admin/outbox`: the organization's undelivered events per target and state, and dead
//! letters sent back for another try.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use tollgate_application::{AppError, ports::AuditEntry};

use crate::{access::Caller, error::ApiError, extract::ApiJson, state::AppState};

pub async fn depth(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rows = state
        .outbox
        .depth(Some(caller.principal.organization))
        .await
        .map_err(AppError::from)?;
    let data: Vec<_> = rows
        .into_iter()
        .map(|row| {
            json!({
                "target": row.target,
                "state": row.state,
                "count": row.count,
                "oldest_age_seconds": row.oldest_age_secs,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "data": data })))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryRequest {
    target: Option<String>,
}

pub async fn retry(
    caller: Caller,
    state: web::Data<AppState>,
    body: Option<ApiJson<RetryRequest>>,
) -> Result<HttpResponse, ApiError> {
    let target = body.map(|b| b.into_inner()).unwrap_or_default().target;
    let audit = AuditEntry::success(
        &caller.audit,
        "outbox.retry_dead",
        Some(format!("outbox:{}", target.as_deref().unwrap_or("*"))),
    );
    let revived = state
        .outbox
        .retry_dead(caller.principal.organization, target, &audit)
        .await
        .map_err(AppError::from)?;
    Ok(HttpResponse::Ok().json(json!({ "retried": revived })))
}
