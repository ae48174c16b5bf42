//! `/api/privacy/consents`: consent to optional processing, recorded by an operator for a
//! person (`member:<subject>`) or a customer (`customer:<id>`), e.g. from their own product's
//! settings page; `GET ?subject=` lists a subject's records, newest first. The dashboard's
//! banner records a person's own answer through the same service.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use tollgate_application::{
    ports::ConsentRecord,
    services::compliance::consents::{ConsentChange, ConsentService},
};
use tollgate_domain::{
    ErrorCode,
    privacy::consent::{ConsentDecision, ConsentMethod, Subject},
};

use crate::{
    access::Caller,
    error::ApiError,
    extract::{ApiJson, Checked},
    state::AppState,
};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// `member:<identity subject>` or `customer:<customer id>`.
    subject: String,
    /// One or more of `langfuse_export`, `prompt_capture`, `analytics_cookies`.
    purposes: Vec<String>,
    /// The version of the notice the person was shown (`GET /api/privacy/consents` answers
    /// the one in force); another is 422 `stale_notice_version`.
    notice_version: String,
}

#[derive(Deserialize)]
pub struct SubjectQuery {
    subject: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ConsentResponse {
    id: i64,
    subject: String,
    /// `langfuse_export`, `prompt_capture` or `analytics_cookies`.
    purpose: &'static str,
    /// `granted` or `withdrawn`.
    decision: &'static str,
    notice_version: String,
    /// Hex SHA-256 of the notice's text.
    notice_sha256: String,
    /// `banner` or `api`.
    method: &'static str,
    /// Who recorded it: `user:<subject>`, `api_key:<id>`.
    actor: String,
    recorded_at: chrono::DateTime<chrono::Utc>,
    request_id: Option<String>,
}

impl From<&ConsentRecord> for ConsentResponse {
    fn from(record: &ConsentRecord) -> Self {
        Self {
            id: record.id,
            subject: record.subject.to_string(),
            purpose: record.purpose.as_str(),
            decision: record.decision.as_str(),
            notice_version: record.notice_version.clone(),
            notice_sha256: hex::encode(record.notice_sha256),
            method: record.method.as_str(),
            actor: record.actor.clone(),
            recorded_at: record.recorded_at,
            request_id: record.request_id.clone(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ConsentsRecorded {
    /// One record per purpose named.
    data: Vec<ConsentResponse>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ConsentListResponse {
    subject: String,
    /// The notice in force: decisions are recorded under it.
    notice_version: String,
    notice_sha256: String,
    /// Newest first; the first per purpose is the standing decision.
    data: Vec<ConsentResponse>,
}

fn subject(text: &str) -> Result<Subject, ApiError> {
    Subject::parse(text).ok_or_else(|| ApiError::Invalid {
        code: ErrorCode::InvalidValue,
        message: "subject must be member:<subject> or customer:<customer id> (1 to 512 \
                  characters after the colon)"
            .to_owned(),
    })
}

async fn record(
    caller: Caller,
    state: web::Data<AppState>,
    body: Checked<ApiJson<ConsentRequest>>,
    decision: ConsentDecision,
) -> Result<HttpResponse, ApiError> {
    let body = body.open()?.into_inner();
    let subject = subject(&body.subject)?;
    let purposes = body
        .purposes
        .iter()
        .map(|name| ConsentService::purpose(name))
        .collect::<Result<Vec<_>, _>>()?;
    let records = state
        .consents
        .record(
            caller.principal.organization,
            ConsentChange {
                subject,
                purposes,
                decision,
                notice_version: &body.notice_version,
                method: ConsentMethod::Api,
            },
            &caller.audit,
        )
        .await?;
    Ok(HttpResponse::Created().json(ConsentsRecorded {
        data: records.iter().map(ConsentResponse::from).collect(),
    }))
}

pub async fn grant(
    caller: Caller,
    state: web::Data<AppState>,
    body: Checked<ApiJson<ConsentRequest>>,
) -> Result<HttpResponse, ApiError> {
    record(caller, state, body, ConsentDecision::Granted).await
}

pub async fn withdraw(
    caller: Caller,
    state: web::Data<AppState>,
    body: Checked<ApiJson<ConsentRequest>>,
) -> Result<HttpResponse, ApiError> {
    record(caller, state, body, ConsentDecision::Withdrawn).await
}

pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: Checked<web::Query<SubjectQuery>>,
) -> Result<HttpResponse, ApiError> {
    let query = query.open()?.into_inner();
    let text = query.subject.ok_or_else(|| ApiError::Invalid {
        code: ErrorCode::MissingField,
        message: "name the subject: ?subject=member:<subject> or customer:<customer id>".to_owned(),
    })?;
    let subject = subject(&text)?;
    let records = state
        .consents
        .history(caller.principal.organization, &subject)
        .await?;
    let notice = state.consents.notice();
    Ok(HttpResponse::Ok().json(ConsentListResponse {
        subject: subject.to_string(),
        notice_version: notice.version.clone(),
        notice_sha256: notice.sha256_hex(),
        data: records.iter().map(ConsentResponse::from).collect(),
    }))
}
