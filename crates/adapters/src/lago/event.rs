//! One usage event as Lago events (`EventInputObject`), in one of two codings.
//!
//! **Per meter** (the default): one Lago event per meter the usage event adds to, because the
//! billing engine (`super::billing`) makes one billable metric per meter, `code` = the meter's
//! slug, and Lago ignores events whose code matches no metric.
//! * `code` is the meter's slug, `transaction_id` is `<idempotency key>:<slug>`: a usage event's
//!   meter events must not be duplicates of each other (Lago's Postgres store is unique on
//!   subscription + `transaction_id`, its ClickHouse store on `transaction_id` + `timestamp`),
//!   and the suffix is fixed, so a retry sends the same ids. Slugs hold no `:`, so the id names
//!   its key and meter unambiguously. Lago sets no length limit on `transaction_id` (an
//!   unbounded `varchar`); a 512-byte key plus the longest suffix stays far below what its
//!   unique index can hold.
//! * `properties` holds the meter's quantity under its slug as a decimal string with every
//!   digit (Lago's `sum_agg` reads the property's text as a SQL `numeric`; a JSON number would
//!   go through a float on the way), plus the dimensions Lago charges may filter on: `model`,
//!   `provider`, `key` (the API key's hash), `team` and `status`. An absent dimension is left
//!   out (Lago property values are strings or numbers, never null).
//! * A zero quantity adds nothing to a sum, so its event is not sent; `requests` always is:
//!   its metric is a `count_agg`, one event per call.
//!
//! **Single code** (`lago.billable_metric_code` set, for billable metrics made outside
//! Tollgate): one Lago event with that `code`, `transaction_id` = the idempotency key, and every
//! meter's quantity in `properties` (token counts and `requests` as JSON numbers, `cost_usd` as
//! a decimal string), with `model`, `provider` and `status`.
//!
//! Either way `timestamp` is Unix seconds with milliseconds, as a string (`"1700000000.123"`,
//! the form of the spec's example), derived from `occurred_at` alone: a retry sends the same
//! value, as Lago's ClickHouse store needs for its (`transaction_id`, `timestamp`) dedup.
//! Milliseconds because Lago reads it as a Ruby `Float`: microseconds of a current Unix time
//! would sit at the edge of a double's precision.

use rust_decimal::Decimal;
use serde::{Serialize, ser::SerializeMap};
use serde_json::value::RawValue;
use tollgate_application::{ports::OutboxItem, services::metering::MeteringService};
use tollgate_domain::metering::{Dimensions, Meter, MeterUpdate};

/// Which billable metric codes usage events are sent under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Coding {
    /// One event per meter, `code` = the meter's slug.
    PerMeter,
    /// One event per usage event with this code, every meter in its properties.
    SingleCode(String),
}

/// One Lago event made from a usage event.
pub(super) struct LagoEvent {
    /// The meter it carries; `None` for a single-code event (it carries them all).
    pub meter: Option<Meter>,
    pub body: Box<RawValue>,
}

/// The Lago events of `item`'s usage event, billed to `external_subscription_id`.
pub(super) fn lago_events(
    item: &OutboxItem,
    external_subscription_id: &str,
    coding: &Coding,
) -> Result<Vec<LagoEvent>, serde_json::Error> {
    let event = &item.event;
    let key = event.idempotency_key.as_str();
    let timestamp = Decimal::new(event.occurred_at.timestamp_millis(), 3).to_string();
    let updates = MeteringService::meter_updates(item);
    match coding {
        Coding::PerMeter => updates
            .iter()
            .filter(|update| update.meter == Meter::Requests || !update.quantity.is_zero())
            .map(|update| {
                let slug = update.meter.slug();
                let body = to_raw(&Body {
                    transaction_id: &format!("{key}:{slug}"),
                    external_subscription_id,
                    code: slug,
                    timestamp: &timestamp,
                    properties: Properties {
                        quantities: vec![(slug, Quantity::Exact(update.quantity.to_string()))],
                        dimensions: Some(&update.dimensions),
                        owner_dimensions: true,
                    },
                })?;
                Ok(LagoEvent {
                    meter: Some(update.meter),
                    body,
                })
            })
            .collect(),
        Coding::SingleCode(code) => {
            let quantities = updates
                .iter()
                .map(legacy_quantity)
                .collect::<Result<Vec<_>, serde_json::Error>>()?;
            let body = to_raw(&Body {
                transaction_id: key,
                external_subscription_id,
                code,
                timestamp: &timestamp,
                properties: Properties {
                    quantities,
                    // Any of the updates: they all carry the same dimensions.
                    dimensions: updates.first().map(|update| &update.dimensions),
                    owner_dimensions: false,
                },
            })?;
            Ok(vec![LagoEvent { meter: None, body }])
        }
    }
}

/// Single-code quantities as they have always been sent: counts as JSON numbers, the cost as
/// exact text.
fn legacy_quantity(update: &MeterUpdate) -> Result<(&'static str, Quantity), serde_json::Error> {
    let text = update.quantity.to_string();
    let value = if update.meter == Meter::CostUsd {
        Quantity::Exact(text)
    } else {
        Quantity::Number(RawValue::from_string(text)?)
    };
    Ok((update.meter.slug(), value))
}

fn to_raw(body: &Body<'_>) -> Result<Box<RawValue>, serde_json::Error> {
    RawValue::from_string(serde_json::to_string(body)?)
}

#[derive(Serialize)]
struct Body<'a> {
    transaction_id: &'a str,
    external_subscription_id: &'a str,
    code: &'a str,
    timestamp: &'a str,
    properties: Properties<'a>,
}

enum Quantity {
    Number(Box<RawValue>),
    Exact(String),
}

struct Properties<'a> {
    quantities: Vec<(&'static str, Quantity)>,
    dimensions: Option<&'a Dimensions>,
    /// Also `key` and `team` (who made the call), for charges filtered by them.
    owner_dimensions: bool,
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
        if let Some(dimensions) = self.dimensions {
            let mut labels = vec![
                ("model", &dimensions.model),
                ("provider", &dimensions.provider),
            ];
            if self.owner_dimensions {
                labels.extend([("key", &dimensions.key), ("team", &dimensions.team)]);
            }
            for (name, value) in labels {
                if let Some(value) = value {
                    map.serialize_entry(name, value)?;
                }
            }
            map.serialize_entry("status", &dimensions.status)?;
        }
        map.end()
    }
}
