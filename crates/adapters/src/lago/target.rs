//! The `lago` delivery target: `POST {url}/api/v1/events/batch` with `{"events":[…]}`, up to
//! 100 events a request, `Authorization: Bearer <organization API key>`.
//!
//! Lago answers a batch all or nothing: 200 stores every event; a 422 `validation_errors`
//! lists the refused events by their index in `error_details` and stores none. So a 422 maps
//! per event: `transaction_id: ["value_already_exist"]` is an event Lago already has
//! (`Delivered`), other errors are `Rejected` with Lago's words, and the unmentioned events are
//! sent again without the others. A 422 or 400 without per-event detail is split like
//! OpenMeter's 400 (see `crate::openmeter::isolation`); that also adapts to a self-hosted
//! `LAGO_EVENTS_BATCH_MAX_LENGTH` below the configured batch size (`too_many_events`).
//!
//! An event that has failed before goes in a request of its own. The likely reason it is back
//! is a lost answer, so Lago may have it already, and Lago (Postgres event store) only says so
//! for a single event: in a batch, the first duplicate aborts the insert transaction and the
//! next event's insert fails with a 500, which would keep the whole batch retrying forever.
//!
//! Events whose customer has no subscription yet are `Waiting`: never sent, never dropped.
//! 401/403 (the API key), 429 (with `Retry-After` or `X-RateLimit-Reset`), 5xx and transport
//! failures are retried for every event.

use std::{fmt, sync::Arc, time::Duration};

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde_json::value::RawValue;
use tollgate_application::ports::{
    Clock, DeliveryOutcome, DeliveryTarget, OutboxItem, SystemClock,
};
use url::Url;

use super::{
    answer::{classify, rate_limit_wait},
    event::lago_event,
    subscriptions::SubscriptionLookup,
};
use crate::openmeter::{Answer, DeliverySetupError, GroupSender, deliver_in_groups, outbound};

const TARGET: &str = "lago";
/// Enough for a full batch of re-sent events one by one, plus splitting a refused batch.
const MAX_REQUESTS: usize = 128;

#[derive(Clone)]
pub struct LagoConfig {
    /// Lago's API host (`https://api.getlago.com`, `https://api.eu.getlago.com`, or the
    /// self-hosted API): requests go to `{url}/api/v1/events/batch`.
    pub url: Url,
    /// The organization's API key, sent as `Authorization: Bearer`.
    pub api_key: SecretString,
    /// Every event's `code`. Lago ignores events whose code matches no billable metric.
    pub billable_metric_code: String,
    /// Events per request at most: Lago's limit is 100 (self-hosted:
    /// `LAGO_EVENTS_BATCH_MAX_LENGTH`).
    pub batch_size: usize,
    pub timeout: Duration,
    pub subscriptions: Arc<dyn SubscriptionLookup>,
}

impl LagoConfig {
    /// Code `llm_usage`, 100 events per request, 10 s timeout.
    pub fn new(
        url: Url,
        api_key: SecretString,
        subscriptions: Arc<dyn SubscriptionLookup>,
    ) -> Self {
        Self {
            url,
            api_key,
            billable_metric_code: "llm_usage".into(),
            batch_size: 100,
            timeout: Duration::from_secs(10),
            subscriptions,
        }
    }
}

impl fmt::Debug for LagoConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LagoConfig")
            .field("url", &self.url.as_str())
            .field("api_key", &self.api_key)
            .field("billable_metric_code", &self.billable_metric_code)
            .field("batch_size", &self.batch_size)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

pub struct LagoEventsTarget {
    http: reqwest::Client,
    endpoint: Url,
    api_key: SecretString,
    code: String,
    batch_size: usize,
    subscriptions: Arc<dyn SubscriptionLookup>,
    clock: Arc<dyn Clock>,
}

impl LagoEventsTarget {
    /// # Errors
    /// When the URL is not an http(s) base URL, the code or batch size is empty, or the HTTP
    /// client cannot be built.
    pub fn new(config: LagoConfig) -> Result<Self, DeliverySetupError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// As [`new`](Self::new), with `clock` telling the time for rate-limit resets.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_clock(
        config: LagoConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, DeliverySetupError> {
        let empty = |setting| DeliverySetupError::Setting {
            target: TARGET,
            setting,
            problem: "must not be empty",
        };
        if config.billable_metric_code.trim().is_empty() {
            return Err(empty("billable metric code"));
        }
        if config.batch_size == 0 {
            return Err(empty("batch size"));
        }
        Ok(Self {
            http: outbound::client(TARGET, config.timeout)?,
            endpoint: outbound::endpoint(TARGET, &config.url, "api/v1/events/batch")?,
            api_key: config.api_key,
            code: config.billable_metric_code,
            batch_size: config.batch_size,
            subscriptions: config.subscriptions,
            clock,
        })
    }
}

