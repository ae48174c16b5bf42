//! The routes outside `/api`'s access table: webhooks, health, keys, this document.

use chrono::Utc;
use serde_json::{Value, json};
use tollgate_adapters::litellm::{CustomerFallback, DecodeOptions, decode_usage_body};

use super::{Answer, Operation, Request};
use crate::{
    openapi::schemas::{Schemas, dto},
    routes::litellm::IngestResponse,
};

const LITELLM_EVENT: &str = r#"[{
  "id": "chatcmpl-b91741d2-3f0a-4006-8161-c026d3edbdf4",
  "litellm_call_id": "110248f2-8818-4da2-8dfa-f63a49baf5c1",
  "call_type": "acompletion",
  "status": "success",
  "custom_llm_provider": "anthropic",
  "startTime": 1795625138.684529,
  "endTime": 1795625138.707834,
  "model": "anthropic/claude-3-5-haiku-20241022",
  "model_group": "claude-haiku",
  "prompt_tokens": 12,
  "completion_tokens": 30,
  "total_tokens": 42,
  "response_cost": 0.000132,
  "end_user": "cust-002",
  "metadata": {
    "user_api_key_hash": "abe8d4fbc5431fefbc26c7102cc57ef9ca4c9edac2e0427530c744d9d28e6155",
    "user_api_key_alias": "alice-laptop",
    "user_api_key_team_id": "team-alpha",
    "user_api_key_user_id": "user-alice"
  }
}]"#;

fn litellm_body(_: &mut Schemas) -> Value {
    json!({
        "description": "LiteLLM's `generic_api` callback: one StandardLoggingPayload, a JSON \
            array of them, or NDJSON. Prompts and answers are never stored.",
        "oneOf": [
            { "type": "object" },
            { "type": "array", "items": { "type": "object" }, "minItems": 1 },
        ],
    })
}

fn litellm_parses(example: Value) -> Result<(), String> {
    let body = serde_json::to_vec(&example).map_err(|e| e.to_string())?;
    let options = DecodeOptions::new(CustomerFallback::default(), Utc::now());
    let events = decode_usage_body(&body, &options).map_err(|e| e.to_string())?;
    if events.is_empty() {
        return Err("no event".to_owned());
    }
    Ok(())
}

fn any_object(_: &mut Schemas) -> Value {
    json!({ "type": "object" })
}

fn any_json(_: Value) -> Result<(), String> {
    Ok(())
}

fn alert_status(_: &mut Schemas) -> Value {
    json!({
        "type": "object",
        "required": ["status"],
        "properties": { "status": { "type": "string", "enum": ["recorded", "duplicate"] } },
    })
}

fn document(_: &mut Schemas) -> Value {
    json!({ "type": "object", "description": "This document." })
}

fn readiness(_: &mut Schemas) -> Value {
    json!({
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": { "type": "string", "enum": ["ready", "degraded"] },
            "unreachable": { "type": "array", "items": { "type": "string" } },
            "message": { "type": "string" },
        },
    })
}

fn jwks(_: &mut Schemas) -> Value {
    json!({
        "type": "object",
        "required": ["keys"],
        "properties": { "keys": { "type": "array", "items": { "type": "object" } } },
    })
}

