//! Stripe's events (a webhook's body, or one listed again by `GET /v1/events`) read into
//! what Tollgate acts on: a [`ReceivedPaymentEvent`].
//!
//! | type | becomes |
//! |---|---|
//! | `payment_intent.succeeded` / `processing` / `requires_action` / `canceled` | the payment's settlement, named by `data.object.id` and its `tollgate_*` metadata |
//! | `payment_intent.payment_failed` | the same, with `last_payment_error`'s codes |
//! | `setup_intent.succeeded` | `CardSaved` (`customer`, `payment_method`) |
//! | `checkout.session.completed` | `mode=payment` and `payment_status=paid`: the session's PaymentIntent succeeded; `mode=setup`: see [`session_completed`] |
//! | `payment_method.detached` | `CardRemoved` (the former customer is in `previous_attributes`) |
//! | anything else | `Ignored`: acknowledged, counted once |
//!
//! Only the envelope (`id`, `type`, `livemode`) must be readable for every type; the object
//! only for the types mapped above. Unknown fields are ignored, as Stripe adds fields within
//! a version. Metadata Tollgate did not write (or that is not Tollgate's shape) is no error:
//! the reference then carries no Tollgate id and the application finds no record.

#[cfg(test)]
mod tests;

use serde::Deserialize;
use serde_json::Value;
use tollgate_application::ports::{PaymentEvent, PaymentReference, ReceivedPaymentEvent};
use tollgate_domain::payment::DeclineDetails;
use uuid::Uuid;

/// The event types Tollgate registers its webhook endpoint for: those read above (but
/// `payment_method.attached`: a saved card only counts through `setup_intent.succeeded`, so
/// its delivery would be wasted), and those later work will read (expired links, refunds,
/// disputes), registered now so that an endpoint made today does not need changing then.
pub const HANDLED_EVENTS: &[&str] = &[
    "payment_intent.succeeded",
    "payment_intent.processing",
    "payment_intent.requires_action",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "setup_intent.succeeded",
    "checkout.session.completed",
    "checkout.session.expired",
    "payment_method.detached",
    "charge.refunded",
    "refund.updated",
    "charge.dispute.created",
    "charge.dispute.closed",
];

/// The metadata keys Tollgate writes on the PaymentIntents and Checkout Sessions it creates.
const INVOICE_KEY: &str = "tollgate_invoice_id";
const ATTEMPT_KEY: &str = "tollgate_attempt";

/// A body that is not a Stripe event Tollgate can read. Answered 400 `invalid_event`: Stripe
/// retries it, and an operator sees the failing deliveries on the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// Not JSON, not an event envelope, or without `id`, `type` or `livemode`.
    #[error("not a Stripe event: {0}")]
    Envelope(String),
    /// A type Tollgate reads whose `data.object` lacks what that type always carries.
    #[error("a Stripe `{event_type}` event whose object cannot be read: {reason}")]
    Object { event_type: String, reason: String },
}

impl EventError {
    /// The machine-readable code the webhook route answers with.
    pub const CODE: &'static str = "invalid_event";
}

#[derive(Deserialize)]
struct Envelope {
    id: String,
    /// Always `event`; absent is tolerated, as it tells nothing the rest does not.
    object: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    livemode: bool,
    /// Only the mapped types need it; an ignored one is acknowledged whatever it carries.
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    object: Value,
    previous_attributes: Option<Value>,
}

/// Reads one event from the exact bytes Stripe sent (after the signature was checked).
///
/// # Errors
/// [`EventError::Envelope`] when `body` is not JSON or lacks `id`, `type` or `livemode`;
/// [`EventError::Object`] when a mapped type's object lacks its own id (or, for a failed
/// payment, its shape is not Stripe's).
pub fn read_event(body: &[u8]) -> Result<ReceivedPaymentEvent, EventError> {
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|error| EventError::Envelope(error.to_string()))?;
    if let Some(object) = envelope.object.as_deref()
        && object != "event"
    {
        return Err(EventError::Envelope(format!(
            "an object `{object}`, not `event`"
        )));
    }
    let event = match envelope.data {
        Some(data) => map(&envelope.kind, data).map_err(|reason| EventError::Object {
            event_type: envelope.kind.clone(),
            reason,
        })?,
        None if is_mapped(&envelope.kind) => {
            return Err(EventError::Object {
                event_type: envelope.kind,
                reason: "no `data`".to_owned(),
            });
        }
        None => PaymentEvent::Ignored,
    };
    Ok(ReceivedPaymentEvent {
        id: envelope.id,
        event_type: envelope.kind,
        livemode: envelope.livemode,
        event,
    })
}

/// The types whose object is read (the rest are ignored whatever they carry).
const MAPPED: &[&str] = &[
    "payment_intent.succeeded",
    "payment_intent.processing",
    "payment_intent.requires_action",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "setup_intent.succeeded",
    "checkout.session.completed",
    "payment_method.detached",
];

fn is_mapped(kind: &str) -> bool {
    MAPPED.contains(&kind)
}

