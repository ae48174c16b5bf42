//! The parts of Stripe's objects the gateway reads, and what they become for the port.
//! Unknown fields are ignored: Stripe adds fields within a version.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use tollgate_application::ports::{
    ChargeOutcome, CheckoutLink, EventPage, GatewayEvent, IntentStatus, LinkStatus, PaymentError,
    PaymentMethodSummary, RefundOutcome, RefundStatus, WebhookEndpoint,
};
use tollgate_domain::{billing::CurrencyCode, money::minor_units::from_minor_units};

use super::client::invalid;

#[derive(Deserialize)]
pub(super) struct Customer {
    pub id: String,
}

#[derive(Deserialize)]
pub(super) struct List<T> {
    pub data: Vec<T>,
    pub has_more: bool,
}

#[derive(Deserialize)]
pub(super) struct Session {
    id: String,
    url: Option<String>,
    status: Option<String>,
    expires_at: i64,
}

impl Session {
    pub fn into_link(self) -> Result<CheckoutLink, PaymentError> {
        let status = match self.status.as_deref() {
            Some("open") | None => LinkStatus::Open,
            Some("complete") => LinkStatus::Complete,
            Some("expired") => LinkStatus::Expired,
            Some(other) => return Err(invalid(format!("a Checkout Session status `{other}`"))),
        };
        Ok(CheckoutLink {
            session_id: self.id,
            url: self.url,
            status,
            expires_at: time(self.expires_at)?,
        })
    }
}

#[derive(Deserialize)]
pub(super) struct Intent {
    id: String,
    status: String,
    amount: i64,
    currency: String,
}

impl Intent {
    pub fn into_outcome(self) -> Result<ChargeOutcome, PaymentError> {
        let status = match self.status.as_str() {
            "succeeded" => IntentStatus::Succeeded,
            "processing" => IntentStatus::Processing,
            "requires_action" => IntentStatus::RequiresAction,
            "requires_payment_method" => IntentStatus::RequiresPaymentMethod,
            "requires_confirmation" => IntentStatus::RequiresConfirmation,
            "requires_capture" => IntentStatus::RequiresCapture,
            "canceled" => IntentStatus::Canceled,
            other => return Err(invalid(format!("a PaymentIntent status `{other}`"))),
        };
        let currency = currency(&self.currency)?;
        Ok(ChargeOutcome {
            payment_intent: self.id,
            status,
            amount: amount(self.amount, currency)?,
            currency,
        })
    }
}

#[derive(Deserialize)]
pub(super) struct Refund {
    id: String,
    status: Option<String>,
    amount: i64,
}

impl Refund {
    pub fn into_outcome(self, currency: CurrencyCode) -> Result<RefundOutcome, PaymentError> {
        let status = match self.status.as_deref() {
            Some("pending") => RefundStatus::Pending,
            Some("requires_action") => RefundStatus::RequiresAction,
            Some("succeeded") => RefundStatus::Succeeded,
            Some("failed") => RefundStatus::Failed,
            Some("canceled") => RefundStatus::Canceled,
            other => return Err(invalid(format!("a Refund status {other:?}"))),
        };
        Ok(RefundOutcome {
            id: self.id,
            status,
            amount: amount(self.amount, currency)?,
        })
    }
}

#[derive(Deserialize)]
pub(super) struct Method {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    card: Option<Card>,
}

#[derive(Deserialize)]
struct Card {
    brand: Option<String>,
    last4: Option<String>,
    exp_month: Option<u32>,
    exp_year: Option<u32>,
}

impl Method {
    pub fn summary(self) -> PaymentMethodSummary {
        let card = self.card;
        let (brand, last4, exp_month, exp_year) = match card {
            Some(card) => (card.brand, card.last4, card.exp_month, card.exp_year),
            None => (None, None, None, None),
        };
        PaymentMethodSummary {
            id: self.id,
            kind: self.kind,
            brand,
            last4,
            exp_month,
            exp_year,
        }
    }
}

#[derive(Deserialize)]
pub(super) struct Endpoint {
    id: String,
    secret: Option<String>,
}

impl Endpoint {
    /// Without its secret a new endpoint is useless: its events could not be verified.
    pub fn into_endpoint(self) -> Result<WebhookEndpoint, PaymentError> {
        match self.secret {
            Some(secret) if !secret.is_empty() => Ok(WebhookEndpoint {
                id: self.id,
                secret,
            }),
            _ => Err(invalid(format!(
                "a webhook endpoint {} without its secret",
                self.id
            ))),
        }
    }
}

#[derive(Deserialize)]
struct EventHead {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created: i64,
}

/// The events with their JSON kept as Stripe wrote it.
pub(super) fn event_page(list: List<Box<RawValue>>) -> Result<EventPage, PaymentError> {
    let events = list
        .data
        .into_iter()
        .map(|raw| {
            let head: EventHead = serde_json::from_str(raw.get())
                .map_err(|error| invalid(format!("an event: {error}")))?;
            Ok(GatewayEvent {
                id: head.id,
                event_type: head.kind,
                created: time(head.created)?,
                json: raw.get().to_owned(),
            })
        })
        .collect::<Result<_, PaymentError>>()?;
    Ok(EventPage {
        events,
        has_more: list.has_more,
    })
}

fn time(seconds: i64) -> Result<DateTime<Utc>, PaymentError> {
    DateTime::from_timestamp(seconds, 0).ok_or_else(|| invalid(format!("a time {seconds}")))
}

fn currency(code: &str) -> Result<CurrencyCode, PaymentError> {
    CurrencyCode::parse(code).map_err(|_| invalid(format!("a currency `{code}`")))
}

fn amount(minor: i64, currency: CurrencyCode) -> Result<rust_decimal::Decimal, PaymentError> {
    from_minor_units(minor, currency).map_err(|error| invalid(error.to_string()))
}
