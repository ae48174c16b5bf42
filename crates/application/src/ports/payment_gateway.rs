//! The payment provider that moves money for Tollgate's invoices (Stripe).
//!
//! Tollgate stays the invoice of record: the provider holds customers and their cards, runs
//! hosted card and pay-now pages (Checkout), charges and refunds, and nothing else (no
//! provider invoices, prices or portal). Amounts cross this port as exact decimals with their
//! currency; an amount the provider cannot carry exactly is refused
//! ([`PaymentError::NotRepresentable`]) before anything is sent.
//!
//! Every call that changes something carries an [`IdempotencyKey`] the caller builds from
//! Tollgate's own ids, so a retry after a crash or a lost answer reuses it and the provider
//! answers the first result again instead of acting twice.

mod error;
mod keys;
mod types;

use async_trait::async_trait;

pub use error::{Decline, PaymentError, Refusal};
pub use keys::IdempotencyKey;
pub use types::{
    CancelReason, ChargeOutcome, ChargeRequest, CheckoutLink, CustomerRequest, EventPage,
    GatewayCustomer, GatewayEvent, IntentStatus, LinkStatus, PaymentLinkRequest,
    PaymentMethodSummary, RefundOutcome, RefundReason, RefundRequest, RefundStatus,
    SetupLinkRequest, WebhookEndpoint,
};

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// The provider's name in errors and logs (`stripe`).
    fn name(&self) -> &'static str;

    /// Creates the provider's customer for a Tollgate customer. The key (`cus:<id>`) makes a
    /// repeat within the provider's idempotency window answer the same customer; the caller
    /// stores the returned id and does not call again once it has one.
    ///
    /// # Errors
    /// `Refused` when the provider refuses the details, `Upstream` when it cannot answer.
    async fn ensure_customer(
        &self,
        request: &CustomerRequest,
    ) -> Result<GatewayCustomer, PaymentError>;

    /// A hosted page where the customer saves a card for later off-session charges.
    ///
    /// # Errors
    /// As [`ensure_customer`](Self::ensure_customer).
    async fn create_setup_link(
        &self,
        request: &SetupLinkRequest,
    ) -> Result<CheckoutLink, PaymentError>;

    /// A hosted page where the customer pays one invoice now, valid until `expires_at`.
    ///
    /// # Errors
    /// `NotRepresentable` for an amount the provider cannot carry exactly (nothing is sent);
    /// else as [`ensure_customer`](Self::ensure_customer).
    async fn create_payment_link(
        &self,
        request: &PaymentLinkRequest,
    ) -> Result<CheckoutLink, PaymentError>;

    /// Invalidates a link that must not be paid any more (the invoice was voided or paid
    /// another way). Expiring a completed link is refused by the provider.
    ///
    /// # Errors
    /// As [`ensure_customer`](Self::ensure_customer).
    async fn expire_link(
        &self,
        session_id: &str,
        key: &IdempotencyKey,
    ) -> Result<CheckoutLink, PaymentError>;

    /// Charges a saved card without the customer present, confirming at once.
    ///
    /// # Errors
    /// `Declined` when the card was declined or needs the customer (`authentication_required`):
    /// a failed attempt, with the provider's payment id; `NotRepresentable` before anything is
    /// sent; else as [`ensure_customer`](Self::ensure_customer).
    async fn charge_off_session(
        &self,
        request: &ChargeRequest,
    ) -> Result<ChargeOutcome, PaymentError>;

    /// Abandons a payment that has not succeeded.
    ///
    /// # Errors
    /// As [`ensure_customer`](Self::ensure_customer); `Refused` for a payment that succeeded.
    async fn cancel_payment(
        &self,
        payment_intent: &str,
        reason: CancelReason,
        key: &IdempotencyKey,
    ) -> Result<ChargeOutcome, PaymentError>;

    /// Refunds all or part of a succeeded payment.
    ///
    /// # Errors
    /// As [`create_payment_link`](Self::create_payment_link).
    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, PaymentError>;

    /// The customer's saved cards, the most recent first.
    ///
    /// # Errors
    /// As [`ensure_customer`](Self::ensure_customer).
    async fn list_payment_methods(
        &self,
        customer: &str,
    ) -> Result<Vec<PaymentMethodSummary>, PaymentError>;

    /// Makes `payment_method` the card later charges use.
    ///
    /// # Errors
    /// As [`ensure_customer`](Self::ensure_customer).
    async fn set_default_payment_method(
        &self,
        customer: &str,
        payment_method: &str,
        key: &IdempotencyKey,
    ) -> Result<(), PaymentError>;

    /// Removes a saved card from its customer.
    ///
    /// # Errors
    /// As [`ensure_customer`](Self::ensure_customer).
    async fn detach_payment_method(
        &self,
        payment_method: &str,
        key: &IdempotencyKey,
    ) -> Result<(), PaymentError>;

    /// One page of the provider's events created at or after `since`, the newest first, to
    /// replay what webhooks missed during downtime; `after` is the last event id of the
    /// previous page.
    ///
    /// # Errors
    /// As [`ensure_customer`](Self::ensure_customer).
    async fn events_since(
        &self,
        since: chrono::DateTime<chrono::Utc>,
        after: Option<String>,
    ) -> Result<EventPage, PaymentError>;

    /// Registers `url` to receive the provider's `events`, rendered in `api_version` (the
    /// version the adapter pins, so events read as the adapter expects). Meant for once
    /// per deployment; the key makes a retry answer the same endpoint and secret.
    ///
    /// # Errors
    /// `Refused` for a URL, event type or version the provider does not accept; else as
    /// [`ensure_customer`](Self::ensure_customer).
    async fn register_webhook_endpoint<'a>(
        &self,
        url: &str,
        events: &[&'a str],
        api_version: &str,
        key: &IdempotencyKey,
    ) -> Result<WebhookEndpoint, PaymentError>;
}
