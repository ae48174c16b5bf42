//! What the outbound webhook endpoints API takes and answers. A secret appears only in the
//! answers that exist to hand it out (create, rotate, reveal), never in a list or a read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tollgate_application::ports::{
    DeliveryAttemptRecord, DeliveryRecord, EndpointRecord, MessageDetail,
};
use uuid::Uuid;
use validator::Validate;

#[derive(Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpointRequest {
    /// `https://` to a public address (`http://` and private addresses only with
    /// `outbound_webhooks.allow_private_targets`).
    #[validate(length(min = 1, max = 2000))]
    pub url: String,
    #[validate(length(max = 500))]
    pub description: Option<String>,
    /// The event types to receive; absent or empty: every type.
    #[serde(default)]
    #[validate(length(max = 50))]
    pub event_types: Vec<String>,
}

/// The fields given change; the others stay.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchEndpointRequest {
    #[validate(length(min = 1, max = 2000))]
    pub url: Option<String>,
    #[validate(length(max = 500))]
    pub description: Option<String>,
    /// `[]`: every type.
    #[validate(length(max = 50))]
    pub event_types: Option<Vec<String>>,
}

/// Exactly one of the two.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResendRequest {
    /// One message (`msg_...`), sent to this endpoint again, or for the first time.
    pub message_id: Option<String>,
    /// Every delivery to this endpoint that failed, of messages made since then.
    pub failed_since: Option<DateTime<Utc>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EndpointResponse {
    id: Uuid,
    url: String,
    description: String,
    event_types: Vec<String>,
    enabled: bool,
    disabled_reason: Option<String>,
    disabled_at: Option<DateTime<Utc>>,
    /// While a rotated secret still signs alongside the current one.
    previous_secret_expires_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// Only when the endpoint is created: shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl EndpointResponse {
    pub fn new(record: EndpointRecord, secret: Option<String>) -> Self {
        Self {
            id: record.id,
            url: record.url,
            description: record.description,
            event_types: record
                .event_types
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            enabled: record.enabled,
            disabled_reason: record.disabled_reason,
            disabled_at: record.disabled_at,
            previous_secret_expires_at: record.previous_secret_expires_at,
            created_at: record.created_at,
            updated_at: record.updated_at,
            secret,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SecretAnswer {
    /// `whsec_<base64>`.
    pub secret: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageQueued {
    pub message_id: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Resent {
    pub queued: u64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryResponse {
    id: i64,
    message_id: String,
    #[serde(rename = "type")]
    event_type: String,
    /// `pending`, `delivered` or `failed`.
    status: String,
    attempts: i64,
    next_attempt_at: Option<DateTime<Utc>>,
    last_status_code: Option<i64>,
    created_at: DateTime<Utc>,
}

impl From<DeliveryRecord> for DeliveryResponse {
    fn from(d: DeliveryRecord) -> Self {
        Self {
            id: d.id,
            message_id: d.message_id,
            event_type: d.event_type,
            status: d.state.as_str().to_owned(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_status_code: d.last_status,
            created_at: d.created_at,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AttemptResponse {
    endpoint_id: Uuid,
    attempted_at: DateTime<Utc>,
    status_code: Option<i64>,
    duration_ms: i64,
    error: Option<String>,
    /// The first 200 characters of the receiver's answer, no more.
    response_excerpt: Option<String>,
}

impl From<DeliveryAttemptRecord> for AttemptResponse {
    fn from(a: DeliveryAttemptRecord) -> Self {
        Self {
            endpoint_id: a.endpoint_id,
            attempted_at: a.attempted_at,
            status_code: a.status_code,
            duration_ms: a.duration_ms,
            error: a.error,
            response_excerpt: a.response_excerpt,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageResponse {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    created_at: DateTime<Utc>,
    /// The body as signed and sent.
    body: String,
    attempts: Vec<AttemptResponse>,
}

impl From<MessageDetail> for MessageResponse {
    fn from(m: MessageDetail) -> Self {
        Self {
            id: m.id,
            event_type: m.event_type,
            created_at: m.created_at,
            body: m.body,
            attempts: m.attempts.into_iter().map(AttemptResponse::from).collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryParams {
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub event_type: Option<String>,
}
