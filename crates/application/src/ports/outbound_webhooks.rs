//! Outbound webhooks (Standard Webhooks): the organization's endpoints, the queue of
//! deliveries the workers claim, and the signed HTTP call itself.
//!
//! The stores make and keep the signing secrets (sealed at rest); the application sees a
//! secret only as a [`RevealedSecret`], when it is shown to the operator.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tollgate_domain::{organization::OrganizationId, outbound_webhook::EventType};
use uuid::Uuid;

use super::AuditEntry;
use crate::PortError;

/// A signing secret in clear (`whsec_<base64>`), shown to the operator once at creation and
/// rotation, and on an audited reveal. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct RevealedSecret(pub String);

impl std::fmt::Debug for RevealedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RevealedSecret(..)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRecord {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    /// Empty: every type.
    pub event_types: Vec<EventType>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// While a rotated secret still signs alongside the new one.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEndpoint {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub event_types: Vec<EventType>,
}

/// The fields a `PATCH` names; `None` leaves one as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EndpointChange {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<EventType>>,
}

/// One event to send: its `webhook-id`, type, and the `data` member of the body.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    /// `msg_<uuid>`: the `webhook-id` of every attempt.
    pub id: String,
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryState {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|state| state.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryFilter {
    pub state: Option<DeliveryState>,
    pub event_type: Option<EventType>,
    /// The last delivery id of the previous page: newest first.
    pub before: Option<i64>,
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub id: i64,
    pub message_id: String,
    pub event_type: String,
    pub state: DeliveryState,
    pub attempts: i64,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// One attempt as the operator sees it: never more of the receiver's answer than an excerpt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub endpoint_id: Uuid,
    pub attempted_at: DateTime<Utc>,
    pub status_code: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MessageDetail {
    pub id: String,
    pub event_type: String,
    pub created_at: DateTime<Utc>,
    pub body: String,
    pub attempts: Vec<AttemptRecord>,
}

/// What `resend` sends again: one message, or every failed delivery since a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResendTarget {
    Message(String),
    FailedSince(DateTime<Utc>),
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookEndpointStore: Send + Sync {
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn list(&self, organization: OrganizationId) -> Result<Vec<EndpointRecord>, PortError>;

    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<EndpointRecord>, PortError>;

    /// Stores the endpoint with a fresh random secret, which it answers in clear this once.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn create(
        &self,
        organization: OrganizationId,
        endpoint: &NewEndpoint,
        audit: &AuditEntry,
    ) -> Result<(EndpointRecord, RevealedSecret), PortError>;

    /// `None` for another organization's or an unknown endpoint.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn update(
        &self,
        organization: OrganizationId,
        id: Uuid,
        change: &EndpointChange,
        audit: &AuditEntry,
    ) -> Result<Option<EndpointRecord>, PortError>;

    /// Deletes the endpoint with its pending deliveries; `false` when there is no such one.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn delete(
        &self,
        organization: OrganizationId,
        id: Uuid,
        audit: &AuditEntry,
    ) -> Result<bool, PortError>;

    /// A new secret; the current one keeps signing alongside it until `previous_until`.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn rotate(
        &self,
        organization: OrganizationId,
        id: Uuid,
        previous_until: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Option<RevealedSecret>, PortError>;

    /// The current secret in clear, with the audit record of its reveal.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached or the secret cannot be opened.
    async fn reveal(
        &self,
        organization: OrganizationId,
        id: Uuid,
        audit: &AuditEntry,
    ) -> Result<Option<RevealedSecret>, PortError>;

    /// Enables a disabled endpoint (its failure clock restarts).
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn enable(
        &self,
        organization: OrganizationId,
        id: Uuid,
        audit: &AuditEntry,
    ) -> Result<Option<EndpointRecord>, PortError>;

    /// Stores `message` and a delivery of it to each enabled endpoint whose filter takes its
    /// type, or to `only` (whatever its filter); answers how many deliveries were queued.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn enqueue(
        &self,
        organization: OrganizationId,
        message: &NewMessage,
        only: Option<Uuid>,
    ) -> Result<u64, PortError>;

    /// The endpoint's deliveries, newest first.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn deliveries(
        &self,
        organization: OrganizationId,
        endpoint: Uuid,
        filter: &DeliveryFilter,
    ) -> Result<Vec<DeliveryRecord>, PortError>;

    /// Makes the endpoint's matching deliveries due now with a fresh schedule (same
    /// `webhook-id`); answers how many.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn resend(
        &self,
        organization: OrganizationId,
        endpoint: Uuid,
        target: &ResendTarget,
        audit: &AuditEntry,
    ) -> Result<u64, PortError>;

    /// A message of the organization with every attempt of it, to any endpoint.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn message(
        &self,
        organization: OrganizationId,
        id: &str,
    ) -> Result<Option<MessageDetail>, PortError>;
}

/// A delivery a worker holds until `lease_until`.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub organization: OrganizationId,
    pub endpoint_id: Uuid,
    pub url: String,
    pub message_id: String,
    pub body: String,
    /// Attempts made before this one.
    pub attempts: i64,
    /// When the endpoint's current run of failures began.
    pub failing_since: Option<DateTime<Utc>>,
    pub lease_until: DateTime<Utc>,
}

/// An endpoint the worker disables, why, and the audit record of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointDisable {
    pub reason: String,
    pub audit: AuditEntry,
}

/// What became of a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    Delivered,
    Retry { at: DateTime<Utc> },
    Failed,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookDeliveryQueue: Send + Sync {
    /// Takes up to `limit` due deliveries of enabled endpoints for `lease`.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn claim(&self, lease: Duration, limit: i64) -> Result<Vec<ClaimedDelivery>, PortError>;

    /// The secrets the delivery is signed with: the current one, and the previous one while
    /// a rotation's overlap lasts.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached or a secret cannot be opened.
    async fn secrets(
        &self,
        delivery: &ClaimedDelivery,
        now: DateTime<Utc>,
    ) -> Result<Vec<RevealedSecret>, PortError>;

    /// Records the attempt and settles the delivery; with `disable`, disables the endpoint
    /// for that reason with `audit`. `false` when the lease ran out first (nothing written).
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn settle(
        &self,
        delivery: &ClaimedDelivery,
        attempt: &AttemptRecord,
        settlement: Settlement,
        disable: Option<EndpointDisable>,
    ) -> Result<bool, PortError>;
}

/// One signed POST.
#[derive(Debug, Clone)]
pub struct OutboundWebhook {
    pub url: String,
    pub message_id: String,
    pub body: String,
    pub secrets: Vec<RevealedSecret>,
}

/// How the receiver answered, or why there was no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReport {
    pub status: Option<u16>,
    pub retry_after: Option<Duration>,
    pub duration: Duration,
    /// Why there is no status: a timeout, no connection, a refused (non-public) target.
    pub error: Option<String>,
    pub excerpt: Option<String>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// Signs and posts one webhook. Every failure is in the report, not an error: an
    /// unreachable receiver is an ordinary outcome of a delivery.
    async fn send(&self, webhook: &OutboundWebhook, now: DateTime<Utc>) -> SendReport;
}
