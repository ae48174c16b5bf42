//! A webhook's JSON (`{"webhook_type", "object_type", "<object_type>": {…}}`, lago-openapi
//! `webhooks:`) read into an [`EngineEvent`].
//!
//! Only a body that is not JSON, or has no `webhook_type`, is refused (400): everything else
//! Lago signed is acknowledged. An invoice or subscription whose fields do not have the
//! documented shape becomes [`EngineObject::Unreadable`], so it is kept as a receipt and
//! logged rather than retried by Lago to no avail.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use tollgate_domain::billing::engine_event::{
    EngineEvent, EngineFee, EngineFeeKind, EngineInvoice, EngineObject, EngineSubscription,
};
use uuid::Uuid;

/// Why a body is not a webhook at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct WebhookDecodeError {
    /// `invalid_json` or `invalid_webhook`.
    pub code: tollgate_domain::ErrorCode,
    pub message: String,
}

#[derive(Deserialize)]
struct Envelope {
    webhook_type: String,
    object_type: Option<String>,
    #[serde(flatten)]
    objects: serde_json::Map<String, Value>,
}

/// # Errors
/// [`WebhookDecodeError`] for a body that is not JSON or names no `webhook_type`.
pub fn decode_webhook(body: &[u8]) -> Result<EngineEvent, WebhookDecodeError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| WebhookDecodeError {
        code: tollgate_domain::ErrorCode::InvalidJson,
        message: format!("the body is not JSON: {e}"),
    })?;
    let envelope: Envelope = serde_json::from_value(value).map_err(|e| WebhookDecodeError {
        code: tollgate_domain::ErrorCode::InvalidWebhook,
        message: format!("the body is not a Lago webhook: {e}"),
    })?;
    let object = envelope
        .object_type
        .as_deref()
        .and_then(|kind| envelope.objects.get(kind).map(|object| (kind, object)));
    let object = match object {
        Some(("invoice", object)) => read(object, invoice).unwrap_or_else(unreadable(object)),
        Some(("subscription", object)) => {
            read(object, subscription).unwrap_or_else(unreadable(object))
        }
        Some((_, object)) => EngineObject::Other {
            object_id: object_id(object),
        },
        None => EngineObject::Other { object_id: None },
    };
    Ok(EngineEvent {
        webhook_type: envelope.webhook_type,
        object,
    })
}

fn read<W: for<'de> Deserialize<'de>>(
    object: &Value,
    convert: fn(W) -> EngineObject,
) -> Result<EngineObject, String> {
    W::deserialize(object)
        .map(convert)
        .map_err(|e| e.to_string())
}

fn unreadable(object: &Value) -> impl FnOnce(String) -> EngineObject + '_ {
    move |reason| EngineObject::Unreadable {
        object_id: object_id(object),
        reason,
    }
}

fn object_id(object: &Value) -> Option<String> {
    ["lago_id", "external_id"]
        .iter()
        .find_map(|field| object.get(field)?.as_str().map(str::to_owned))
}

#[derive(Deserialize)]
struct WireInvoice {
    lago_id: Uuid,
    number: Option<String>,
    status: String,
    payment_status: Option<String>,
    currency: String,
    #[serde(default)]
    taxes_amount_cents: i64,
    total_amount_cents: i64,
    issuing_date: NaiveDate,
    customer: WireCustomer,
    #[serde(default)]
    subscriptions: Vec<WireSubscriptionId>,
    #[serde(default)]
    billing_periods: Vec<WireBillingPeriod>,
    #[serde(default)]
    fees: Vec<WireFee>,
}

#[derive(Deserialize)]
struct WireCustomer {
    external_id: String,
}

#[derive(Deserialize)]
struct WireSubscriptionId {
    external_id: String,
}

#[derive(Deserialize)]
struct WireBillingPeriod {
    subscription_from_datetime: Option<DateTime<Utc>>,
    subscription_to_datetime: Option<DateTime<Utc>>,
    charges_from_datetime: Option<DateTime<Utc>>,
    charges_to_datetime: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct WireFee {
    item: WireItem,
    amount_cents: i64,
    units: Option<Value>,
    precise_unit_amount: Option<Value>,
    #[serde(default)]
    pay_in_advance: bool,
    from_date: Option<DateTime<Utc>>,
    to_date: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct WireItem {
    #[serde(rename = "type")]
    kind: String,
    code: String,
    name: Option<String>,
    invoice_display_name: Option<String>,
}

#[derive(Deserialize)]
struct WireSubscription {
    external_id: String,
    terminated_at: Option<DateTime<Utc>>,
    canceled_at: Option<DateTime<Utc>>,
    started_at: Option<DateTime<Utc>>,
}

fn invoice(wire: WireInvoice) -> EngineObject {
    // A billing period covers its subscription fee's span and its charges' span.
    let billing_periods = wire
        .billing_periods
        .iter()
        .flat_map(|period| {
            [
                period
                    .subscription_from_datetime
                    .zip(period.subscription_to_datetime),
                period.charges_from_datetime.zip(period.charges_to_datetime),
            ]
        })
        .flatten()
        .collect();
    EngineObject::Invoice(EngineInvoice {
        lago_id: wire.lago_id,
        number: wire.number,
        status: wire.status,
        payment_status: wire.payment_status,
        currency: wire.currency,
        taxes_amount_cents: wire.taxes_amount_cents,
        total_amount_cents: wire.total_amount_cents,
        issuing_date: wire.issuing_date,
        customer_external_id: wire.customer.external_id,
        subscription_external_ids: wire
            .subscriptions
            .into_iter()
            .map(|s| s.external_id)
            .collect(),
        billing_periods,
        fees: wire.fees.into_iter().map(fee).collect(),
    })
}

fn fee(wire: WireFee) -> EngineFee {
    let description = wire
        .item
        .invoice_display_name
        .filter(|name| !name.trim().is_empty())
        .or(wire.item.name)
        .unwrap_or_else(|| wire.item.code.clone());
    EngineFee {
        kind: EngineFeeKind::parse(&wire.item.kind),
        code: wire.item.code,
        description,
        units: wire.units.as_ref().and_then(decimal),
        unit_amount: wire.precise_unit_amount.as_ref().and_then(decimal),
        amount_cents: wire.amount_cents,
        pay_in_advance: wire.pay_in_advance,
        from: wire.from_date,
        to: wire.to_date,
    }
}

fn subscription(wire: WireSubscription) -> EngineObject {
    EngineObject::Subscription(EngineSubscription {
        external_id: wire.external_id,
        terminated_at: wire.terminated_at,
        canceled_at: wire.canceled_at,
        started_at: wire.started_at,
    })
}

/// A decimal written as a JSON string (Lago's way) or number, from its text: never via `f64`.
fn decimal(value: &Value) -> Option<Decimal> {
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        _ => return None,
    };
    Decimal::from_str(text.trim())
        .or_else(|_| Decimal::from_scientific(text.trim()))
        .ok()
}
