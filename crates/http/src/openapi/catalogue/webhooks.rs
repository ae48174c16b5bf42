//! Outbound webhook endpoints: what Tollgate sends operators (Standard Webhooks).

use serde_json::{Value, json};

use super::{Answer, Operation, Request};
use crate::{
    openapi::schemas::{Schemas, dto, page_of, parses},
    routes::api::webhooks::dto::{
        CreateEndpointRequest, DeliveryResponse, EndpointResponse, MessageQueued, MessageResponse,
        PatchEndpointRequest, ResendRequest, Resent, SecretAnswer,
    },
};

const ENDPOINT: &str = r#"{"id": "01938a2e-7b1c-7d3e-9f40-5a6b7c8d9e0f",
    "url": "https://hooks.acme.example/tollgate", "description": "billing events",
    "event_types": ["invoice.finalized", "invoice.paid"], "enabled": true,
    "disabled_reason": null, "disabled_at": null, "previous_secret_expires_at": null,
    "created_at": "2026-12-09T09:00:00Z", "updated_at": "2026-12-09T09:00:00Z"}"#;

const CREATED: &str = r#"{"id": "01938a2e-7b1c-7d3e-9f40-5a6b7c8d9e0f",
    "url": "https://hooks.acme.example/tollgate", "description": "billing events",
    "event_types": ["invoice.finalized", "invoice.paid"], "enabled": true,
    "disabled_reason": null, "disabled_at": null, "previous_secret_expires_at": null,
    "created_at": "2026-12-09T09:00:00Z", "updated_at": "2026-12-09T09:00:00Z",
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}"#;

const SECRET: &str = r#"{"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}"#;

fn endpoint_list(schemas: &mut Schemas) -> Value {
    json!({
        "type": "object",
        "required": ["data"],
        "properties": { "data": { "type": "array", "items": dto::<EndpointResponse>(schemas) } },
    })
}

fn delivery_query() -> Vec<Value> {
    vec![
        json!({
            "name": "status", "in": "query", "required": false,
            "description": "Only deliveries in this state.",
            "schema": { "type": "string", "enum": ["pending", "delivered", "failed"] },
        }),
        json!({
            "name": "type", "in": "query", "required": false,
            "description": "Only messages of this event type (`invoice.paid`...).",
            "schema": { "type": "string" },
        }),
    ]
}

fn op(
    method: &'static str,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
) -> Operation {
    Operation {
        method,
        path,
        id,
        tag: "settings",
        summary,
        query: None,
        paged: false,
        request: None,
        answer: Answer::Empty { status: 204 },
    }
}

fn endpoint(status: u16) -> Answer {
    Answer::Json {
        status,
        schema: dto::<EndpointResponse>,
        example: ENDPOINT,
    }
}

fn secret() -> Answer {
    Answer::Json {
        status: 200,
        schema: dto::<SecretAnswer>,
        example: SECRET,
    }
}

pub fn operations() -> Vec<Operation> {
    const ONE: &str = "/api/settings/webhooks/{id}";
    vec![
        Operation {
            answer: Answer::Json {
                status: 200,
                schema: endpoint_list,
                example: r#"{"data": []}"#,
            },
            ..op(
                "GET",
                "/api/settings/webhooks",
                "listWebhookEndpoints",
                "The endpoints Tollgate sends events to (never their secrets)",
            )
        },
        Operation {
            request: Some(Request {
                schema: dto::<CreateEndpointRequest>,
                example: r#"{"url": "https://hooks.acme.example/tollgate",
                    "description": "billing events",
                    "event_types": ["invoice.finalized", "invoice.paid"]}"#,
                parses: parses::<CreateEndpointRequest>,
            }),
            answer: Answer::Json {
                status: 201,
                schema: dto::<EndpointResponse>,
                example: CREATED,
            },
            ..op(
                "POST",
                "/api/settings/webhooks",
                "createWebhookEndpoint",
                "Adds an endpoint; its signing secret is in this answer only",
            )
        },
        Operation {
            answer: Answer::Json {
                status: 200,
                schema: dto::<MessageResponse>,
                example: r#"{"id": "msg_01938a2e7b1c7d3e9f405a6b7c8d9e0f", "type": "invoice.paid",
                    "created_at": "2026-12-09T09:00:00Z",
                    "body": "{\"type\":\"invoice.paid\",\"timestamp\":\"2026-12-09T09:00:00.000Z\",\"data\":{}}",
                    "attempts": [{"endpoint_id": "01938a2e-7b1c-7d3e-9f40-5a6b7c8d9e0f",
                    "attempted_at": "2026-12-09T09:00:01Z", "status_code": 500,
                    "duration_ms": 85, "error": null, "response_excerpt": "upstream down"}]}"#,
            },
            ..op(
                "GET",
                "/api/settings/webhooks/messages/{id}",
                "showWebhookMessage",
                "A message with every attempt to deliver it",
            )
        },
        Operation {
            answer: endpoint(200),
            ..op(
                "GET",
                ONE,
                "showWebhookEndpoint",
                "One endpoint (never its secret)",
            )
        },
        Operation {
            request: Some(Request {
                schema: dto::<PatchEndpointRequest>,
                example: r#"{"event_types": []}"#,
                parses: parses::<PatchEndpointRequest>,
            }),
            answer: endpoint(200),
            ..op(
                "PATCH",
                ONE,
                "patchWebhookEndpoint",
                "Changes the fields given",
            )
        },
        op(
            "DELETE",
            ONE,
            "deleteWebhookEndpoint",
            "Deletes an endpoint and its pending deliveries",
        ),
        Operation {
            answer: secret(),
            ..op(
                "POST",
                "/api/settings/webhooks/{id}/rotate-secret",
                "rotateWebhookSecret",
                "A new signing secret; the old one keeps signing alongside it for 24 h",
            )
        },
        Operation {
            answer: secret(),
            ..op(
                "GET",
                "/api/settings/webhooks/{id}/secret",
                "revealWebhookSecret",
                "The current signing secret (audited)",
            )
        },
        Operation {
            answer: Answer::Json {
                status: 202,
                schema: dto::<MessageQueued>,
                example: r#"{"message_id": "msg_01938a2e7b1c7d3e9f405a6b7c8d9e0f"}"#,
            },
            ..op(
                "POST",
                "/api/settings/webhooks/{id}/test",
                "testWebhookEndpoint",
                "Queues a `webhook.test` message to this endpoint",
            )
        },
        Operation {
            answer: endpoint(200),
            ..op(
                "POST",
                "/api/settings/webhooks/{id}/enable",
                "enableWebhookEndpoint",
                "Enables a disabled endpoint",
            )
        },
        Operation {
            paged: true,
            query: Some(delivery_query),
            answer: Answer::Json {
                status: 200,
                schema: page_of::<DeliveryResponse>,
                example: r#"{"data": [], "next_cursor": null}"#,
            },
            ..op(
                "GET",
                "/api/settings/webhooks/{id}/deliveries",
                "listWebhookDeliveries",
                "The endpoint's deliveries, newest first",
            )
        },
        Operation {
            request: Some(Request {
                schema: dto::<ResendRequest>,
                example: r#"{"failed_since": "2026-12-08T00:00:00Z"}"#,
                parses: parses::<ResendRequest>,
            }),
            answer: Answer::Json {
                status: 202,
                schema: dto::<Resent>,
                example: r#"{"queued": 3}"#,
            },
            ..op(
                "POST",
                "/api/settings/webhooks/{id}/resend",
                "resendWebhooks",
                "Sends one message, or every failed delivery since a time, again",
            )
        },
    ]
}
