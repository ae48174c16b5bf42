//! Decoding tests: every captured LiteLLM sample, the refusals, and properties over arbitrary
//! input.

use std::str::FromStr;

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use tollgate_application::services::ingest::{DecodedEvent, RejectedEvent};
use tollgate_domain::usage::EventPayload;

use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/litellm/",
            $name
        ))
    };
}

// After the macro: `macro_rules!` is visible only below its definition.
mod hostile;
mod properties;
mod rejections;
mod samples;

pub(super) fn options() -> DecodeOptions {
    DecodeOptions::new(
        CustomerFallback::User,
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
    )
}

pub(super) fn decode(body: &[u8]) -> Vec<DecodedEvent> {
    decode_usage_body(body, &options()).unwrap()
}

pub(super) fn valid(body: &[u8]) -> Vec<EventPayload> {
    decode(body)
        .into_iter()
        .map(|event| match event {
            DecodedEvent::Valid(payload) => payload,
            DecodedEvent::Rejected(rejected) => panic!("rejected: {rejected:?}"),
        })
        .collect()
}

pub(super) fn only(body: &[u8]) -> EventPayload {
    let mut events = valid(body);
    assert_eq!(events.len(), 1);
    events.remove(0)
}

pub(super) fn rejected(body: &[u8]) -> RejectedEvent {
    match decode(body).remove(0) {
        DecodedEvent::Rejected(rejected) => rejected,
        DecodedEvent::Valid(payload) => panic!("accepted: {payload:?}"),
    }
}

pub(super) fn usd(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

pub(super) fn label(value: Option<&tollgate_domain::usage::Label>) -> Option<&str> {
    value.map(|l| l.as_str())
}
