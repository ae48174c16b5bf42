//! What the payment port is asked and answers. Ids of the provider's objects are its own
//! strings (`cus_…`, `pm_…`, `pi_…`, `cs_…`, `re_…`, `evt_…`), kept opaque.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tollgate_domain::billing::CurrencyCode;

use super::IdempotencyKey;

/// A Tollgate customer as the provider should know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRequest {
    /// Tollgate's customer id, kept in the provider's metadata (`tollgate_customer_id`) so
    /// either side can find the other.
    pub tollgate_customer_id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    /// The customer's language for the provider's pages and e-mails (`en`, `fr-FR`).
    pub preferred_locale: Option<String>,
    pub key: IdempotencyKey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayCustomer {
    pub id: String,
}

/// A hosted page to save a card (Checkout in setup mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupLinkRequest {
    pub customer: String,
    /// The currency the card will be charged in: the provider needs it to offer the payment
    /// methods that can pay it.
    pub currency: CurrencyCode,
    /// Where the customer lands after saving; may contain `{CHECKOUT_SESSION_ID}`.
    pub success_url: String,
    pub cancel_url: String,
    pub expires_at: Option<DateTime<Utc>>,
    /// Kept on the link and on the card setup, for the webhooks to find Tollgate's records.
    pub metadata: BTreeMap<String, String>,
    pub key: IdempotencyKey,
}

/// A hosted page to pay one invoice (Checkout in payment mode, one line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentLinkRequest {
    pub customer: String,
    pub tollgate_invoice_id: String,
    /// The line the page shows (`Invoice 2026-0042`).
    pub description: String,
    pub amount: Decimal,
    pub currency: CurrencyCode,
    pub success_url: String,
    pub cancel_url: String,
    /// 30 minutes to 24 hours ahead, as the provider requires.
    pub expires_at: DateTime<Utc>,
    /// Keep the card for later off-session charges.
    pub save_card: bool,
    pub metadata: BTreeMap<String, String>,
    pub key: IdempotencyKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStatus {
    Open,
    Complete,
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutLink {
    pub session_id: String,
    /// Absent once the link is complete or expired.
    pub url: Option<String>,
    pub status: LinkStatus,
    pub expires_at: DateTime<Utc>,
}

/// An off-session charge of a finalized invoice with a saved card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    pub customer: String,
    pub payment_method: String,
    pub amount: Decimal,
    pub currency: CurrencyCode,
    pub description: Option<String>,
    /// The suffix on the customer's bank statement (the invoice number), at most 22 characters.
    pub statement_descriptor_suffix: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// `pi:<invoice>:<attempt>`: one key per attempt, the same key for a retry of that attempt.
    pub key: IdempotencyKey,
}

/// Where a payment stands (the provider's PaymentIntent status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntentStatus {
    Succeeded,
    /// Accepted, not settled yet (some bank debits): the webhook says how it ends.
    Processing,
    /// The customer must act (3-D Secure): send them a payment link.
    RequiresAction,
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresCapture,
    Canceled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeOutcome {
    pub payment_intent: String,
    pub status: IntentStatus,
    pub amount: Decimal,
    pub currency: CurrencyCode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReason {
    Abandoned,
    Duplicate,
    Fraudulent,
    RequestedByCustomer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundReason {
    Duplicate,
    Fraudulent,
    RequestedByCustomer,
}

/// A refund of a succeeded payment (a credit note's money going back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub payment_intent: String,
    /// `None` refunds what is left of the payment.
    pub amount: Option<Decimal>,
    pub currency: CurrencyCode,
    pub reason: Option<RefundReason>,
    pub metadata: BTreeMap<String, String>,
    /// `re:<refund id>`.
    pub key: IdempotencyKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundStatus {
    Pending,
    RequiresAction,
    Succeeded,
    Failed,
    Canceled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundOutcome {
    pub id: String,
    pub status: RefundStatus,
    pub amount: Decimal,
}

/// A saved card as a customer may be shown it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethodSummary {
    pub id: String,
    /// `card`, `sepa_debit`...
    pub kind: String,
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub exp_month: Option<u32>,
    pub exp_year: Option<u32>,
}

/// One provider event, with its JSON as the provider rendered it: a replayed event goes
/// through the same reading as a webhook delivery of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayEvent {
    pub id: String,
    pub event_type: String,
    pub created: DateTime<Utc>,
    pub json: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPage {
    pub events: Vec<GatewayEvent>,
    /// Whether older events remain: ask again with the last event's id as `after`.
    pub has_more: bool,
}

/// The provider's endpoint that delivers its events to Tollgate, as just registered.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: String,
    /// The signing secret (`whsec_…`): the provider shows it only in this answer, so the
    /// caller stores it now or registers again.
    pub secret: String,
}

/// Never prints the secret, so logging an endpoint cannot leak it.
impl std::fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("id", &self.id)
            .field("secret", &"[REDACTED]")
            .finish()
    }
}