#[async_trait]
impl DeliveryTarget for LagoEventsTarget {
    fn name(&self) -> &'static str {
        TARGET
    }

    fn max_batch(&self) -> usize {
        self.batch_size
    }

    #[tracing::instrument(name = "lago.deliver", skip_all, fields(events = items.len()))]
    async fn deliver(&self, items: &[OutboxItem]) -> Vec<DeliveryOutcome> {
        let mut settled: Vec<Option<DeliveryOutcome>> = vec![None; items.len()];
        let mut events: Vec<Option<Box<RawValue>>> = vec![None; items.len()];
        let mut fresh = Vec::new();
        let mut groups = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match self.prepare(item) {
                Ok(event) => events[index] = Some(event),
                Err(outcome) => {
                    settled[index] = Some(outcome);
                    continue;
                }
            }
            if item.attempts == 0 {
                fresh.push(index);
            } else {
                groups.push(vec![index]);
            }
        }
        groups.insert(0, fresh);
        let sender = Sender {
            target: self,
            events: &events,
        };
        let sent = deliver_in_groups(&sender, items.len(), groups, MAX_REQUESTS).await;
        settled
            .into_iter()
            .zip(sent)
            .map(|(settled, sent)| {
                settled.or(sent).unwrap_or_else(|| DeliveryOutcome::Retry {
                    reason: "not sent".into(),
                    retry_after: None,
                })
            })
            .collect()
    }
}

impl LagoEventsTarget {
    /// The event as Lago takes it, or why it cannot go (now or ever).
    fn prepare(&self, item: &OutboxItem) -> Result<Box<RawValue>, DeliveryOutcome> {
        // Lago bills usage to a customer's subscription: an event that names no customer can
        // never be billed there, and waiting would keep it pending forever.
        let Some(customer) = &item.event.customer else {
            return Err(DeliveryOutcome::Rejected {
                reason: "names no customer, and Lago bills usage to a customer's subscription"
                    .into(),
            });
        };
        let Some(subscription) = self
            .subscriptions
            .external_subscription_id(&item.organization, customer)
        else {
            return Err(DeliveryOutcome::Waiting {
                reason: format!(
                    "customer {} has no Lago subscription yet",
                    customer.as_str()
                ),
            });
        };
        lago_event(item, &subscription, &self.code).map_err(|error| DeliveryOutcome::Rejected {
            reason: format!("cannot be written as a Lago event: {error}"),
        })
    }
}

/// One delivery's events, written once, sent in groups.
struct Sender<'a> {
    target: &'a LagoEventsTarget,
    events: &'a [Option<Box<RawValue>>],
}

impl GroupSender for Sender<'_> {
    async fn send(&self, group: &[usize]) -> Answer {
        #[derive(serde::Serialize)]
        struct Batch<'a> {
            events: Vec<&'a RawValue>,
        }
        let target = self.target;
        let events = group
            .iter()
            .filter_map(|i| self.events.get(*i).and_then(Option::as_deref))
            .collect();
        let response = target
            .http
            .post(target.endpoint.clone())
            .bearer_auth(target.api_key.expose_secret())
            .json(&Batch { events })
            .send()
            .await;
        let response = match response {
            Ok(response) => response,
            Err(error) => {
                let outcome = outbound::transport_retry(TARGET, error);
                tracing::warn!(?outcome, "Lago cannot be reached");
                return Answer::Failed(outcome);
            }
        };
        let status = response.status();
        if status.is_success() {
            return Answer::Accepted;
        }
        let retry_after = rate_limit_wait(response.headers(), target.clock.now());
        let body = response.bytes().await.unwrap_or_default();
        let answer = classify(status, &body, group.len(), retry_after);
        tracing::warn!(%status, events = group.len(), ?answer, "Lago refused a batch");
        answer
    }
}
