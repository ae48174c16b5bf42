//! The dashboard's reads and writes: the event list and detail, the billing summary, a
//! subscription's usage to date, portal links, the team's memberships.

use std::sync::LazyLock;

use serde_json::{Value, json};

use super::{Answer, Operation};
use crate::{
    openapi::schemas::{Schemas, dto, query},
    routes::api::events::{DeliveryDto, EventParams},
};

/// One stored event: the export's fields.
fn event_properties() -> Value {
    let text = || json!({ "type": ["string", "null"] });
    let count = || json!({ "type": "integer", "minimum": 0 });
    json!({
        "id": { "type": "integer" },
        "idempotency_key": { "type": "string", "description": "LiteLLM's call id." },
        "occurred_at": { "type": "string", "format": "date-time" },
        "received_at": { "type": "string", "format": "date-time" },
        "customer": text(), "model": text(), "provider": text(),
        "api_key_alias": text(), "api_key_hash": text(), "team": text(), "user": text(),
        "org": text(), "provider_model": text(), "call_type": text(),
        "status": { "type": "string", "enum": ["success", "failure"] },
        "error_code": text(),
        "input_tokens": count(), "output_tokens": count(), "total_tokens": count(),
        "cached_tokens": count(), "reasoning_tokens": count(),
        "cost_usd": { "type": "string", "description": "Exact decimal." },
        "cache_hit": { "type": "boolean" }, "stream": { "type": "boolean" },
        "trace_id": text(),
        "tags": { "type": "array", "items": { "type": "string" } },
    })
}

fn event(_: &mut Schemas) -> Value {
    json!({ "type": "object", "properties": event_properties() })
}

fn events_page(schemas: &mut Schemas) -> Value {
    json!({
        "type": "object",
        "required": ["data", "next_cursor"],
        "properties": {
            "data": { "type": "array", "items": event(schemas) },
            "next_cursor": { "type": ["string", "null"] },
        },
    })
}

fn event_detail(schemas: &mut Schemas) -> Value {
    let mut properties = event_properties();
    if let Value::Object(fields) = &mut properties {
        fields.insert(
            "deliveries".into(),
            json!({ "type": "array", "items": dto::<DeliveryDto>(schemas) }),
        );
    }
    json!({ "type": "object", "properties": properties })
}

const EVENT: &str = r#"{"id": 42, "idempotency_key": "chatcmpl-123",
    "occurred_at": "2026-12-01T10:00:00.000001Z", "received_at": "2026-12-01T10:00:01Z",
    "customer": "cust-002", "model": "claude-haiku", "provider": "anthropic",
    "api_key_alias": "prod", "api_key_hash": "9f86d081", "team": "team-a", "user": null,
    "org": null, "provider_model": "anthropic/claude-haiku", "call_type": "acompletion",
    "status": "success", "error_code": null, "input_tokens": 1200, "output_tokens": 300,
    "total_tokens": 1500, "cached_tokens": 0, "reasoning_tokens": 0,
    "cost_usd": "0.000675", "cache_hit": false, "stream": true, "trace_id": null,
    "tags": ["prod"]"#;

pub fn operations() -> Vec<Operation> {
    vec![
        Operation {
            method: "GET",
            path: "/api/usage/events",
            id: "listEvents",
            tag: "usage",
            summary: "Stored events, newest first, with filters (a customer's member: its \
                own customer's only)",
            query: Some(query::<EventParams>),
            paged: true,
            request: None,
            answer: Answer::Json {
                status: 200,
                schema: events_page,
                example: LIST_EXAMPLE.as_str(),
            },
        },
        Operation {
            method: "GET",
            path: "/api/usage/events/{id}",
            id: "showEvent",
            tag: "usage",
            summary: "Everything kept of one event (never prompts: none are kept) and where \
                its deliveries stand",
            query: None,
            paged: false,
            request: None,
            answer: Answer::Json {
                status: 200,
                schema: event_detail,
                example: DETAIL_EXAMPLE.as_str(),
            },
        },
    ]
}

/// The examples share the event's text (an `Answer` holds `&'static str`).
static LIST_EXAMPLE: LazyLock<String> =
    LazyLock::new(|| format!(r#"{{"data": [{EVENT}}}], "next_cursor": null}}"#));
static DETAIL_EXAMPLE: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"{EVENT}, "deliveries": [{{"target": "embedded_meter", "state": "delivered",
            "attempts": 1, "next_attempt_at": null, "delivered_at": "2026-12-01T10:00:02Z"}}]}}"#
    )
});
