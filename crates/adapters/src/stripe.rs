//! Stripe as the [`PaymentGateway`]: customers, cards, Checkout links, off-session charges and
//! refunds. Tollgate stays the invoice of record; no Stripe invoices, prices or portal.
//!
//! | port call | Stripe |
//! |---|---|
//! | `ensure_customer` | `POST /v1/customers` (`email`, `name`, `metadata[tollgate_customer_id]`, `preferred_locales[0]`) |
//! | `create_setup_link` | `POST /v1/checkout/sessions` `mode=setup`, `currency`, `setup_intent_data[metadata]` |
//! | `create_payment_link` | `POST /v1/checkout/sessions` `mode=payment`, one `line_items[0][price_data]`, `expires_at` |
//! | `expire_link` | `POST /v1/checkout/sessions/{id}/expire` |
//! | `charge_off_session` | `POST /v1/payment_intents` `confirm=true`, `off_session=true` |
//! | `cancel_payment` | `POST /v1/payment_intents/{id}/cancel` |
//! | `refund` | `POST /v1/refunds` |
//! | `list_payment_methods` | `GET /v1/customers/{id}/payment_methods` |
//! | `set_default_payment_method` | `POST /v1/customers/{id}` `invoice_settings[default_payment_method]` |
//! | `detach_payment_method` | `POST /v1/payment_methods/{id}/detach` |
//! | `events_since` | `GET /v1/events` `created[gte]`, `starting_after` |
//! | `register_webhook_endpoint` | `POST /v1/webhook_endpoints` `url`, `enabled_events[…]`, `api_version`, `description` |
//!
//! Bodies are form-encoded (`serde_qs`: `a[b]`, indexed arrays), every request pins
//! `Stripe-Version` and every POST carries the caller's `Idempotency-Key`. No
//! `payment_method_types`: the pinned version has none; the dashboard's settings choose.
//! Amounts become minor units through [`tollgate_domain::money::minor_units`]; one Stripe
//! cannot carry exactly is refused before any request. How answers become errors, retries and
//! pacing: `stripe/client.rs`. What Stripe's events (webhooks and `events_since`) become:
//! [`read_event`] (`stripe/events.rs`).

mod answers;
mod client;
mod events;
mod forms;
mod pacer;

use std::{fmt, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use tollgate_application::ports::{
    CancelReason, ChargeOutcome, ChargeRequest, CheckoutLink, CustomerRequest, EventPage,
    GatewayCustomer, IdempotencyKey, PaymentError, PaymentGateway, PaymentLinkRequest,
    PaymentMethodSummary, RefundOutcome, RefundRequest, SetupLinkRequest, WebhookEndpoint,
};
use url::Url;

use client::{Call, StripeClient};
pub use events::{EventError, HANDLED_EVENTS, read_event};

/// The API version the current official SDKs pin (stripe-python 16.1.0); webhook endpoints
/// must be created with the same one for events to be rendered as this adapter reads them.
pub const DEFAULT_API_VERSION: &str = "2026-10-28.endive";

/// Stripe's API host, the base URL but for tests against a stand-in.
pub const STRIPE_API: &str = "https://api.stripe.com";

#[derive(Clone)]
pub struct StripeConfig {
    /// `https://api.stripe.com`, or a stand-in.
    pub base_url: Url,
    /// `sk_…` or a restricted `rk_…`, sent as `Authorization: Bearer`.
    pub secret_key: SecretString,
    /// `Stripe-Version` on every request.
    pub api_version: String,
    /// Per attempt, connection included.
    pub timeout: Duration,
    /// Tries of one call, the first included.
    pub max_attempts: u32,
    /// First pause before a retry, doubled each time (with jitter) up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// Requests per second this adapter sends at most, retries included; 0 for no pacing.
    /// Stripe allows 100 per second in live mode and 25 in test mode.
    pub requests_per_second: u32,
}

impl StripeConfig {
    /// Stripe at `base_url` ([`STRIPE_API`]) at [`DEFAULT_API_VERSION`]: 30 s a request,
    /// 3 tries 0.5 s to 5 s apart (as stripe-python), 20 requests a second.
    pub fn new(base_url: Url, secret_key: SecretString) -> Self {
        Self {
            base_url,
            secret_key,
            api_version: DEFAULT_API_VERSION.to_owned(),
            timeout: Duration::from_secs(30),
            max_attempts: 3,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(5),
            requests_per_second: 20,
        }
    }
}

impl fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeConfig")
            .field("base_url", &self.base_url.as_str())
            .field("secret_key", &self.secret_key)
            .field("api_version", &self.api_version)
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .field("first_backoff", &self.first_backoff)
            .field("max_backoff", &self.max_backoff)
            .field("requests_per_second", &self.requests_per_second)
            .finish()
    }
}

/// The configuration cannot make a Stripe client (at startup, never per call).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stripe: {0}")]
pub struct StripeSetupError(String);

pub struct StripeGateway {
    client: StripeClient,
}

impl StripeGateway {
    /// # Errors
    /// When the URL is not an http(s) base URL, the API version is empty, or the HTTP client
    /// cannot be built.
    pub fn new(config: StripeConfig) -> Result<Self, StripeSetupError> {
        Ok(Self {
            client: StripeClient::new(config).map_err(StripeSetupError)?,
        })
    }
}

