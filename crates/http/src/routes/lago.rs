//! Lago's webhooks: `POST /v1/webhooks/lago`, signed by Lago (`X-Lago-Signature`, HMAC or
//! JWT), deduplicated on `X-Lago-Unique-Key`, kept in the view of invoices and subscriptions.
//!
//! Answers: 200 once the receipt (and its change) is committed, also for a repeat and for
//! what the view cannot use (Lago would otherwise retry it to no avail); 401
//! `invalid_signature` before anything is written; 400 for a signed body that is not a
//! webhook; 503 with `Retry-After` when it cannot be stored or the signature cannot be checked
//! yet (Lago retries). 404 while Lago is not configured: there is no such endpoint then.

use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use tollgate_adapters::lago::webhook::{WebhookDecodeError, decode_webhook};
use tollgate_application::{AppError, ports::AuditContext};
use tracing_actix_web::RequestId;

use crate::{error::ApiError, state::AppState};

/// Bodies above this are decoded on the blocking pool (Lago's are a few kilobytes).
const DECODE_INLINE_MAX_BYTES: usize = 256 * 1024;

/// `POST /v1/webhooks/lago`.
pub async fn receive(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(service) = state.billing.engine_webhooks() else {
        return Err(ApiError::NotFound);
    };
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    // The headers are checked before a byte of the body is read; the signature needs it.
    let headers = service
        .check_headers(
            header("x-lago-unique-key"),
            header("x-lago-signature-algorithm"),
            header("x-lago-signature"),
        )
        .map_err(|error| refused(&state, error))?;
    let (body, _held) = state
        .bodies
        .read(&request, payload, state.body_limit_bytes)
        .await?;
    service
        .authenticate(&headers, &body)
        .await
        .map_err(|error| refused(&state, error))?;
    let event = if body.len() <= DECODE_INLINE_MAX_BYTES {
        decode_webhook(&body)
    } else {
        web::block(move || decode_webhook(&body))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
    }
    .map_err(|WebhookDecodeError { code, message }| ApiError::Malformed { code, message })?;
    let context = AuditContext {
        actor: "lago".to_owned(),
        request_id: request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string),
        // The sender is Lago, not a person: there is no address worth linking.
        client_address_hash: None,
    };
    let outcome = service.apply(&headers, &event, &context).await?;
    state
        .metrics
        .lago_webhooks
        .with_label_values(&[outcome.as_str()])
        .inc();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": outcome.as_str() })))
}

/// A refused signature is `invalid_signature`; anything else keeps its meaning (503).
fn refused(state: &AppState, error: AppError) -> ApiError {
    match error {
        AppError::Unauthorized => {
            state
                .metrics
                .lago_webhooks
                .with_label_values(&["invalid_signature"])
                .inc();
            ApiError::InvalidSignature
        }
        other => other.into(),
    }
}
