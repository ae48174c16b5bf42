//! The organization's settings, API keys and webhook secrets; the outbox and the audit trail.

use serde_json::{Value, json};

use super::{Answer, Operation, Request};
use crate::{
    openapi::schemas::{Schemas, dto, page_of, parses},
    routes::api::{
        api_keys::{ApiKeyResponse, CreateApiKeyRequest},
        outbox::RetryRequest,
        settings::{
            CreateSecretRequest, Document, SecretResponse, SettingsRequest, SettingsResponse,
        },
    },
};

const SETTINGS: &str = r#"{"display_name": "Acme AI", "billing_contact": {"name": "Acme AI SAS",
    "email": "billing@acme.example", "address": "1 rue de la Paix, 75002 Paris, France"},
    "tax_id": "FR40303265045", "debug_mode": false, "alert_thresholds": ["100.00", "500"]}"#;

const KEY: &str = r#"{"id": "0f8e7c3a-2b1d-4c5e-9f60-7a8b9c0d1e2f", "name": "ci",
    "prefix": "tg_live_3kq9", "scopes": ["usage:read"], "created_by": "dev-owner",
    "created_at": "2026-12-06T09:00:00Z", "expires_at": null, "last_used_at": null,
    "revoked_at": null, "secret": "tg_live_3kq9..."}"#;

const SECRET: &str = r#"{"id": "5d7c9e1f-0a2b-4c3d-8e9f-1a2b3c4d5e6f", "label": "litellm-prod",
    "prefix": "whsec_8h2k", "created_at": "2026-12-06T09:00:00Z", "expires_at": null,
    "revoked_at": null, "secret": "whsec_8h2k..."}"#;

fn depth(_: &mut Schemas) -> Value {
    json!({
        "type": "object",
        "required": ["data"],
        "properties": { "data": { "type": "array", "items": { "type": "object", "properties": {
            "target": { "type": "string" },
            "state": { "type": "string" },
            "count": { "type": "integer" },
            "oldest_age_seconds": { "type": ["integer", "null"] },
        }}}},
    })
}

/// `PATCH /api/settings`: any of the document's fields; `null` resets one.
fn settings_patch(_: &mut Schemas) -> Value {
    let nullable = |schema: Value| json!({ "oneOf": [schema, { "type": "null" }] });
    json!({
        "type": "object",
        "additionalProperties": false,
        "description": "A JSON merge patch (RFC 7396) of the settings document: a field left \
            out stays as stored, `null` resets it to its default, an object is merged into \
            `billing_contact`. The result is checked as a whole, as a `PUT` of it would be.",
        "properties": {
            "display_name": { "type": ["string", "null"] },
            "billing_contact": nullable(json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "name": { "type": "string" },
                    "email": { "type": "string" },
                    "address": { "type": ["string", "null"] },
                },
            })),
            "tax_id": { "type": ["string", "null"] },
            "debug_mode": { "type": ["boolean", "null"] },
            "alert_thresholds": nullable(json!({ "type": "array", "items": { "type": "string" } })),
        },
    })
}

fn retried(_: &mut Schemas) -> Value {
    json!({
        "type": "object",
        "required": ["retried"],
        "properties": { "retried": { "type": "integer" } },
    })
}

fn audit_page(_: &mut Schemas) -> Value {
    json!({
        "type": "object",
        "required": ["data", "next_cursor"],
        "properties": {
            "data": { "type": "array", "items": { "type": "object", "properties": {
                "sequence": { "type": "integer" },
                "occurred_at": { "type": "string", "format": "date-time" },
                "actor": { "type": "string" },
                "action": { "type": "string" },
                "target": { "type": ["string", "null"] },
                "request_id": { "type": ["string", "null"] },
                "result": { "type": "string" },
            }}},
            "next_cursor": { "type": ["string", "null"] },
        },
    })
}

fn secured(method: &'static str, path: &'static str) -> Operation {
    Operation {
        method,
        path,
        id: "",
        tag: "settings",
        summary: "",
        query: None,
        paged: false,
        request: None,
        answer: Answer::Empty { status: 204 },
    }
}

