//! LiteLLM's webhooks: usage events (`generic_api` callback) and budget alerts.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::Utc;
use serde::Serialize;
use tollgate_adapters::litellm::{DecodeOptions, decode_alert, decode_usage_body};
use tollgate_application::{ports::StoredOrDuplicate, services::ingest::IngestReport};

use crate::{error::ApiError, state::AppState};

/// Bodies above this are decoded on the blocking pool, so one large batch does not stall the
/// other connections of its worker.
const DECODE_INLINE_MAX_BYTES: usize = 256 * 1024;

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct IngestResponse {
    accepted: usize,
    duplicates: usize,
    quarantined: usize,
    errors: Vec<EventError>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct EventError {
    index: usize,
    code: &'static str,
    message: String,
}

impl From<IngestReport> for IngestResponse {
    fn from(report: IngestReport) -> Self {
        Self {
            accepted: report.accepted,
            duplicates: report.duplicates,
            quarantined: report.quarantined.len(),
            errors: report
                .quarantined
                .into_iter()
                .map(|q| EventError {
                    index: q.index,
                    code: q.code.as_str(),
                    message: q.message,
                })
                .collect(),
        }
    }
}

/// `POST /v1/webhooks/litellm`: answers 202 only once every event is durably stored, kept as
/// a duplicate, or quarantined.
pub async fn receive_usage(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    // Authenticate before reading a byte of a body that may be 32 MiB.
    let secret = bearer_token(&request).ok_or(ApiError::Unauthorized)?;
    let organization = state.webhooks.authenticate(secret).await?;
    let (body, _held) = state
        .bodies
        .read(&request, payload, state.body_limit_bytes)
        .await?;
    let options = DecodeOptions {
        received_at: Utc::now(),
        ..state.decode_options.clone()
    };
    let decoded = if body.len() <= DECODE_INLINE_MAX_BYTES {
        decode_usage_body(&body, &options)?
    } else {
        web::block(move || decode_usage_body(&body, &options))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))??
    };
    let report = state.webhooks.ingest_usage(organization, decoded).await?;
    state
        .metrics
        .count_events(report.accepted, report.duplicates, report.quarantined.len());
    Ok(HttpResponse::Accepted().json(IngestResponse::from(report)))
}

/// `POST /v1/webhooks/litellm/alerts/{secret}`: LiteLLM's alert webhook sends no headers of
/// its own, so the secret travels in the path.
pub async fn receive_alert(
    request: HttpRequest,
    secret: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let organization = state.webhooks.authenticate(&secret).await?;
    let (body, _held) = state
        .bodies
        .read(&request, payload, state.body_limit_bytes)
        .await?;
    let alert = decode_alert(&body, Utc::now())?;
    let outcome = state.webhooks.record_alert(organization, &alert).await?;
    let label = match outcome {
        StoredOrDuplicate::Stored => "stored",
        StoredOrDuplicate::Duplicate => "duplicate",
    };
    state.metrics.alerts.with_label_values(&[label]).inc();
    Ok(HttpResponse::Accepted().json(serde_json::json!({ "status": label })))
}

fn bearer_token(request: &HttpRequest) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
