//! The `openmeter` delivery target: one `POST {url}/api/v1/events` per delivery, a CloudEvents
//! batch (`Content-Type: application/cloudevents-batch+json`, exactly: OpenMeter picks its
//! parser with a plain string comparison, so `; charset=utf-8` would be a 400).
//!
//! 2xx delivers the batch. A 400 is about the events: the batch is split to find the bad ones
//! (see [`isolation`](super::isolation)), each rejected with OpenMeter's problem `detail`. A
//! 400 about the content type, 401/403 (credentials), 429, 5xx and transport failures are
//! retried for every event: none of those is the events' fault. Re-sending is safe because
//! OpenMeter deduplicates on (`source`, `id`) and `id` is the event's idempotency key.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use reqwest::{StatusCode, header::CONTENT_TYPE};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::value::RawValue;
use tollgate_application::ports::{
    Clock, DeliveryOutcome, DeliveryTarget, OutboxItem, SystemClock,
};
use url::Url;

use super::{
    cloud_event::cloud_event,
    isolation::{Answer, GroupSender, deliver_in_groups},
    outbound::{self, DeliverySetupError},
};
use crate::upstream::Upstream;

const TARGET: &str = "openmeter";
const BATCH_CONTENT_TYPE: &str = "application/cloudevents-batch+json";
/// Requests one delivery may make while looking for the bad events in a refused batch: one bad
/// event among 500 takes 19.
const MAX_REQUESTS: usize = 64;

#[derive(Debug, Clone)]
pub struct OpenMeterConfig {
    /// OpenMeter's base URL (`https://openmeter.cloud`, or the self-hosted API, port 8888).
    pub url: Url,
    /// Sent as `Authorization: Bearer`: needed on OpenMeter Cloud, absent self-hosted.
    pub api_key: Option<SecretString>,
    /// CloudEvents `source`; with `id`, OpenMeter's deduplication key, so keep it stable.
    pub source: String,
    /// CloudEvents `type`; the meters' `eventType` in `deploy/openmeter/meters.yaml`.
    pub event_type: String,
    /// Events per request at most (the target's `max_batch`).
    pub batch_size: usize,
    pub timeout: Duration,
}

impl OpenMeterConfig {
    /// No API key, source `tollgate`, type `tollgate.llm.usage`, 500 events per request,
    /// 10 s timeout.
    pub fn new(url: Url) -> Self {
        Self {
            url,
            api_key: None,
            source: "tollgate".into(),
            event_type: "tollgate.llm.usage".into(),
            batch_size: 500,
            timeout: Duration::from_secs(10),
        }
    }
}

pub struct OpenMeterTarget {
    http: reqwest::Client,
    endpoint: Url,
    api_key: Option<SecretString>,
    source: String,
    event_type: String,
    batch_size: usize,
    clock: Arc<dyn Clock>,
}

impl OpenMeterTarget {
    /// # Errors
    /// When the URL is not an http(s) base URL, the source, type or batch size is empty, or
    /// the HTTP client cannot be built.
    pub fn new(config: OpenMeterConfig) -> Result<Self, DeliverySetupError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// As [`new`](Self::new), with `clock` telling the time for HTTP-date `Retry-After`s.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_clock(
        config: OpenMeterConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, DeliverySetupError> {
        let empty = |setting| DeliverySetupError::Setting {
            target: TARGET,
            setting,
            problem: "must not be empty",
        };
        if config.source.trim().is_empty() {
            return Err(empty("source"));
        }
        if config.event_type.trim().is_empty() {
            return Err(empty("event type"));
        }
        if config.batch_size == 0 {
            return Err(empty("batch size"));
        }
        Ok(Self {
            http: outbound::client(TARGET, config.timeout)?,
            endpoint: outbound::endpoint(TARGET, &config.url, "api/v1/events")?,
            api_key: config.api_key,
            source: config.source,
            event_type: config.event_type,
            batch_size: config.batch_size,
            clock,
        })
    }
}

#[async_trait]
impl DeliveryTarget for OpenMeterTarget {
    fn name(&self) -> &'static str {
        TARGET
    }

    fn max_batch(&self) -> usize {
        self.batch_size
    }

    #[tracing::instrument(name = "openmeter.deliver", skip_all, fields(events = items.len()))]
    async fn deliver(&self, items: &[OutboxItem]) -> Vec<DeliveryOutcome> {
        let mut written: Vec<Option<Box<RawValue>>> = Vec::with_capacity(items.len());
        let mut unwritable = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match cloud_event(item, &self.source, &self.event_type) {
                Ok(event) => written.push(Some(event)),
                Err(error) => {
                    written.push(None);
                    unwritable.push((index, error.to_string()));
                }
            }
        }
        let sendable = (0..items.len()).filter(|i| written[*i].is_some()).collect();
        let sender = Sender {
            target: self,
            events: &written,
        };
        let mut outcomes =
            deliver_in_groups(&sender, items.len(), vec![sendable], MAX_REQUESTS).await;
        for (index, error) in unwritable {
            outcomes[index] = Some(DeliveryOutcome::Rejected {
                reason: format!("cannot be written as a CloudEvent: {error}"),
            });
        }
        outcomes
            .into_iter()
            .map(|outcome| {
                outcome.unwrap_or_else(|| DeliveryOutcome::Retry {
                    reason: "not sent".into(),
                    retry_after: None,
                })
            })
            .collect()
    }
}

