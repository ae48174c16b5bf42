//! The dashboard's reads and writes: the event list and detail, the billing summary, a
//! subscription's usage to date, portal links, the team's memberships.

use std::sync::LazyLock;

use serde_json::{Value, json};

use super::{Answer, Operation, Request};
use crate::{
    openapi::schemas::{Schemas, dto, parses, query},
    routes::api::{
        current_usage::CurrentUsageResponse,
        events::{DeliveryDto, EventParams},
        portal_links::{PortalLinkRequest, PortalLinkResponse},
        summary::{SummaryParams, SummaryResponse},
    },
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
            path: "/api/billing/summary",
            id: "billingSummary",
            tag: "invoices",
            summary: "Per currency: invoiced, paid and credited over a span, outstanding at \
                its end, from the embedded ledger (Lago mode: 422 `engine_read_unsupported`)",
            query: Some(query::<SummaryParams>),
            paged: false,
            request: None,
            answer: Answer::Json {
                status: 200,
                schema: dto::<SummaryResponse>,
                example: r#"{"from": "2026-12-01T00:00:00Z", "to": "2027-01-01T00:00:00Z",
                    "data": [{"currency": "EUR", "invoiced": "1250.00", "paid": "980.00",
                        "outstanding": "310.00", "credited": "40.00"}]}"#,
            },
        },
        Operation {
            method: "GET",
            path: "/api/billing/subscriptions/{id}/current-usage",
            id: "subscriptionCurrentUsage",
            tag: "subscriptions",
            summary: "The open period rated to now by the period close's rules: its invoice \
                with the usage so far (Lago mode: 422 `engine_read_unsupported`; every period \
                invoiced: 409 `subscription_terminated`)",
            query: None,
            paged: false,
            request: None,
            answer: Answer::Json {
                status: 200,
                schema: dto::<CurrentUsageResponse>,
                example: r#"{"subscription_id": "0193a5c2-7b1e-7c3d-9e4f-5a6b7c8d9e0f",
                    "customer": "cust-002",
                    "period": {"start": "2026-12-01T00:00:00Z", "end": "2027-01-01T00:00:00Z"},
                    "as_of": "2026-12-11T09:30:00Z", "currency": "EUR",
                    "lines": [{"kind": "usage", "meter": "requests", "description": "Requests",
                        "quantity": "250", "free_quantity": "0", "unit_price": "0.01",
                        "amount": "2.50",
                        "period": {"start": "2026-12-01T00:00:00Z",
                            "end": "2027-01-01T00:00:00Z"},
                        "fee_timing": null, "proration": null}],
                    "tax_rate": "19", "subtotal": "2.50", "tax": "0.48", "total": "2.98"}"#,
            },
        },
        Operation {
            method: "POST",
            path: "/api/billing/customers/{id}/portal-links",
            id: "createPortalLink",
            tag: "customers",
            summary: "A link that opens the customer's portal once, within its lifetime \
                (1 h by default, 24 h at most); its token is shown once and only its hash kept",
            query: None,
            paged: false,
            request: Some(Request {
                schema: dto::<PortalLinkRequest>,
                example: r#"{"return_url": "https://app.example.com/billing", "expires_in": 3600}"#,
                parses: parses::<PortalLinkRequest>,
            }),
            answer: Answer::Json {
                status: 201,
                schema: dto::<PortalLinkResponse>,
                example: r#"{"url": "https://tollgate.example.com/portal/links/tgp_9f2c…",
                    "expires_at": "2026-12-06T13:00:00Z"}"#,
            },
        },
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
