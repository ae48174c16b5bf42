//! The `lago` delivery target: `POST {url}/api/v1/events/batch` with `{"events":[…]}`, up to
//! `batch_size` (Lago: 100) events a request, `Authorization: Bearer <organization API key>`.
//!
//! A usage event becomes one Lago event per meter (or one event in single-code mode, see
//! `super::event`). A delivery's Lago events are packed into requests whole usage event by
//! whole usage event where they fit, so in Lago's Postgres store each usage event is stored all
//! at once or not at all; a usage event with more events than a request holds is split across
//! requests. A usage event is `Delivered` only when every one of its Lago events was accepted
//! (or found already there); one refused event rejects it (with the meter named); anything else
//! leaves it to be retried, and the retry sends all of its events again: those Lago already has
//! answer `value_already_exist`, which counts as delivered.
//!
//! Lago answers a batch all or nothing: 200 stores every event; a 422 `validation_errors`
//! lists the refused events by their index in `error_details` and stores none. So a 422 maps
//! per event: `transaction_id: ["value_already_exist"]` is an event Lago already has
//! (`Delivered`), other errors are `Rejected` with Lago's words, and the unmentioned events are
//! sent again without the others. A 422 or 400 without per-event detail is split like
//! OpenMeter's 400 (see `crate::openmeter::isolation`); that also adapts to a self-hosted
//! `LAGO_EVENTS_BATCH_MAX_LENGTH` below the configured batch size (`too_many_events`).
//!
//! The events of a usage event that has failed before go in a request each. The likely reason
//! it is back is a lost answer, so Lago may have them already, and Lago (Postgres event store)
//! only says so for a single event: in a batch, the first duplicate aborts the insert
//! transaction and the next event's insert fails with a 500, which would keep the whole batch
//! retrying forever.
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
    event::{Coding, LagoEvent, lago_events},
    subscriptions::SubscriptionLookup,
};
use crate::{
    openmeter::{Answer, DeliverySetupError, GroupSender, deliver_in_groups, outbound},
    upstream::Upstream,
};

const TARGET: &str = "lago";
/// Requests one delivery may make beyond one per Lago event: enough to split a refused full
/// batch down to its bad event (about 2·log2(100)) a couple of times.
const SPLITTING_ALLOWANCE: usize = 28;

#[derive(Clone)]
pub struct LagoConfig {
    /// Lago's API host (`https://api.getlago.com`, `https://api.eu.getlago.com`, or the
    /// self-hosted API): requests go to `{url}/api/v1/events/batch`.
    pub url: Url,
    /// The organization's API key, sent as `Authorization: Bearer`.
    pub api_key: SecretString,
    /// `None` (the default): one event per meter, `code` = the meter's slug, the billable
    /// metrics Tollgate's billing engine makes. Set: one event per usage event with this
    /// `code` and every meter in its properties, for a billable metric made by hand. Lago
    /// ignores events whose code matches no billable metric.
    pub billable_metric_code: Option<String>,
    /// Lago events per request at most, and usage events per delivery: Lago's limit is 100
    /// (self-hosted: `LAGO_EVENTS_BATCH_MAX_LENGTH`).
    pub batch_size: usize,
    pub timeout: Duration,
    pub subscriptions: Arc<dyn SubscriptionLookup>,
}

