//! What the document says of each operation beyond its access rule: summary, bodies, one
//! example each. One file per part of the API.

mod billing;
mod dashboard;
mod invoices;
mod outbox;
mod payments;
mod privacy;
mod public;
mod settings;
mod team;
mod usage;
mod webhooks;

use serde_json::{Value, json};

use super::schemas::SchemaOf;

pub const TAGS: &[(&str, &str)] = &[
    ("ingest", "LiteLLM and Lago webhooks."),
    (
        "usage",
        "Metered usage: series, breakdowns, export, analytics.",
    ),
    ("customers", "Billing customers."),
    (
        "payments",
        "Invoices collected by card through Stripe: attempts, cards, Stripe's events.",
    ),
    ("plans", "Plans and their versions."),
    ("subscriptions", "Subscriptions and their plan changes."),
    (
        "invoices",
        "Invoices, their PDFs, receipts and credit notes.",
    ),
    (
        "settings",
        "The organization's settings, API keys, LiteLLM secrets and outbound webhook endpoints.",
    ),
    (
        "privacy",
        "What Tollgate keeps about people, why, and who receives it.",
    ),
    (
        "operations",
        "Health, metrics, the outbox, the audit trail, this document.",
    ),
];

pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub id: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub query: Option<fn() -> Vec<Value>>,
    /// A list: takes `limit` and `cursor`, answers `next_cursor`.
    pub paged: bool,
    pub request: Option<Request>,
    pub answer: Answer,
}

pub struct Request {
    pub schema: SchemaOf,
    pub example: &'static str,
    /// Whether the example parses into the route's DTO (checked by a test).
    #[cfg_attr(not(test), allow(dead_code, reason = "read by the document's tests"))]
    pub parses: fn(Value) -> Result<(), String>,
}

impl Request {
    pub fn example(&self) -> Value {
        example(self.example)
    }
}

pub enum Answer {
    Json {
        status: u16,
        schema: SchemaOf,
        example: &'static str,
    },
    File {
        media_type: &'static str,
    },
    Empty {
        status: u16,
    },
}

/// An example written as JSON text (a test checks each one parses).
pub fn example(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// The component name of the error answers with `status`.
pub fn error_response_name(status: u16) -> &'static str {
    match status {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        408 => "RequestTimeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "PayloadTooLarge",
        415 => "UnsupportedMediaType",
        422 => "UnprocessableEntity",
        429 => "TooManyRequests",
        500 => "InternalError",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "OtherError",
    }
}

impl Operation {
    /// The error statuses this operation can answer.
    pub fn errors(&self) -> Vec<(u16, &'static str)> {
        let api = self.path.starts_with("/api/") && self.path != "/api/openapi.json";
        let mut statuses = Vec::new();
        if api || self.path.starts_with("/v1/") {
            statuses.extend([401, 403]);
        }
        if self.path.contains('{') {
            statuses.push(404);
        }
        let writes = self.method != "GET";
        if self.request.is_some() || self.query.is_some() || self.paged || writes {
            statuses.push(422);
        }
        if self.request.is_some() {
            statuses.extend([413, 415]);
        }
        if writes && api {
            statuses.push(409);
        }
        if self.path.ends_with("/download") {
            // Still being built, or past its download window.
            statuses.extend([409, 410]);
        }
        if api {
            statuses.extend([429, 502, 503, 504]);
        }
        statuses.push(500);
        statuses.sort_unstable();
        statuses.dedup();
        statuses
            .into_iter()
            .map(|status| (status, error_response_name(status)))
            .collect()
    }

    /// The security of a route outside the access table.
    pub fn public_security(&self) -> Value {
        match self.path {
            "/v1/webhooks/litellm" | "/v1/webhooks/litellm/alerts/{secret}" => {
                json!([{ "litellm_secret": [] }])
            }
            "/v1/webhooks/lago" => json!([{ "lago_signature": [] }]),
            _ => json!([]),
        }
    }
}

/// Every operation of the API.
pub fn operations() -> Vec<Operation> {
    [
        public::operations(),
        usage::operations(),
        billing::operations(),
        invoices::operations(),
        settings::operations(),
        webhooks::operations(),
        outbox::operations(),
        privacy::operations(),
        dashboard::operations(),
        team::operations(),
        payments::operations(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
