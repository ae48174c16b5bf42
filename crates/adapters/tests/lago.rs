//! The Lago target against a local stand-in (wiremock) for Lago's `POST /api/v1/events/batch`.
//! The stand-in behaves like Lago's Postgres event store (`Events::CreateBatchService`): a batch
//! is all or nothing, refused events come back as a 422 `validation_errors` keyed by index, a
//! stored `transaction_id` is `value_already_exist`, and a batch repeating more than one stored
//! event fails with a 500 (the first duplicate aborts the insert transaction).
//!
//! By default a usage event goes as one Lago event per meter (`<key>:<slug>`); the fixture's
//! calls add to six meters (`cache_hits` is zero), seven with [`cache_hit`].

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use chrono::{TimeZone, Utc};
use secrecy::SecretString;
use serde_json::{Value, json};
use tollgate_adapters::lago::{LagoConfig, LagoEventsTarget, StaticSubscriptions};
use tollgate_application::ports::{DeliveryOutcome, DeliveryTarget, OutboxItem};
use tollgate_domain::{
    organization::OrganizationId,
    usage::{CallStatus, CustomerId, TokenUsage},
};
use url::Url;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const BATCH_PATH: &str = "/api/v1/events/batch";
const API_KEY: &str = "lago_test_api_key";
const ODD_COST: &str = "0.0000049999999999999996";

// The test crate's root is this file, so its modules are named by path.
#[path = "support/nonsense.rs"]
mod nonsense;
#[path = "support/outbox_item.rs"]
mod outbox_item;
use outbox_item::item;

#[path = "lago/duplicates.rs"]
mod duplicates;
#[path = "lago/lookup.rs"]
mod lookup;
#[path = "lago/meters.rs"]
mod meters;
#[path = "lago/request.rs"]
mod request;
#[path = "lago/retries.rs"]
mod retries;
#[path = "lago/transient.rs"]
mod transient;
#[path = "lago/unusable.rs"]
mod unusable;

// ---- building blocks --------------------------------------------------------------------------

/// The meters the fixture's call adds to: all but `cache_hits`.
const SIX_METERS: [&str; 6] = [
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "requests",
    "cost_usd",
];

/// Every meter, in the order the target sends them.
const SEVEN_METERS: [&str; 7] = [
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "requests",
    "cost_usd",
    "cache_hits",
];

/// The item, answered from LiteLLM's cache: it adds to all seven meters.
fn cache_hit(mut item: OutboxItem) -> OutboxItem {
    item.event.cache_hit = true;
    item
}

/// The transaction ids of `key`'s events for `meters`.
fn meter_ids(key: &str, meters: &[&str]) -> Vec<String> {
    meters
        .iter()
        .map(|meter| format!("{key}:{meter}"))
        .collect()
}

fn single_code(mut config: LagoConfig, code: &str) -> LagoConfig {
    config.billable_metric_code = Some(code.to_owned());
    config
}

fn items(keys: &[&str]) -> Result<Vec<OutboxItem>, Box<dyn std::error::Error>> {
    keys.iter()
        .map(|key| item(key, Some("acme"), "0.01"))
        .collect()
}

fn numbered(count: usize) -> Result<Vec<OutboxItem>, Box<dyn std::error::Error>> {
    (0..count)
        .map(|i| item(&format!("req-{i}"), Some("acme"), "0.01"))
        .collect()
}

/// `acme` → `sub-acme`; other customers are their own subscription id.
fn config(server: &MockServer) -> Result<LagoConfig, Box<dyn std::error::Error>> {
    let subscriptions =
        StaticSubscriptions::new(HashMap::from([("acme".to_owned(), "sub-acme".to_owned())]))
            .customer_id_as_subscription_id();
    Ok(LagoConfig::new(
        Url::parse(&server.uri())?,
        SecretString::from(API_KEY),
        Arc::new(subscriptions),
    ))
}

