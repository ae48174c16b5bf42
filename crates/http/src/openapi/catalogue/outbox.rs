//! The outbox's dead letters, one by one: listed newest first, and sent back one at a time.

use serde_json::{Value, json};

use super::{Answer, Operation};
use crate::{
    openapi::schemas::{Schemas, page_of},
    routes::api::outbox::DeadLetterResponse,
};

fn retried_one(_: &mut Schemas) -> Value {
    json!({
        "type": "object",
        "required": ["retried"],
        "properties": { "retried": { "type": "integer", "const": 1 } },
    })
}

pub fn operations() -> Vec<Operation> {
    vec![
        Operation {
            method: "GET",
            path: "/api/admin/outbox/dead-letters",
            id: "outboxDeadLetters",
            tag: "operations",
            summary: "The dead letters, newest first, each with the reason it was given up \
                (never the event itself)",
            query: Some(|| {
                vec![json!({
                    "name": "target", "in": "query", "required": false,
                    "description": "One target's dead letters (`openmeter`, `lago`, \
                        `embedded_meter`...); every target's when absent.",
                    "schema": { "type": "string" },
                })]
            }),
            paged: true,
            request: None,
            answer: Answer::Json {
                status: 200,
                schema: page_of::<DeadLetterResponse>,
                example: r#"{"data": [{"id": 8812, "event_id": 4410, "target": "openmeter",
                    "attempts": 9, "last_error": "400 invalid event: subject missing",
                    "died_at": "2026-12-06T09:14:03Z", "queued_at": "2026-12-06T09:00:00Z"}],
                    "next_cursor": null}"#,
            },
        },
        Operation {
            method: "POST",
            path: "/api/admin/outbox/dead-letters/{id}/retry",
            id: "retryDeadLetter",
            tag: "operations",
            summary: "Sends one dead letter again (back to pending, due now), audited; 404 \
                when it is no longer a dead letter",
            query: None,
            paged: false,
            request: None,
            answer: Answer::Json {
                status: 200,
                schema: retried_one,
                example: r#"{"retried": 1}"#,
            },
        },
    ]
}