pub fn operations() -> Vec<Operation> {
    vec![
        Operation {
            id: "showSettings",
            summary: "The organization's settings",
            answer: Answer::Json {
                status: 200,
                schema: dto::<SettingsResponse>,
                example: SETTINGS,
            },
            ..secured("GET", "/api/settings")
        },
        Operation {
            id: "replaceSettings",
            summary: "Replaces the settings: the whole document",
            request: Some(Request {
                schema: dto::<SettingsRequest>,
                example: SETTINGS,
                parses: parses::<SettingsRequest>,
            }),
            answer: Answer::Json {
                status: 200,
                schema: dto::<SettingsResponse>,
                example: SETTINGS,
            },
            ..secured("PUT", "/api/settings")
        },
        Operation {
            id: "patchSettings",
            summary: "Changes the fields it names (a JSON merge patch); the others stay",
            request: Some(Request {
                schema: settings_patch,
                example: r#"{"display_name": "Acme AI SAS", "tax_id": null,
                    "billing_contact": {"email": "invoices@acme.example"}}"#,
                parses: |example| {
                    serde_json::from_str::<Document>(&example.to_string())
                        .map(drop)
                        .map_err(|e| e.to_string())
                },
            }),
            answer: Answer::Json {
                status: 200,
                schema: dto::<SettingsResponse>,
                example: SETTINGS,
            },
            ..secured("PATCH", "/api/settings")
        },
        Operation {
            id: "listApiKeys",
            summary: "The organization's API keys (never their secrets)",
            paged: true,
            answer: Answer::Json {
                status: 200,
                schema: page_of::<ApiKeyResponse>,
                example: r#"{"data": [], "next_cursor": null}"#,
            },
            ..secured("GET", "/api/settings/api-keys")
        },
        Operation {
            id: "createApiKey",
            summary: "Creates an API key; its secret is in this answer only",
            request: Some(Request {
                schema: dto::<CreateApiKeyRequest>,
                example: r#"{"name": "ci", "scopes": ["usage:read"], "expires_at": null}"#,
                parses: parses::<CreateApiKeyRequest>,
            }),
            answer: Answer::Json {
                status: 201,
                schema: dto::<ApiKeyResponse>,
                example: KEY,
            },
            ..secured("POST", "/api/settings/api-keys")
        },
        Operation {
            id: "revokeApiKey",
            summary: "Revokes an API key at once",
            ..secured("DELETE", "/api/settings/api-keys/{id}")
        },
        Operation {
            id: "listLiteLlmSecrets",
            summary: "The LiteLLM webhook secrets (never the secrets themselves)",
            paged: true,
            answer: Answer::Json {
                status: 200,
                schema: page_of::<SecretResponse>,
                example: r#"{"data": [], "next_cursor": null}"#,
            },
            ..secured("GET", "/api/settings/litellm-secrets")
        },
        Operation {
            id: "createLiteLlmSecret",
            summary: "Creates a LiteLLM webhook secret; shown in this answer only",
            request: Some(Request {
                schema: dto::<CreateSecretRequest>,
                example: r#"{"label": "litellm-prod"}"#,
                parses: parses::<CreateSecretRequest>,
            }),
            answer: Answer::Json {
                status: 201,
                schema: dto::<SecretResponse>,
                example: SECRET,
            },
            ..secured("POST", "/api/settings/litellm-secrets")
        },
        Operation {
            id: "rotateLiteLlmSecret",
            summary: "Replaces a secret; the old one keeps working for 24 h",
            answer: Answer::Json {
                status: 201,
                schema: dto::<SecretResponse>,
                example: SECRET,
            },
            ..secured("POST", "/api/settings/litellm-secrets/{id}/rotate")
        },
        Operation {
            id: "revokeLiteLlmSecret",
            summary: "Revokes a LiteLLM webhook secret at once",
            ..secured("DELETE", "/api/settings/litellm-secrets/{id}")
        },
        Operation {
            id: "outboxDepth",
            tag: "operations",
            summary: "Rows waiting per delivery target and state",
            answer: Answer::Json {
                status: 200,
                schema: depth,
                example: r#"{"data": [{"target": "openmeter", "state": "pending",
                    "count": 12, "oldest_age_seconds": 3}]}"#,
            },
            ..secured("GET", "/api/admin/outbox")
        },
        Operation {
            id: "retryOutbox",
            tag: "operations",
            summary: "Sends dead letters again (of one target, or all)",
            request: Some(Request {
                schema: dto::<RetryRequest>,
                example: r#"{"target": "openmeter"}"#,
                parses: parses::<RetryRequest>,
            }),
            answer: Answer::Json {
                status: 200,
                schema: retried,
                example: r#"{"retried": 31}"#,
            },
            ..secured("POST", "/api/admin/outbox/retry")
        },
        Operation {
            id: "audit",
            tag: "operations",
            summary: "The audit trail, oldest first",
            paged: true,
            answer: Answer::Json {
                status: 200,
                schema: audit_page,
                example: r#"{"data": [{"sequence": 42, "occurred_at": "2026-12-06T09:00:00Z",
                    "actor": "dev-owner", "action": "api_key.create",
                    "target": "0f8e7c3a-2b1d-4c5e-9f60-7a8b9c0d1e2f",
                    "request_id": "b7f3c2d1", "result": "ok"}], "next_cursor": null}"#,
            },
            ..secured("GET", "/api/audit")
        },
    ]
}
