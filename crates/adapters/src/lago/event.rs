//! One usage event as a Lago event (`EventInputObject`).
//!
//! * `transaction_id` is the idempotency key, so a re-sent event is recognised as a duplicate.
//! * `timestamp` is Unix seconds with milliseconds, as a string (`"1700000000.123"`, the form
//!   of the spec's example). It is derived from `occurred_at` alone, so a retry sends the same
//!   value, as Lago's ClickHouse store needs for its (`transaction_id`, `timestamp`) dedup.
//!   Milliseconds because Lago reads it as a Ruby `Float`: microseconds of a current Unix time
//!   would sit at the edge of a double's precision.
//! * `properties` holds every meter's quantity under its slug (from
//!   `tollgate_domain::metering::meter_updates`): token counts and `requests` as JSON numbers,
//!   `cost_usd` as a decimal string with every digit (Lago sums it as a SQL `numeric` from the
//!   property's text), plus `model`, `provider` and `status` strings; an absent model or
//!   provider is left out (Lago property values are strings or numbers, never null).

use rust_decimal::Decimal;
use serde::{Serialize, ser::SerializeMap};
use serde_json::value::RawValue;
use tollgate_application::ports::OutboxItem;
use tollgate_domain::metering::{Meter, MeterUpdate, meter_updates};

pub(super) fn lago_event(
    item: &OutboxItem,
    external_subscription_id: &str,
    code: &str,
) -> Result<Box<RawValue>, serde_json::Error> {
    let event = &item.event;
    let updates = meter_updates(event);
    let quantities = updates
        .iter()
        .map(|update| {
            let text = update.quantity.to_string();
            let value = if update.meter == Meter::CostUsd {
                Quantity::Exact(text)
            } else {
                Quantity::Number(RawValue::from_string(text)?)
            };
            Ok((update.meter.slug(), value))
        })
        .collect::<Result<Vec<_>, serde_json::Error>>()?;
    let millis = event.occurred_at.timestamp_millis();
    let json = serde_json::to_string(&LagoEvent {
        transaction_id: event.idempotency_key.as_str(),
        external_subscription_id,
        code,
        timestamp: Decimal::new(millis, 3).to_string(),
        properties: Properties {
            quantities,
            update: updates.first(),
        },
    })?;
    RawValue::from_string(json)
}

#[derive(Serialize)]
struct LagoEvent<'a> {
    transaction_id: &'a str,
    external_subscription_id: &'a str,
    code: &'a str,
    timestamp: String,
    properties: Properties<'a>,
}

enum Quantity {
    Number(Box<RawValue>),
    Exact(String),
}

struct Properties<'a> {
    quantities: Vec<(&'static str, Quantity)>,
    /// Any of the updates: they all carry the same dimensions.
    update: Option<&'a MeterUpdate>,
}

impl Serialize for Properties<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (slug, quantity) in &self.quantities {
            match quantity {
                Quantity::Number(number) => map.serialize_entry(slug, number)?,
                Quantity::Exact(text) => map.serialize_entry(slug, text)?,
            }
        }
        if let Some(update) = self.update {
            let dimensions = &update.dimensions;
            if let Some(model) = &dimensions.model {
                map.serialize_entry("model", model)?;
            }
            if let Some(provider) = &dimensions.provider {
                map.serialize_entry("provider", provider)?;
            }
            map.serialize_entry("status", &dimensions.status)?;
        }
        map.end()
    }
}
