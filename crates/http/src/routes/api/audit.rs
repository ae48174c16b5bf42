//! `GET /api/audit`: the organization's audit log, oldest first, paged by sequence.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::paging::{self, Paged};
use crate::{access::Caller, error::ApiError, state::AppState};

const LIST: &str = "audit";

pub async fn page(
    caller: Caller,
    state: web::Data<AppState>,
    query: Paged,
) -> Result<HttpResponse, ApiError> {
    let (page, _) = query.open()?;
    let after = page.after::<i64>(LIST)?.unwrap_or(0);
    let records = state
        .audit
        .page(caller.principal.organization, after, page.fetch())
        .await
        .map_err(tollgate_application::AppError::from)?;
    let (records, next) = page.split(LIST, records, |r| r.sequence);
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
    Ok(paging::answer(&data, next))
}