impl LagoConfig {
    /// An event per meter, 100 events per request, 10 s timeout.
    pub fn new(
        url: Url,
        api_key: SecretString,
        subscriptions: Arc<dyn SubscriptionLookup>,
    ) -> Self {
        Self {
            url,
            api_key,
            billable_metric_code: None,
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
    coding: Coding,
    batch_size: usize,
    subscriptions: Arc<dyn SubscriptionLookup>,
    clock: Arc<dyn Clock>,
}

impl LagoEventsTarget {
    /// # Errors
    /// When the URL is not an http(s) base URL, the code (when set) or batch size is empty, or
    /// the HTTP client cannot be built.
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
        let coding = match config.billable_metric_code {
            None => Coding::PerMeter,
            Some(code) if code.trim().is_empty() => return Err(empty("billable metric code")),
            Some(code) => Coding::SingleCode(code),
        };
        if config.batch_size == 0 {
            return Err(empty("batch size"));
        }
        Ok(Self {
            http: outbound::client(TARGET, config.timeout)?,
            endpoint: outbound::endpoint(TARGET, &config.url, "api/v1/events/batch")?,
            api_key: config.api_key,
            coding,
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
        let mut events = Vec::new();
        // The item each Lago event was made from.
        let mut owners = Vec::new();
        let mut fresh = Packer::new(self.batch_size);
        let mut resent = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let made = match self.prepare(item).await {
                Ok(made) => made,
                Err(outcome) => {
                    settled[index] = Some(outcome);
                    continue;
                }
            };
            let ids: Vec<usize> = (events.len()..events.len() + made.len()).collect();
            events.extend(made);
            owners.resize(events.len(), index);
            if item.attempts == 0 {
                fresh.add(&ids);
            } else {
                resent.extend(ids.into_iter().map(|id| vec![id]));
            }
        }
        let mut groups = fresh.into_groups();
        groups.extend(resent);
        let sender = Sender {
            target: self,
            events: &events,
        };
        let budget = events.len() + SPLITTING_ALLOWANCE;
        let sent = deliver_in_groups(&sender, events.len(), groups, budget).await;
        let mut verdicts: Vec<Verdict> = vec![Verdict::default(); items.len()];
        for ((event, owner), outcome) in events.iter().zip(owners).zip(sent) {
            verdicts[owner].add(event, outcome);
        }
        settled
            .into_iter()
            .zip(verdicts)
            .map(|(settled, verdict)| settled.unwrap_or_else(|| verdict.outcome()))
            .collect()
    }
}

impl LagoEventsTarget {
    /// The Lago events of the item, or why it cannot go (now or ever).
    async fn prepare(&self, item: &OutboxItem) -> Result<Vec<LagoEvent>, DeliveryOutcome> {
        // Lago bills usage to a customer's subscription: an event that names no customer can
        // never be billed there, and waiting would keep it pending forever.
        let Some(customer) = &item.event.customer else {
            return Err(DeliveryOutcome::Rejected {
                reason: "names no customer, and Lago bills usage to a customer's subscription"
                    .into(),
            });
        };
        let found = self
            .subscriptions
            .external_subscription_id(&item.organization, customer, item.event.occurred_at)
            .await
            .map_err(|error| DeliveryOutcome::Retry {
                reason: format!("cannot find the customer's subscription: {error}"),
                retry_after: None,
            })?;
        let Some(subscription) = found else {
            return Err(DeliveryOutcome::Waiting {
                reason: format!(
                    "customer {} has no Lago subscription yet",
                    customer.as_str()
                ),
            });
        };
        lago_events(item, &subscription, &self.coding).map_err(|error| DeliveryOutcome::Rejected {
            reason: format!("cannot be written as Lago events: {error}"),
        })
    }
}

/// Groups the Lago events of first-time usage events into requests of at most `limit`,
/// keeping each usage event's events together when they fit in one request.
struct Packer {
    limit: usize,
    groups: Vec<Vec<usize>>,
}

impl Packer {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            groups: Vec::new(),
        }
    }

    fn add(&mut self, ids: &[usize]) {
        let room = self
            .groups
            .last()
            .map_or(0, |group| self.limit.saturating_sub(group.len()));
        if ids.len() > room {
            self.groups
                .extend(ids.chunks(self.limit).map(<[usize]>::to_vec));
        } else if let Some(group) = self.groups.last_mut() {
            group.extend_from_slice(ids);
        }
    }

    fn into_groups(self) -> Vec<Vec<usize>> {
        self.groups
    }
}

/// What became of one usage event, from the outcomes of its Lago events.
#[derive(Clone, Default)]
struct Verdict {
    rejected: Option<String>,
    retry: Option<DeliveryOutcome>,
}

impl Verdict {
    fn add(&mut self, event: &LagoEvent, outcome: Option<DeliveryOutcome>) {
        match outcome {
            Some(DeliveryOutcome::Delivered) => {}
            Some(DeliveryOutcome::Rejected { reason }) => {
                // The first refusal is kept: one is enough to say why the event cannot go.
                self.rejected.get_or_insert_with(|| match event.meter {
                    Some(meter) => format!("its `{}` event: {reason}", meter.slug()),
                    None => reason,
                });
            }
            Some(retry @ (DeliveryOutcome::Retry { .. } | DeliveryOutcome::Waiting { .. })) => {
                self.retry.get_or_insert(retry);
            }
            None => {
                self.retry.get_or_insert(DeliveryOutcome::Retry {
                    reason: "not sent".into(),
                    retry_after: None,
                });
            }
        }
    }

    /// Rejected when any of its events was refused for good (it can never be billed whole);
    /// else retried when any was not stored; else delivered.
    fn outcome(self) -> DeliveryOutcome {
        match (self.rejected, self.retry) {
            (Some(reason), _) => DeliveryOutcome::Rejected { reason },
            (None, Some(retry)) => retry,
            (None, None) => DeliveryOutcome::Delivered,
        }
    }
}

/// One delivery's events, written once, sent in groups.
struct Sender<'a> {
    target: &'a LagoEventsTarget,
    events: &'a [LagoEvent],
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
            .filter_map(|i| self.events.get(*i).map(|event| &*event.body))
            .collect();
        let response = Upstream(TARGET)
            .send(
                target
                    .http
                    .post(target.endpoint.clone())
                    .bearer_auth(target.api_key.expose_secret())
                    .json(&Batch { events }),
            )
            .await;
        let response = match response {
            Ok(response) => response,
            Err(error) => {
                let outcome = outbound::transport_retry(TARGET, error);
                // The dispatcher says once when the target starts failing and once when it
                // answers again (its circuit): a line per failed call would flood the log.
                tracing::debug!(?outcome, "Lago cannot be reached");
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
        if matches!(answer, Answer::Failed(_)) {
            tracing::debug!(%status, events = group.len(), ?answer, "Lago failed a batch");
        } else {
            tracing::warn!(%status, events = group.len(), ?answer, "Lago refused a batch");
        }
        answer
    }
}
