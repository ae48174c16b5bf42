//! Usage: series and breakdowns, the export, analytics, and who the caller is.

use serde_json::{Value, json};

use super::{Answer, Operation};
use crate::{
    openapi::schemas::{Schemas, dto, query},
    routes::api::{
        analytics::AnalyticsParams,
        export::ExportParams,
        usage::{UsageParams, UsageResponse},
    },
};

fn me(_: &mut Schemas) -> Value {
    json!({
        "type": "object",
        "required": [
            "actor", "organization", "organization_slug", "organization_name", "scopes",
        ],
        "properties": {
            "actor": { "type": "string" },
            "organization": { "type": "string", "format": "uuid" },
            "organization_slug": { "type": "string" },
            "organization_name": {
                "type": "string",
                "description": "The settings' display name, else the name the organization \
                    was created with.",
            },
            "role": {
                "type": ["string", "null"],
                "description": "A person's role; `null` for an API key.",
            },
            "scopes": { "type": "array", "items": { "type": "string" } },
        },
    })
}

fn analytics(_: &mut Schemas) -> Value {
    let total = json!({
        "type": "object",
        "properties": {
            "current": { "type": "string" },
            "previous": { "type": "string" },
            "change": { "type": ["string", "null"], "description": "A ratio, 4 decimals." },
        },
    });
    json!({
        "type": "object",
        "properties": {
            "from": { "type": "string", "format": "date-time" },
            "to": { "type": "string", "format": "date-time" },
            "previous_from": { "type": "string", "format": "date-time" },
            "totals": { "type": "object", "additionalProperties": total },
            "cost_by_model": { "type": "array", "items": { "type": "object", "properties": {
                "model": { "type": ["string", "null"], "description": "`null`: no model named." },
                "cost_usd": { "type": "string" },
            }}},
            "top_customers": { "type": "array", "items": { "type": "object", "properties": {
                "customer": {
                    "type": ["string", "null"],
                    "description": "`null`: calls without a customer.",
                },
                "cost_usd": { "type": "string" },
                "requests": { "type": "string" },
            }}},
            "tokens": { "type": "object", "properties": {
                "input": { "type": ["string", "null"] },
                "output": { "type": ["string", "null"] },
            }},
            "error_rate": { "type": ["string", "null"] },
            "cache_savings_usd": { "type": "string" },
            "month_end_projection_usd": { "type": "string" },
        },
    })
}

pub fn operations() -> Vec<Operation> {
    vec![
        Operation {
            method: "GET",
            path: "/api/me",
            id: "me",
            tag: "usage",
            summary: "Who the API takes the caller for",
            query: None,
            paged: false,
            request: None,
            answer: Answer::Json {
                status: 200,
                schema: me,
                example: r#"{"actor": "dev-owner",
                    "organization": "00000000-0000-0000-0000-000000000001",
                    "organization_slug": "acme", "organization_name": "Acme SAS",
                    "role": "owner", "scopes": ["usage:read", "billing:read"]}"#,
            },
        },
        Operation {
            method: "GET",
            path: "/api/usage",
            id: "usage",
            tag: "usage",
            summary: "Metered usage per window, by one dimension if asked \
                (`Tollgate-Usage-Source` says which meters answered)",
            query: Some(query::<UsageParams>),
            paged: false,
            request: None,
            answer: Answer::Json {
                status: 200,
                schema: dto::<UsageResponse>,
                example: r#"{"from": "2026-12-01T00:00:00Z", "to": "2026-12-02T00:00:00Z",
                    "window": "DAY", "time_zone": "UTC", "group_by": "model",
                    "source": "embedded",
                    "data": [{"meter": "input_tokens", "group": "claude-haiku",
                        "points": [{"window_start": "2026-12-01T00:00:00Z",
                            "value": "120400"}]}]}"#,
            },
        },
        Operation {
            method: "GET",
            path: "/api/usage/export",
            id: "exportUsage",
            tag: "usage",
            summary: "Every stored event of a span with every field kept of it, as CSV or a \
                JSON array, in time order",
            query: Some(query::<ExportParams>),
            paged: false,
            request: None,
            answer: Answer::File {
                media_type: "text/csv",
            },
        },
        Operation {
            method: "GET",
            path: "/api/analytics",
            id: "analytics",
            tag: "usage",
            summary: "Totals against the previous span, cost by model, top customers",
            query: Some(query::<AnalyticsParams>),
            paged: false,
            request: None,
            answer: Answer::Json {
                status: 200,
                schema: analytics,
                example: r#"{"from": "2026-12-01T00:00:00Z", "to": "2026-12-06T00:00:00Z",
                    "previous_from": "2026-11-26T00:00:00Z",
                    "totals": {"requests": {"current": "1200", "previous": "1000",
                        "change": "0.2"}},
                    "cost_by_model": [{"model": "claude-haiku", "cost_usd": "3.51"}],
                    "top_customers": [{"customer": "cust-002", "cost_usd": "2.10",
                        "requests": "700"}],
                    "tokens": {"input": "120400", "output": "80200"},
                    "error_rate": "0.0125", "cache_savings_usd": "0.42",
                    "month_end_projection_usd": "18.6"}"#,
            },
        },
    ]
}
