//! Delivering stored usage events to where they are metered and billed, through the outbox.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tollgate_domain::{organization::OrganizationId, usage::EventPayload};

use crate::PortError;

/// One outbox row claimed for delivery, with the event it points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub outbox_id: i64,
    pub event_id: i64,
    pub organization: OrganizationId,
    /// Earlier failed attempts.
    pub attempts: i32,
    /// When the event was stored (and queued): delivery latency is measured from here.
    pub queued_at: DateTime<Utc>,
    /// This claim's lease: it also identifies the claim, so a worker whose lease ran out and
    /// was taken over cannot settle the row under the new holder.
    pub lease_until: DateTime<Utc>,
    pub event: EventPayload,
}

/// What became of one item at its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Accepted, or recognised as a duplicate of something accepted before.
    Delivered,
    /// A transient failure (5xx, 429, timeout, connection): try again later, not before
    /// `retry_after` when the target said so.
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Refused for good (a permanent 4xx): park it as dead, with the target's answer.
    Rejected { reason: String },
    /// Cannot go yet for a reason on our side (Lago: the customer has no subscription yet):
    /// keep it pending, check again later, and do not count an attempt.
    Waiting { reason: String },
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DeliveryTarget: Send + Sync {
    /// The outbox `target` this delivers: `openmeter`, `lago` or `embedded_meter`.
    fn name(&self) -> &'static str;

    /// Items per call at most (OpenMeter batch size, Lago's 100...).
    fn max_batch(&self) -> usize;

    /// Delivers `items`, answering one outcome per item in the same order. A failure of the
    /// whole call is a `Retry` for every item.
    async fn deliver(&self, items: &[OutboxItem]) -> Vec<DeliveryOutcome>;
}

/// One claimed item's settlement, with the claim it was made under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledItem {
    pub outbox_id: i64,
    pub lease_until: DateTime<Utc>,
    pub settlement: Settlement,
}

/// How a claimed item is settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    Delivered,
    RetryAt { at: DateTime<Utc>, reason: String },
    Dead { reason: String },
    WaitUntil { at: DateTime<Utc>, reason: String },
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OutboxQueue: Send + Sync {
    /// Claims up to `limit` due pending items of `target` for `lease` (`FOR UPDATE SKIP
    /// LOCKED`: concurrent workers never claim the same item while its lease runs).
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn claim(
        &self,
        target: &str,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<OutboxItem>, PortError>;

    /// Extends the claim on `ids` held until `held_until` by `lease` from now, while a
    /// delivery runs: the lease can then be short, so a crashed worker's rows come back within
    /// seconds. Answers the new lease (what the rows are settled under from then on), `None`
    /// when none of them is held under `held_until` any more.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn renew(
        &self,
        ids: &[i64],
        held_until: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<DateTime<Utc>>, PortError>;

    /// Records how each claimed item ended. Items whose lease expired and were taken by
    /// another worker meanwhile (their lease is no longer the one settled under) are left alone.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn settle(&self, settled: &[SettledItem]) -> Result<(), PortError>;

    /// Makes every pending row of `target` that waits for a retry due now (rows waiting for
    /// something on our side keep their time): called when a failing target answers again, so
    /// its backlog goes at full speed instead of on each row's backoff. Answers how many.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn pull_forward(&self, target: &str) -> Result<u64, PortError>;
}

/// Depth and age of one organization's outbox, per target and state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxDepth {
    pub target: String,
    pub state: String,
    pub count: i64,
    /// Seconds since the oldest row in this state was queued.
    pub oldest_age_secs: i64,
}

/// One dead letter: an outbox row its target refused for good, or that failed for too long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub outbox_id: i64,
    /// The usage event it carries (never its payload: only operators' ids).
    pub event_id: i64,
    pub target: String,
    pub attempts: i32,
    /// The reason kept when it died (the target's answer as the dispatcher recorded it),
    /// cut to [`DEAD_LETTER_ERROR_CHARS`].
    pub last_error: Option<String>,
    /// When it died, as recorded with its reason.
    pub died_at: Option<DateTime<Utc>>,
    pub queued_at: DateTime<Utc>,
}

/// The most characters of a dead letter's reason shown.
pub const DEAD_LETTER_ERROR_CHARS: i32 = 500;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OutboxAdmin: Send + Sync {
    /// Rows not yet delivered, by target and state (`None`: every organization, for metrics).
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn depth(
        &self,
        organization: Option<OrganizationId>,
    ) -> Result<Vec<OutboxDepth>, PortError>;

    /// Puts the organization's dead letters (of one target, or all) back to pending, due now,
    /// with their attempts reset; answers how many.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn retry_dead(
        &self,
        organization: OrganizationId,
        target: Option<String>,
        audit: &super::AuditEntry,
    ) -> Result<u64, PortError>;

    /// The organization's dead letters (of one target, or all), newest first (by row id),
    /// at most `limit` with an id below `before`.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn dead_letters(
        &self,
        organization: OrganizationId,
        target: Option<String>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DeadLetter>, PortError>;

    /// Puts one dead letter back to pending, due now, its attempts reset, audited with it;
    /// `false` (nothing written) when `outbox_id` is no dead letter of the organization.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn retry_dead_letter(
        &self,
        organization: OrganizationId,
        outbox_id: i64,
        audit: &super::AuditEntry,
    ) -> Result<bool, PortError>;
}
