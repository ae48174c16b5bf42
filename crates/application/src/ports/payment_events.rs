//! A payment provider's events (Stripe's webhooks, or the same events listed again for a
//! replay), read by the provider's adapter into what Tollgate acts on. Each names Tollgate's
//! records by the ids Tollgate put in the provider's metadata, never by arrival order.

use tollgate_domain::payment::DeclineDetails;
use uuid::Uuid;

/// One event as received: its identity, whether it is the configured mode's, and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPaymentEvent {
    pub id: String,
    pub event_type: String,
    /// Live or test mode: an event of the other mode is acknowledged and changes nothing.
    pub livemode: bool,
    pub event: PaymentEvent,
}

/// How an event names a payment: the provider's id, and Tollgate's ids from its metadata
/// when the payment was made by Tollgate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentReference {
    pub provider_payment: String,
    pub invoice: Option<Uuid>,
    pub attempt: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentEvent {
    PaymentSucceeded(PaymentReference),
    PaymentProcessing(PaymentReference),
    PaymentRequiresAction(PaymentReference),
    PaymentFailed {
        payment: PaymentReference,
        decline: DeclineDetails,
    },
    PaymentCanceled(PaymentReference),
    /// A card was saved (a completed setup, or a setup intent that succeeded).
    CardSaved {
        provider_customer: String,
        payment_method: String,
    },
    CardRemoved {
        provider_customer: String,
        payment_method: String,
    },
    /// An event Tollgate does not act on: acknowledged and counted once.
    Ignored,
}