#[async_trait]
impl PaymentGateway for StripeGateway {
    fn name(&self) -> &'static str {
        client::SERVICE
    }

    #[tracing::instrument(name = "stripe.ensure_customer", skip_all)]
    async fn ensure_customer(
        &self,
        request: &CustomerRequest,
    ) -> Result<GatewayCustomer, PaymentError> {
        let form = forms::customer(request);
        let customer: answers::Customer = self
            .client
            .send(Call::post(&["customers"], &request.key), &form)
            .await?;
        Ok(GatewayCustomer { id: customer.id })
    }

    #[tracing::instrument(name = "stripe.create_setup_link", skip_all)]
    async fn create_setup_link(
        &self,
        request: &SetupLinkRequest,
    ) -> Result<CheckoutLink, PaymentError> {
        let form = forms::setup_session(request);
        let session: answers::Session = self
            .client
            .send(Call::post(&["checkout", "sessions"], &request.key), &form)
            .await?;
        session.into_link()
    }

    #[tracing::instrument(name = "stripe.create_payment_link", skip_all)]
    async fn create_payment_link(
        &self,
        request: &PaymentLinkRequest,
    ) -> Result<CheckoutLink, PaymentError> {
        let form = forms::payment_session(request)?;
        let session: answers::Session = self
            .client
            .send(Call::post(&["checkout", "sessions"], &request.key), &form)
            .await?;
        session.into_link()
    }

    #[tracing::instrument(name = "stripe.expire_link", skip_all)]
    async fn expire_link(
        &self,
        session_id: &str,
        key: &IdempotencyKey,
    ) -> Result<CheckoutLink, PaymentError> {
        let session: answers::Session = self
            .client
            .send(
                Call::post(&["checkout", "sessions", session_id, "expire"], key),
                &forms::Empty {},
            )
            .await?;
        session.into_link()
    }

    #[tracing::instrument(name = "stripe.charge_off_session", skip_all)]
    async fn charge_off_session(
        &self,
        request: &ChargeRequest,
    ) -> Result<ChargeOutcome, PaymentError> {
        let form = forms::off_session_charge(request)?;
        let intent: answers::Intent = self
            .client
            .send(Call::post(&["payment_intents"], &request.key), &form)
            .await?;
        intent.into_outcome()
    }

    #[tracing::instrument(name = "stripe.cancel_payment", skip_all)]
    async fn cancel_payment(
        &self,
        payment_intent: &str,
        reason: CancelReason,
        key: &IdempotencyKey,
    ) -> Result<ChargeOutcome, PaymentError> {
        let intent: answers::Intent = self
            .client
            .send(
                Call::post(&["payment_intents", payment_intent, "cancel"], key),
                &forms::cancel(reason),
            )
            .await?;
        intent.into_outcome()
    }

    #[tracing::instrument(name = "stripe.refund", skip_all)]
    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, PaymentError> {
        let form = forms::refund(request)?;
        let refund: answers::Refund = self
            .client
            .send(Call::post(&["refunds"], &request.key), &form)
            .await?;
        refund.into_outcome(request.currency)
    }

    #[tracing::instrument(name = "stripe.list_payment_methods", skip_all)]
    async fn list_payment_methods(
        &self,
        customer: &str,
    ) -> Result<Vec<PaymentMethodSummary>, PaymentError> {
        let path = ["customers", customer, "payment_methods"];
        let list: answers::List<answers::Method> = self
            .client
            .send(Call::get(&path), &forms::payment_methods())
            .await?;
        Ok(list
            .data
            .into_iter()
            .map(answers::Method::summary)
            .collect())
    }

    #[tracing::instrument(name = "stripe.set_default_payment_method", skip_all)]
    async fn set_default_payment_method(
        &self,
        customer: &str,
        payment_method: &str,
        key: &IdempotencyKey,
    ) -> Result<(), PaymentError> {
        let form = forms::default_payment_method(payment_method);
        let _: answers::Customer = self
            .client
            .send(Call::post(&["customers", customer], key), &form)
            .await?;
        Ok(())
    }

    #[tracing::instrument(name = "stripe.detach_payment_method", skip_all)]
    async fn detach_payment_method(
        &self,
        payment_method: &str,
        key: &IdempotencyKey,
    ) -> Result<(), PaymentError> {
        let _: answers::Method = self
            .client
            .send(
                Call::post(&["payment_methods", payment_method, "detach"], key),
                &forms::Empty {},
            )
            .await?;
        Ok(())
    }

    #[tracing::instrument(name = "stripe.events_since", skip_all)]
    async fn events_since(
        &self,
        since: DateTime<Utc>,
        after: Option<String>,
    ) -> Result<EventPage, PaymentError> {
        let call = Call::get(&["events"]);
        let query = forms::events(since, after);
        let list: answers::List<Box<serde_json::value::RawValue>> =
            self.client.send(call, &query).await?;
        answers::event_page(list)
    }

    #[tracing::instrument(name = "stripe.register_webhook_endpoint", skip_all)]
    async fn register_webhook_endpoint<'a>(
        &self,
        url: &str,
        events: &[&'a str],
        api_version: &str,
        key: &IdempotencyKey,
    ) -> Result<WebhookEndpoint, PaymentError> {
        let form = forms::webhook_endpoint(url, events, api_version);
        let endpoint: answers::Endpoint = self
            .client
            .send(Call::post(&["webhook_endpoints"], key), &form)
            .await?;
        endpoint.into_endpoint()
    }
}
