//! Card payments, wired when Stripe is configured: the Stripe adapter, the ledger in
//! PostgreSQL and the service both the collector and `/v1/webhooks/stripe` use.

use std::sync::Arc;

use tollgate_adapters::{
    postgres::{PgPaymentLedger, PgPool},
    signing::stripe::StripeSignatureVerifier,
    stripe::{StripeConfig, StripeGateway},
};
use tollgate_application::{ports::SystemClock, services::payments::PaymentService};

use super::StartupError;
use crate::settings::Settings;

/// What `/v1/webhooks/stripe` needs besides the service.
#[derive(Clone)]
pub struct StripeWebhooks {
    /// Every configured signing secret: two while one is rolled.
    pub verifier: Arc<StripeSignatureVerifier>,
    /// The mode of Tollgate's key: events of the other mode change nothing.
    pub livemode: bool,
}

/// Payments with their webhook settings; `None` without Stripe (the webhook route answers
/// 404 and the payment routes 503 `payments_not_configured`).
pub struct Payments {
    pub service: Arc<PaymentService>,
    pub webhooks: StripeWebhooks,
}

/// The Stripe adapter the settings describe; `None` without a key.
///
/// # Errors
/// `StartupError::Invalid` for a URL or configuration Stripe's client cannot use.
pub fn gateway(settings: &Settings) -> Result<Option<StripeGateway>, StartupError> {
    let stripe = &settings.stripe;
    let Some(key) = stripe.secret_key.clone().filter(|_| stripe.is_enabled()) else {
        return Ok(None);
    };
    let url = url::Url::parse(stripe.url.trim())
        .map_err(|e| StartupError::Invalid(format!("stripe.url {:?}: {e}", stripe.url)))?;
    let mut config = StripeConfig::new(url, key);
    config.api_version = stripe.api_version.clone();
    config.timeout = stripe.request_timeout();
    config.requests_per_second = stripe.requests_per_second;
    StripeGateway::new(config)
        .map(Some)
        .map_err(|e| StartupError::Invalid(e.to_string()))
}

/// # Errors
/// `StartupError::Invalid` for a Stripe URL, key or dunning schedule that cannot be used.
pub fn wire(settings: &Settings, pool: &PgPool) -> Result<Option<Payments>, StartupError> {
    let stripe = &settings.stripe;
    let Some(gateway) = gateway(settings)? else {
        return Ok(None);
    };
    if stripe.webhook_secrets.is_empty() {
        tracing::warn!(
            "stripe: no TOLLGATE__STRIPE__WEBHOOK_SECRETS: Stripe's events are refused until one is set (tollgate stripe register-webhook prints it)"
        );
    }
    let policy = settings.payments.dunning().map_err(StartupError::Invalid)?;
    let service = PaymentService::new(
        Arc::new(PgPaymentLedger::new(pool.clone())),
        Arc::new(gateway),
        Arc::new(SystemClock),
        policy,
    );
    Ok(Some(Payments {
        service: Arc::new(service),
        webhooks: StripeWebhooks {
            verifier: Arc::new(StripeSignatureVerifier::new(
                stripe.webhook_secrets.iter().cloned(),
            )),
            livemode: stripe.livemode(),
        },
    }))
}