pub fn operations() -> Vec<Operation> {
    vec![
        Operation {
            method: "POST",
            path: "/v1/webhooks/litellm",
            id: "ingestLiteLlmUsage",
            tag: "ingest",
            summary: "Takes LiteLLM's usage events; 202 once every good event is durably stored",
            query: None,
            paged: false,
            request: Some(Request {
                schema: litellm_body,
                example: LITELLM_EVENT,
                parses: litellm_parses,
            }),
            answer: Answer::Json {
                status: 202,
                schema: dto::<IngestResponse>,
                example: r#"{"accepted": 1, "duplicates": 0, "quarantined": 0, "errors": []}"#,
            },
        },
        Operation {
            method: "POST",
            path: "/v1/webhooks/litellm/alerts/{secret}",
            id: "ingestLiteLlmAlert",
            tag: "ingest",
            summary: "Takes a LiteLLM budget alert (the secret is in the path: LiteLLM's alert \
                webhook sends no header)",
            query: None,
            paged: false,
            request: Some(Request {
                schema: any_object,
                example: r#"{"spend": 1.0, "max_budget": 0.0, "event": "budget_crossed",
                    "event_group": "key", "token": "c896e5db021e6502ae24270d841c24b9",
                    "event_message": "User Budget: Budget Crossed"}"#,
                parses: any_json,
            }),
            answer: Answer::Json {
                status: 202,
                schema: alert_status,
                example: r#"{"status": "recorded"}"#,
            },
        },
        Operation {
            method: "POST",
            path: "/v1/webhooks/lago",
            id: "ingestLagoWebhook",
            tag: "ingest",
            summary: "Takes a signed Lago webhook (invoice and payment changes)",
            query: None,
            paged: false,
            request: Some(Request {
                schema: any_object,
                example: r#"{"webhook_type": "invoice.payment_status_updated",
                    "object_type": "invoice", "invoice": {"lago_id": "b8a1...",
                    "payment_status": "succeeded"}}"#,
                parses: any_json,
            }),
            answer: Answer::Empty { status: 200 },
        },
        Operation {
            method: "POST",
            path: "/v1/webhooks/stripe",
            id: "ingestStripeWebhook",
            tag: "ingest",
            summary: "Takes a signed Stripe event (payments, cards); 404 without Stripe",
            query: None,
            paged: false,
            request: Some(Request {
                schema: any_object,
                example: r#"{"id": "evt_1Q…", "object": "event", "type": "payment_intent.succeeded",
                    "livemode": false, "created": 1765022400,
                    "data": {"object": {"id": "pi_3Q…", "object": "payment_intent",
                        "status": "succeeded",
                        "metadata": {"tollgate_invoice_id": "0193c9a2-0e00-7000-8000-000000000042",
                            "tollgate_attempt": "1"}}}}"#,
                parses: any_json,
            }),
            answer: Answer::Empty { status: 200 },
        },
        Operation {
            method: "GET",
            path: "/healthz",
            id: "healthz",
            tag: "operations",
            summary: "The process is alive",
            query: None,
            paged: false,
            request: None,
            answer: Answer::Empty { status: 200 },
        },
        Operation {
            method: "GET",
            path: "/readyz",
            id: "readyz",
            tag: "operations",
            summary: "The database answers; configured upstreams are named when degraded",
            query: None,
            paged: false,
            request: None,
            answer: Answer::Json {
                status: 200,
                schema: readiness,
                example: r#"{"status": "degraded", "unreachable": ["OpenMeter"],
                    "message": "OpenMeter cannot be reached: events wait in the outbox for it"}"#,
            },
        },
        Operation {
            method: "GET",
            path: "/metrics",
            id: "metrics",
            tag: "operations",
            summary: "Prometheus metrics",
            query: None,
            paged: false,
            request: None,
            answer: Answer::File {
                media_type: "text/plain",
            },
        },
        Operation {
            method: "GET",
            path: "/.well-known/jwks.json",
            id: "jwks",
            tag: "operations",
            summary: "The embedded issuer's public keys",
            query: None,
            paged: false,
            request: None,
            answer: Answer::Json {
                status: 200,
                schema: jwks,
                example: r#"{"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "k1", "x": "..."}]}"#,
            },
        },
        Operation {
            method: "GET",
            path: "/api/openapi.json",
            id: "openapi",
            tag: "operations",
            summary: "This OpenAPI 3.1 document (no credentials needed)",
            query: None,
            paged: false,
            request: None,
            answer: Answer::Json {
                status: 200,
                schema: document,
                example: r#"{"openapi": "3.1.0"}"#,
            },
        },
    ]
}
