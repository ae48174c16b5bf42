//! Real LiteLLM captures (`tests/fixtures/litellm/` at the repository root) and events made
//! from them.

use serde_json::Value;
use uuid::Uuid;

macro_rules! litellm_fixture {
    ($file:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/litellm/",
            $file
        ))
    };
}

/// 11 events as a JSON array, 2 of them failures; cost sum 0.0002927999999999999952.
pub const USAGE_BATCH: &[u8] = litellm_fixture!("01-usage-batch.json_array.body.json");
/// One successful call as a single object.
pub const USAGE_SINGLE: &[u8] = litellm_fixture!("02-usage-single.success-virtual-key.body.json");
/// 6 events as NDJSON.
pub const USAGE_NDJSON: &[u8] = litellm_fixture!("09-usage-batch.ndjson.body.ndjson");
pub const USAGE_NDJSON_EVENTS: usize = 6;
/// A `budget_crossed` alert for an API key.
pub const BUDGET_ALERT: &[u8] = litellm_fixture!("10-budget-alert.webhook.body.json");

/// Every single-event capture.
pub const USAGE_SINGLES: [&[u8]; 7] = [
    USAGE_SINGLE,
    litellm_fixture!("03-usage-single.success-streaming.body.json"),
    litellm_fixture!("04-usage-single.success-cache-hit.body.json"),
    litellm_fixture!("05-usage-single.failure-provider-500.body.json"),
    litellm_fixture!("06-usage-single.failure-auth-401.body.json"),
    litellm_fixture!("07-usage-single.fallback-failed-attempt.body.json"),
    litellm_fixture!("08-usage-single.fallback-served-attempt.body.json"),
];

pub const USAGE_BATCH_EVENTS: usize = 11;
pub const USAGE_BATCH_COST: &str = "0.0002927999999999999952";

/// Text of prompts, completions and personal data present in the captures; none of it may be
/// stored.
pub const PRIVATE_TEXT: [&str; 7] = [
    "You are a terse assistant",
    "say hello",
    "Hello from the mock",
    "stream me a hello",
    "127.0.0.1",
    "alice@example.com",
    "Python-urllib",
];

/// The captured successful call, prompt and all, under a new `litellm_call_id`.
pub fn event_with_call_id(call_id: &str) -> Value {
    let mut event: Value = serde_json::from_slice(USAGE_SINGLE).expect("fixture is JSON");
    event["litellm_call_id"] = Value::String(call_id.to_owned());
    event
}

/// `n` distinct, valid, full-size events (about 15 KB each).
pub fn distinct_events(n: usize) -> Vec<Value> {
    (0..n)
        .map(|_| event_with_call_id(&Uuid::new_v4().to_string()))
        .collect()
}

/// A JSON array body.
pub fn batch_body(events: &[Value]) -> Vec<u8> {
    serde_json::to_vec(events).expect("events serialize")
}
