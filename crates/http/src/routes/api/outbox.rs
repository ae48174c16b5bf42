//! `/api/admin/outbox`: the organization's undelivered events per target and state, its dead
//! letters one by one (newest first), and dead letters sent back for another try (all, a
//! target's, or one).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tollgate_application::{
    AppError,
    ports::{AuditEntry, DeadLetter},
};

use super::paging::{self, Paged};
use crate::{access::Caller, error::ApiError, extract::ApiJson, state::AppState};

const DEAD_LETTERS: &str = "dead_letters";

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterFilter {
    /// One target's dead letters (`openmeter`, `lago`, `embedded_meter`...); all when absent.
    target: Option<String>,
}

/// One dead letter: which event, where it was going, and why it was given up.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct DeadLetterResponse {
    /// The outbox row: what `/api/admin/outbox/dead-letters/{id}/retry` takes.
    id: i64,
    /// The usage event it carries (`/api/usage/events/{id}`).
    event_id: i64,
    target: String,
    /// Attempts made before it was given up.
    attempts: i32,
    /// The reason recorded when it died (the target's answer), at most 500 characters.
    last_error: Option<String>,
    died_at: Option<DateTime<Utc>>,
    /// When the event was stored and queued.
    queued_at: DateTime<Utc>,
}

impl From<DeadLetter> for DeadLetterResponse {
    fn from(letter: DeadLetter) -> Self {
        Self {
            id: letter.outbox_id,
            event_id: letter.event_id,
            target: letter.target,
            attempts: letter.attempts,
            last_error: letter.last_error,
            died_at: letter.died_at,
            queued_at: letter.queued_at,
        }
    }
}

pub async fn dead_letters(
    caller: Caller,
    state: web::Data<AppState>,
    query: Paged<DeadLetterFilter>,
) -> Result<HttpResponse, ApiError> {
    let (page, filter) = query.open()?;
    let letters = state
        .outbox
        .dead_letters(
            caller.principal.organization,
            filter.target,
            page.after::<i64>(DEAD_LETTERS)?,
            page.fetch(),
        )
        .await
        .map_err(AppError::from)?;
    let (letters, next) = page.split(DEAD_LETTERS, letters, |l| l.outbox_id);
    let data: Vec<DeadLetterResponse> = letters.into_iter().map(Into::into).collect();
    Ok(paging::answer(&data, next))
}

/// The audit record of one dead letter sent back.
pub(crate) fn retry_one_audit(caller: &Caller, id: i64) -> AuditEntry {
    AuditEntry::success(
        &caller.audit,
        "outbox.retry_dead_letter",
        Some(format!("outbox:{id}")),
    )
}

pub async fn retry_dead_letter(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    // Not a number, another organization's, or no longer dead: simply not found.
    let id: i64 = id.parse().map_err(|_| ApiError::Missing {
        what: "dead letter",
    })?;
    let revived = state
        .outbox
        .retry_dead_letter(
            caller.principal.organization,
            id,
            &retry_one_audit(&caller, id),
        )
        .await
        .map_err(AppError::from)?;
    if !revived {
        return Err(ApiError::Missing {
            what: "dead letter",
        });
    }
    Ok(HttpResponse::Ok().json(json!({ "retried": 1 })))
}
