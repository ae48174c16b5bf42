//! `GET /api/audit`: the organization's audit log, oldest first, paged by sequence.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::{access::Caller, error::ApiError, extract::Checked, state::AppState};

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    after: i64,
    limit: Option<i64>,
}

pub async fn page(
    caller: Caller,
    state: web::Data<AppState>,
    query: Checked<web::Query<PageQuery>>,
) -> Result<HttpResponse, ApiError> {
    let query = query.open()?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let records = state
        .audit
        .page(caller.principal.organization, query.after, limit)
        .await
        .map_err(tollgate_application::AppError::from)?;
    let next = (records.len() as i64 == limit)
        .then(|| records.last().map(|r| r.sequence))
        .flatten();
    let data: Vec<_> = records
        .into_iter()
        .map(|r| {
            json!({
                "sequence": r.sequence,
                "occurred_at": r.occurred_at,
                "actor": r.actor,
                "action": r.action,
                "target": r.target,
                "request_id": r.request_id,
                "result": r.result,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "data": data, "next_after": next })))
}