async fn stand_in(answer: impl Respond + 'static) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(BATCH_PATH))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

fn sent_events(request: &Request) -> Vec<Value> {
    serde_json::from_slice::<Value>(&request.body).unwrap_or_default()["events"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn sent_ids(request: &Request) -> Vec<String> {
    sent_events(request)
        .iter()
        .filter_map(|e| e["transaction_id"].as_str().map(str::to_owned))
        .collect()
}

fn validation_errors(details: Value) -> ResponseTemplate {
    ResponseTemplate::new(422).set_body_json(json!({
        "status": 422,
        "error": "Unprocessable Entity",
        "code": "validation_errors",
        "error_details": details,
    }))
}

fn retry_reason(outcome: &DeliveryOutcome) -> Option<&str> {
    match outcome {
        DeliveryOutcome::Retry { reason, .. } => Some(reason),
        _ => None,
    }
}

/// Each request's transaction ids and the status it was answered, in order.
type RequestLog = Vec<(Vec<String>, u16)>;

/// Lago's Postgres event store, as far as a batch goes. Transaction ids starting with `bad`
/// or ending with `refused_suffix` are refused (`timestamp: invalid_format`); batches larger
/// than `max_length` are refused whole (`too_many_events`); the requests numbered in
/// `outages` (0 for the first) fail with a 503 and store nothing. Shared, so a test can read
/// what it stored.
#[derive(Clone)]
struct LagoStandIn {
    stored: Arc<Mutex<HashSet<String>>>,
    log: Arc<Mutex<RequestLog>>,
    max_length: usize,
    refused_suffix: Option<&'static str>,
    outages: Vec<usize>,
}

impl LagoStandIn {
    fn with_stored(stored: &[&str]) -> Self {
        Self::with_stored_ids(stored.iter().map(|s| (*s).to_owned()))
    }

    fn with_stored_ids(stored: impl IntoIterator<Item = String>) -> Self {
        Self {
            stored: Arc::new(Mutex::new(stored.into_iter().collect())),
            log: Arc::default(),
            max_length: 100,
            refused_suffix: None,
            outages: vec![],
        }
    }

    fn stored(&self) -> HashSet<String> {
        self.stored
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn log(&self) -> RequestLog {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The status and answer to a request for `ids`, the `request`-th.
    fn answer(&self, ids: &[String], request: usize) -> (u16, ResponseTemplate) {
        if self.outages.contains(&request) {
            let answer = ResponseTemplate::new(503).set_body_string("upstream unavailable");
            return (503, answer);
        }
        if ids.len() > self.max_length {
            return (
                422,
                validation_errors(json!({"events": ["too_many_events"]})),
            );
        }
        let mut stored = self.stored.lock().unwrap_or_else(PoisonError::into_inner);
        let duplicates = ids.iter().filter(|id| stored.contains(*id)).count();
        let mut errors = serde_json::Map::new();
        for (index, id) in ids.iter().enumerate() {
            let refused = self.refused_suffix.is_some_and(|s| id.ends_with(s));
            if id.starts_with("bad") || refused {
                errors.insert(index.to_string(), json!({"timestamp": ["invalid_format"]}));
            } else if stored.contains(id) && duplicates == 1 {
                errors.insert(
                    index.to_string(),
                    json!({"transaction_id": ["value_already_exist"]}),
                );
            }
        }
        if !errors.is_empty() {
            return (422, validation_errors(Value::Object(errors)));
        }
        if duplicates > 1 {
            let answer = ResponseTemplate::new(500)
                .set_body_json(json!({"status": 500, "error": "Internal Server Error"}));
            return (500, answer);
        }
        stored.extend(ids.iter().cloned());
        (
            200,
            ResponseTemplate::new(200).set_body_json(json!({"events": []})),
        )
    }
}

impl Respond for LagoStandIn {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let ids = sent_ids(request);
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        let (status, answer) = self.answer(&ids, log.len());
        log.push((ids, status));
        answer
    }
}
