//! One usage event as the CloudEvents 1.0 JSON object OpenMeter ingests.
//!
//! `data` carries every meter's quantity under its slug and the dimensions as strings, both
//! taken from `MeteringService::meter_updates` so that these events and the meter
//! definitions in `deploy/openmeter/meters.yaml` cannot drift apart from the domain's meters.
//!
//! Quantities are JSON numbers written from their exact decimal text
//! (`0.0000049999999999999996` goes out digit for digit), never through `f64`. A number rather
//! than a numeric string (which OpenMeter's SUM also takes) keeps `data` natural for anyone
//! reading the events back. A dimension the event lacks (no team, no key) is left out of
//! `data` rather than sent as `null`; OpenMeter then reports no value for that group.

use chrono::SecondsFormat;
use serde::{Serialize, ser::SerializeMap};
use serde_json::value::RawValue;
use tollgate_application::{ports::OutboxItem, services::metering::MeteringService};
use tollgate_domain::metering::MeterUpdate;

/// The subject of an event that names no customer: OpenMeter requires a subject.
pub const UNATTRIBUTED_SUBJECT: &str = "unattributed";

/// The event as one JSON object, or why it cannot be written.
pub(super) fn cloud_event(
    item: &OutboxItem,
    source: &str,
    event_type: &str,
) -> Result<Box<RawValue>, serde_json::Error> {
    let event = &item.event;
    let updates = MeteringService::meter_updates(item);
    let quantities = updates
        .iter()
        .map(|update| {
            RawValue::from_string(update.quantity.to_string()).map(|n| (update.meter.slug(), n))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let json = serde_json::to_string(&CloudEvent {
        specversion: "1.0",
        id: event.idempotency_key.as_str(),
        source,
        kind: event_type,
        subject: event
            .customer
            .as_ref()
            .map_or(UNATTRIBUTED_SUBJECT, |customer| customer.as_str()),
        time: event
            .occurred_at
            .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        data: Data {
            quantities,
            update: updates.first(),
        },
    })?;
    RawValue::from_string(json)
}

/// Schema `Event` (CloudEvents 1.0), the fields Tollgate sets.
#[derive(Serialize)]
struct CloudEvent<'a> {
    specversion: &'static str,
    id: &'a str,
    source: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    subject: &'a str,
    time: String,
    data: Data<'a>,
}

struct Data<'a> {
    quantities: Vec<(&'static str, Box<RawValue>)>,
    /// Any of the updates: they all carry the same dimensions.
    update: Option<&'a MeterUpdate>,
}

impl Serialize for Data<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (slug, quantity) in &self.quantities {
            map.serialize_entry(slug, quantity)?;
        }
        if let Some(update) = self.update {
            let dimensions = &update.dimensions;
            let optional = [
                ("model", &dimensions.model),
                ("provider", &dimensions.provider),
                ("key", &dimensions.key),
                ("team", &dimensions.team),
            ];
            for (name, value) in optional {
                if let Some(value) = value {
                    map.serialize_entry(name, value)?;
                }
            }
            map.serialize_entry("status", &dimensions.status)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::{TimeZone, Utc};
    use rust_decimal::Decimal;
    use tollgate_domain::{
        money::UsdAmount,
        organization::OrganizationId,
        usage::{CallStatus, EventPayload, IdempotencyKey, Label, TokenUsage},
    };

    use super::*;

    fn item() -> Result<OutboxItem, Box<dyn std::error::Error>> {
        Ok(OutboxItem {
            outbox_id: 1,
            event_id: 1,
            organization: OrganizationId::new(),
            attempts: 0,
            queued_at: Utc::now(),
            lease_until: Utc::now(),
            event: EventPayload {
                idempotency_key: IdempotencyKey::parse("req-1")?,
                occurred_at: Utc
                    .timestamp_opt(1_700_000_000, 123_000_000)
                    .single()
                    .ok_or("time")?,
                customer: None,
                api_key_hash: None,
                api_key_alias: None,
                user_id: None,
                team_id: None,
                org_id: None,
                model_group: Label::new("gpt-4o"),
                provider_model: None,
                provider: None,
                call_type: None,
                status: CallStatus::Failure { error_code: None },
                tokens: TokenUsage::from_signed(3, 0, 3, 0, 0)?,
                cost: UsdAmount::new(Decimal::from_str("0.0000049999999999999996")?)?,
                cache_hit: false,
                stream: false,
                trace_id: None,
                request_tags: vec![],
            },
        })
    }

    #[test]
    fn cost_keeps_every_digit_and_absent_dimensions_are_left_out()
    -> Result<(), Box<dyn std::error::Error>> {
        let event = cloud_event(&item()?, "tollgate", "tollgate.llm.usage")?;
        assert_eq!(
            event.get(),
            r#"{"specversion":"1.0","id":"req-1","source":"tollgate","type":"tollgate.llm.usage","subject":"unattributed","time":"2023-11-14T22:13:20.123Z","data":{"input_tokens":3,"output_tokens":0,"cached_tokens":0,"reasoning_tokens":0,"requests":1,"cost_usd":0.0000049999999999999996,"cache_hits":0,"model":"gpt-4o","status":"failure"}}"#
        );
        Ok(())
    }
}