/// One delivery's events, written once, sent in groups.
struct Sender<'a> {
    target: &'a OpenMeterTarget,
    events: &'a [Option<Box<RawValue>>],
}

impl GroupSender for Sender<'_> {
    async fn send(&self, group: &[usize]) -> Answer {
        let target = self.target;
        let batch: Vec<&RawValue> = group
            .iter()
            .filter_map(|i| self.events.get(*i).and_then(Option::as_deref))
            .collect();
        let body = match serde_json::to_vec(&batch) {
            Ok(body) => body,
            Err(error) => return Answer::Refused(format!("cannot write the batch: {error}")),
        };
        let mut request = target
            .http
            .post(target.endpoint.clone())
            .header(CONTENT_TYPE, BATCH_CONTENT_TYPE)
            .body(body);
        if let Some(api_key) = &target.api_key {
            request = request.bearer_auth(api_key.expose_secret());
        }
        let response = match Upstream(TARGET).send(request).await {
            Ok(response) => response,
            Err(error) => {
                let outcome = outbound::transport_retry(TARGET, error);
                // The dispatcher says once when the target starts failing and once when it
                // answers again (its circuit): a line per failed call would flood the log.
                tracing::debug!(?outcome, "OpenMeter cannot be reached");
                return Answer::Failed(outcome);
            }
        };
        let status = response.status();
        if status.is_success() {
            return Answer::Accepted;
        }
        let retry_after = outbound::retry_after(response.headers(), target.clock.now());
        let detail = problem_detail(&response.bytes().await.unwrap_or_default());
        let answer = classify(status, detail, retry_after);
        if matches!(answer, Answer::Failed(_)) {
            tracing::debug!(%status, events = group.len(), ?answer, "OpenMeter failed a batch");
        } else {
            tracing::warn!(%status, events = group.len(), ?answer, "OpenMeter refused a batch");
        }
        answer
    }
}

fn classify(status: StatusCode, detail: String, retry_after: Option<Duration>) -> Answer {
    let code = status.as_u16();
    let retry = |reason: String| {
        Answer::Failed(DeliveryOutcome::Retry {
            reason,
            retry_after,
        })
    };
    match status {
        // Our request, not the events, is wrong (a proxy rewriting the header, say): rejecting
        // the events for it would lose them all.
        StatusCode::BAD_REQUEST if detail.starts_with("invalid content type") => retry(format!(
            "OpenMeter refused the content type (HTTP 400): {detail}"
        )),
        StatusCode::BAD_REQUEST
        | StatusCode::PAYLOAD_TOO_LARGE
        | StatusCode::UNPROCESSABLE_ENTITY => Answer::Refused(format!(
            "OpenMeter refused the event (HTTP {code}): {detail}"
        )),
        // A wrong or expired API key is a configuration problem: the events are fine and must
        // wait until the key is fixed rather than be rejected for good.
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => retry(format!(
            "OpenMeter refused the API key (HTTP {code}): check the configured key: {detail}"
        )),
        StatusCode::TOO_MANY_REQUESTS => retry("OpenMeter is throttling (HTTP 429)".into()),
        // 5xx, and anything unexpected: not a verdict on the events.
        _ => retry(format!("OpenMeter answered HTTP {code}: {detail}")),
    }
}

/// RFC 7807 `detail` (else `title`), or the body's text when it is no problem document.
fn problem_detail(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Problem {
        detail: Option<String>,
        title: Option<String>,
    }
    let text = serde_json::from_slice::<Problem>(body)
        .ok()
        .and_then(|problem| problem.detail.or(problem.title))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    outbound::excerpt(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_detail_prefers_detail_then_title_then_text() {
        assert_eq!(
            problem_detail(br#"{"type":"about:blank","title":"Bad Request","status":400,"detail":"invalid event: no id"}"#),
            "invalid event: no id"
        );
        assert_eq!(problem_detail(br#"{"title":"Bad Request"}"#), "Bad Request");
        assert_eq!(problem_detail(b"upstream down"), "upstream down");
    }

    #[test]
    fn only_a_400_about_the_events_refuses_them() {
        let refused = |status, detail: &str| {
            matches!(classify(status, detail.into(), None), Answer::Refused(_))
        };
        assert!(refused(StatusCode::BAD_REQUEST, "invalid event: no id"));
        assert!(!refused(
            StatusCode::BAD_REQUEST,
            "invalid content type: application/json; charset=utf-8"
        ));
        assert!(!refused(StatusCode::UNAUTHORIZED, ""));
        assert!(!refused(StatusCode::NOT_FOUND, ""));
        assert!(!refused(StatusCode::SERVICE_UNAVAILABLE, ""));
    }
}
