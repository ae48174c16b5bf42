//! Stripe's webhooks: `POST /v1/webhooks/stripe`, signed by Stripe (`Stripe-Signature` over
//! the exact bytes received, any configured secret, 300 s tolerance), applied to the payment
//! records they name through Tollgate's metadata, each event id recorded with its effect.
//!
//! Answers: 200 once the event and its effect are committed, also for a repeat, an event of
//! the other mode and one Tollgate does not act on (Stripe would retry it to no avail); 401
//! `invalid_signature` before anything is read into the records; 400 `invalid_webhook` for
//! a signed body that is not an event; 503 when it cannot be stored (Stripe retries for three
//! days). 404 while Stripe is not configured: there is no such endpoint then.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use tollgate_adapters::stripe::read_event;
use tollgate_domain::ErrorCode;

use crate::{error::ApiError, state::AppState};

/// `POST /v1/webhooks/stripe`.
pub async fn receive(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (Some(payments), Some(webhooks)) = (&state.payments, &state.stripe_webhooks) else {
        return Err(ApiError::NotFound);
    };
    // Checked before a byte of the body is read: without it nothing can be verified.
    let Some(signature) = request
        .headers()
        .get("stripe-signature")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
    else {
        return Err(ApiError::InvalidSignature);
    };
    let (body, _held) = state
        .bodies
        .read(&request, payload, state.body_limit_bytes)
        .await?;
    if let Err(error) = webhooks.verifier.verify(&signature, &body, Utc::now()) {
        tracing::warn!(%error, "a Stripe webhook was refused");
        return Err(ApiError::InvalidSignature);
    }
    let event = read_event(&body).map_err(|error| ApiError::Malformed {
        code: ErrorCode::InvalidWebhook,
        message: error.to_string(),
    })?;
    let outcome = payments.apply_event(&event, webhooks.livemode).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": outcome.as_str() })))
}