fn map(kind: &str, data: Data) -> Result<PaymentEvent, String> {
    let event = match kind {
        "payment_intent.succeeded" => PaymentEvent::PaymentSucceeded(intent(data.object)?.0),
        "payment_intent.processing" => PaymentEvent::PaymentProcessing(intent(data.object)?.0),
        "payment_intent.requires_action" => {
            PaymentEvent::PaymentRequiresAction(intent(data.object)?.0)
        }
        "payment_intent.canceled" => PaymentEvent::PaymentCanceled(intent(data.object)?.0),
        "payment_intent.payment_failed" => {
            let (payment, error) = intent(data.object)?;
            let error = error.unwrap_or_default();
            PaymentEvent::PaymentFailed {
                payment,
                decline: DeclineDetails::new(
                    error.code.as_deref(),
                    error.decline_code.as_deref(),
                    error.advice_code.as_deref(),
                    error.message.as_deref(),
                ),
            }
        }
        "setup_intent.succeeded" => {
            let setup: SetupIntent = parse(data.object)?;
            card_saved(setup.customer, setup.payment_method)
        }
        "checkout.session.completed" => session_completed(parse(data.object)?)?,
        "payment_method.detached" => {
            let method: Identified = parse(data.object)?;
            let former: FormerOwner = match data.previous_attributes {
                Some(previous) => parse(previous)?,
                None => FormerOwner { customer: None },
            };
            match former.customer.map(Expandable::into_id) {
                Some(provider_customer) => PaymentEvent::CardRemoved {
                    provider_customer,
                    payment_method: method.id,
                },
                // Without its former customer the card names nothing Tollgate keeps.
                None => PaymentEvent::Ignored,
            }
        }
        // `payment_method.attached` included: a card counts as saved (and becomes the
        // default) only through `setup_intent.succeeded`, never by being attached.
        _ => PaymentEvent::Ignored,
    };
    Ok(event)
}

fn parse<T: serde::de::DeserializeOwned>(object: Value) -> Result<T, String> {
    serde_json::from_value(object).map_err(|error| error.to_string())
}

/// A Stripe id, or the object it names when the event was rendered with it expanded.
#[derive(Deserialize)]
#[serde(untagged)]
enum Expandable {
    Id(String),
    Object(Identified),
}

impl Expandable {
    fn into_id(self) -> String {
        match self {
            Self::Id(id) | Self::Object(Identified { id }) => id,
        }
    }
}

#[derive(Deserialize)]
struct Identified {
    id: String,
}

#[derive(Deserialize)]
struct FormerOwner {
    customer: Option<Expandable>,
}

#[derive(Deserialize)]
struct PaymentIntent {
    id: String,
    /// Kept loose: metadata Tollgate did not write is not Tollgate's to refuse.
    metadata: Option<Value>,
    last_payment_error: Option<LastError>,
}

#[derive(Deserialize, Default)]
struct LastError {
    code: Option<String>,
    decline_code: Option<String>,
    advice_code: Option<String>,
    message: Option<String>,
}

fn intent(object: Value) -> Result<(PaymentReference, Option<LastError>), String> {
    let intent: PaymentIntent = parse(object)?;
    let reference = reference(intent.id, intent.metadata.as_ref());
    Ok((reference, intent.last_payment_error))
}

/// The payment named by Stripe's id and Tollgate's ids in `metadata`; an id that does not
/// parse is left out, as if it were absent.
fn reference(provider_payment: String, metadata: Option<&Value>) -> PaymentReference {
    let text = |key: &str| {
        metadata
            .and_then(|metadata| metadata.get(key))
            .and_then(Value::as_str)
            .map(str::trim)
    };
    PaymentReference {
        provider_payment,
        invoice: text(INVOICE_KEY).and_then(|id| Uuid::parse_str(id).ok()),
        attempt: text(ATTEMPT_KEY).and_then(|n| n.parse().ok()),
    }
}

#[derive(Deserialize)]
struct SetupIntent {
    customer: Option<Expandable>,
    payment_method: Option<Expandable>,
}

/// A saved card needs both its customer and itself; a setup without a customer saved a card
/// no Tollgate customer owns.
fn card_saved(customer: Option<Expandable>, method: Option<Expandable>) -> PaymentEvent {
    match (customer, method) {
        (Some(customer), Some(method)) => PaymentEvent::CardSaved {
            provider_customer: customer.into_id(),
            payment_method: method.into_id(),
        },
        _ => PaymentEvent::Ignored,
    }
}

#[derive(Deserialize)]
struct Session {
    mode: Option<String>,
    payment_status: Option<String>,
    customer: Option<Expandable>,
    payment_intent: Option<Expandable>,
    /// An id, unless the event was rendered with the SetupIntent expanded.
    setup_intent: Option<Value>,
    metadata: Option<Value>,
}

/// A completed Checkout Session.
///
/// `mode=payment`: paid (`payment_status=paid`) settles the session's PaymentIntent, named
/// with the session's metadata (the pay-now link's, where Tollgate puts the invoice id).
/// `unpaid` means a delayed method that settles later through the PaymentIntent's own
/// events, so it changes nothing now; `no_payment_required` has nothing to settle.
///
/// `mode=setup`: the session holds only the SetupIntent's id, not the card; the card comes
/// with `setup_intent.succeeded`, which Stripe sends for the same setup, so the session is
/// ignored unless it was rendered with its SetupIntent expanded, card included.
fn session_completed(session: Session) -> Result<PaymentEvent, String> {
    let event = match session.mode.as_deref() {
        Some("payment") if session.payment_status.as_deref() == Some("paid") => {
            match session.payment_intent {
                Some(intent) => PaymentEvent::PaymentSucceeded(reference(
                    intent.into_id(),
                    session.metadata.as_ref(),
                )),
                None => PaymentEvent::Ignored,
            }
        }
        Some("setup") => match session.setup_intent {
            Some(expanded @ Value::Object(_)) => {
                let setup: SetupIntent = parse(expanded)?;
                card_saved(setup.customer.or(session.customer), setup.payment_method)
            }
            _ => PaymentEvent::Ignored,
        },
        _ => PaymentEvent::Ignored,
    };
    Ok(event)
}
