//! Sends due deliveries: claims them under a lease, signs and posts each, records the
//! attempt, and schedules the retry, or gives up and, after 410 or five days of failures,
//! disables the endpoint (audited).

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use tokio::sync::watch;
use tollgate_domain::outbound_webhook::{AttemptOutcome, DISABLE_AFTER, next_delay};

use crate::{
    AppError,
    ports::{
        AuditContext, AuditEntry, ClaimedDelivery, Clock, DeliveryAttemptRecord,
        DeliverySettlement, EndpointDisable, OutboundWebhook, SendReport, WebhookDeliveryQueue,
        WebhookSender,
    },
};

#[derive(Debug, Clone)]
pub struct WebhookWorkerSettings {
    pub lease: Duration,
    pub idle_poll: Duration,
    pub batch: i64,
}

pub struct WebhookWorker {
    queue: Arc<dyn WebhookDeliveryQueue>,
    sender: Arc<dyn WebhookSender>,
    clock: Arc<dyn Clock>,
}

/// Why the worker disabled an endpoint, as the audit log and the endpoint show it.
pub const GONE_REASON: &str = "the receiver answered 410 Gone";
pub const FAILING_REASON: &str = "every delivery has failed for 5 days";

impl WebhookWorker {
    pub fn new(
        queue: Arc<dyn WebhookDeliveryQueue>,
        sender: Arc<dyn WebhookSender>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            queue,
            sender,
            clock,
        }
    }

    /// One round: sends what is due; answers how many deliveries it attempted.
    ///
    /// # Errors
    /// `AppError::Port` when the queue cannot be read or written.
    pub async fn run_once(&self, settings: &WebhookWorkerSettings) -> Result<usize, AppError> {
        let claimed = self.queue.claim(settings.lease, settings.batch).await?;
        for delivery in &claimed {
            self.attempt(delivery).await?;
        }
        Ok(claimed.len())
    }

    async fn attempt(&self, delivery: &ClaimedDelivery) -> Result<(), AppError> {
        let started = self.clock.now();
        let secrets = self.queue.secrets(delivery, started).await?;
        let webhook = OutboundWebhook {
            url: delivery.url.clone(),
            message_id: delivery.message_id.clone(),
            body: delivery.body.clone(),
            secrets,
        };
        let report = self.sender.send(&webhook, started).await;
        // The retry waits from the end of this attempt: a 15 s timeout must not eat the 5 s
        // step that follows it.
        let finished = self.clock.now();
        let (settlement, disable) = decide(delivery, &report, finished, rand::rng().random());
        let attempt = DeliveryAttemptRecord {
            endpoint_id: delivery.endpoint_id,
            attempted_at: started,
            status_code: report.status.map(i64::from),
            duration_ms: i64::try_from(report.duration.as_millis()).unwrap_or(i64::MAX),
            error: report.error.clone(),
            response_excerpt: report.excerpt.clone(),
        };
        let disable = disable.map(|reason| {
            let context = AuditContext {
                actor: "system".to_owned(),
                ..AuditContext::default()
            };
            EndpointDisable {
                reason: reason.to_owned(),
                audit: AuditEntry::success(
                    &context,
                    "webhook_endpoint.disable",
                    Some(format!("webhook_endpoint:{}", delivery.endpoint_id)),
                ),
            }
        });
        let stored = self
            .queue
            .settle(delivery, &attempt, settlement, disable.clone())
            .await?;
        if !stored {
            tracing::warn!(
                delivery = delivery.id,
                "a webhook delivery's lease ran out before its attempt was recorded"
            );
        }
        if let Some(disable) = disable {
            tracing::warn!(endpoint = %delivery.endpoint_id, reason = disable.reason, "webhook endpoint disabled");
        }
        Ok(())
    }

    /// Rounds until `shutdown`, resting `idle_poll` when nothing was due.
    pub async fn run(
        self: Arc<Self>,
        settings: WebhookWorkerSettings,
        mut shutdown: watch::Receiver<bool>,
    ) {
        loop {
            let sent = match self.run_once(&settings).await {
                Ok(sent) => sent,
                Err(error) => {
                    tracing::error!(%error, "the webhook delivery queue cannot be read");
                    0
                }
            };
            if *shutdown.borrow() {
                return;
            }
            if sent == 0 {
                tokio::select! {
                    _ = tokio::time::sleep(settings.idle_poll) => {}
                    _ = shutdown.changed() => return,
                }
            }
        }
    }
}

/// What an attempt's report makes of the delivery, and whether the endpoint is disabled
/// (with the reason). `jitter` is a fraction in 0..1 spreading the retry.
pub fn decide(
    delivery: &ClaimedDelivery,
    report: &SendReport,
    now: DateTime<Utc>,
    jitter: f64,
) -> (DeliverySettlement, Option<&'static str>) {
    let outcome = report
        .status
        .map_or(AttemptOutcome::Failed, AttemptOutcome::of_status);
    match outcome {
        AttemptOutcome::Delivered => (DeliverySettlement::Delivered, None),
        AttemptOutcome::Gone => (DeliverySettlement::Failed, Some(GONE_REASON)),
        AttemptOutcome::Failed => {
            let failing_since = delivery.failing_since.unwrap_or(now);
            let failing_for = (now - failing_since).to_std().unwrap_or_default();
            let disable = (failing_for >= DISABLE_AFTER).then_some(FAILING_REASON);
            let made = u32::try_from(delivery.attempts + 1).unwrap_or(u32::MAX);
            let settlement = match next_delay(made, report.retry_after, jitter) {
                Some(delay) if disable.is_none() => DeliverySettlement::Retry {
                    at: now + TimeDelta::from_std(delay).unwrap_or(TimeDelta::hours(10)),
                },
                _ => DeliverySettlement::Failed,
            };
            (settlement, disable)
        }
    }
}
