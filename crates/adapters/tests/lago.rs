//! The Lago target against a local stand-in (wiremock) for Lago's `POST /api/v1/events/batch`.
//! The stand-in behaves like Lago's Postgres event store (`Events::CreateBatchService`): a batch
//! is all or nothing, refused events come back as a 422 `validation_errors` keyed by index, a
//! stored `transaction_id` is `value_already_exist`, and a batch repeating more than one stored
//! event fails with a 500 (the first duplicate aborts the insert transaction).

use std::{
    collections::{HashMap, HashSet},
    str::FromStr,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde_json::{Value, json};
use tollgate_adapters::lago::{LagoConfig, LagoEventsTarget, StaticSubscriptions};
use tollgate_application::ports::{DeliveryOutcome, DeliveryTarget, OutboxItem};
use tollgate_domain::{
    money::UsdAmount,
    organization::OrganizationId,
    usage::{CallStatus, CustomerId, EventPayload, IdempotencyKey, Label, TokenUsage},
};
use url::Url;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const BATCH_PATH: &str = "/api/v1/events/batch";
const API_KEY: &str = "lago_test_api_key";
const ODD_COST: &str = "0.0000049999999999999996";

// ---- building blocks --------------------------------------------------------------------------

fn item(
    key: &str,
    customer: Option<&str>,
    cost: &str,
) -> Result<OutboxItem, Box<dyn std::error::Error>> {
    Ok(OutboxItem {
        outbox_id: 1,
        event_id: 1,
        organization: OrganizationId::new(),
        attempts: 0,
        queued_at: Utc::now(),
        lease_until: Utc::now(),
        event: EventPayload {
            idempotency_key: IdempotencyKey::parse(key)?,
            occurred_at: Utc
                .timestamp_opt(1_795_608_000, 250_000_000)
                .single()
                .ok_or("time")?,
            customer: customer.map(CustomerId::parse).transpose()?,
            api_key_hash: Label::new("9f86d081884c7d65"),
            api_key_alias: None,
            user_id: None,
            team_id: Label::new("team-1"),
            org_id: None,
            model_group: Label::new("gpt-4o"),
            provider_model: None,
            provider: Label::new("openai"),
            call_type: None,
            status: CallStatus::Success,
            tokens: TokenUsage::from_signed(1200, 350, 1550, 200, 64)?,
            cost: UsdAmount::new(Decimal::from_str(cost)?)?,
            cache_hit: false,
            stream: false,
            trace_id: None,
            request_tags: vec![],
        },
    })
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

fn sent_ids(request: &Request) -> Vec<String> {
    serde_json::from_slice::<Value>(&request.body).unwrap_or_default()["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter_map(|e| e["transaction_id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
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

/// Lago's Postgres event store, as far as a batch goes. Transaction ids starting with `bad`
/// are refused (`timestamp: invalid_format`); batches larger than `max_length` are refused
/// whole (`too_many_events`).
struct LagoStandIn {
    stored: Mutex<HashSet<String>>,
    max_length: usize,
}

impl LagoStandIn {
    fn with_stored(stored: &[&str]) -> Self {
        Self {
            stored: Mutex::new(stored.iter().map(|s| (*s).to_owned()).collect()),
            max_length: 100,
        }
    }
}

impl Respond for LagoStandIn {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let ids = sent_ids(request);
        if ids.len() > self.max_length {
            return validation_errors(json!({"events": ["too_many_events"]}));
        }
        let mut stored = self.stored.lock().unwrap_or_else(PoisonError::into_inner);
        let duplicates = ids.iter().filter(|id| stored.contains(*id)).count();
        let mut errors = serde_json::Map::new();
        for (index, id) in ids.iter().enumerate() {
            if id.starts_with("bad") {
                errors.insert(index.to_string(), json!({"timestamp": ["invalid_format"]}));
            } else if stored.contains(id) && duplicates == 1 {
                errors.insert(
                    index.to_string(),
                    json!({"transaction_id": ["value_already_exist"]}),
                );
            }
        }
        if !errors.is_empty() {
            return validation_errors(Value::Object(errors));
        }
        if duplicates > 1 {
            return ResponseTemplate::new(500)
                .set_body_json(json!({"status": 500, "error": "Internal Server Error"}));
        }
        stored.extend(ids);
        ResponseTemplate::new(200).set_body_json(json!({"events": []}))
    }
}

// ---- the request ------------------------------------------------------------------------------

#[tokio::test]
async fn a_delivery_is_one_batch_request_with_the_documented_body() -> TestResult {
    let server = stand_in(ResponseTemplate::new(200).set_body_json(json!({"events": []}))).await;
    let target = LagoEventsTarget::new(config(&server)?)?;
    let mut no_provider = item("req-2", Some("globex"), "12.5")?;
    no_provider.event.provider = None;
    no_provider.event.status = CallStatus::Failure { error_code: None };
    let delivery = [item("req-1", Some("acme"), ODD_COST)?, no_provider];

    let outcomes = target.deliver(&delivery).await;

    assert_eq!(
        outcomes,
        [DeliveryOutcome::Delivered, DeliveryOutcome::Delivered]
    );
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 1);
    let request = &sent[0];
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), BATCH_PATH);
    assert_eq!(
        request.headers.get("authorization").map(|v| v.as_bytes()),
        Some(format!("Bearer {API_KEY}").as_bytes())
    );
    assert_eq!(
        request.headers.get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/json"[..])
    );
    let body: Value = serde_json::from_slice(&request.body)?;
    assert_eq!(
        body,
        json!({"events": [
            {
                "transaction_id": "req-1",
                "external_subscription_id": "sub-acme",
                "code": "llm_usage",
                "timestamp": "1795608000.250",
                "properties": {
                    "input_tokens": 1200,
                    "output_tokens": 350,
                    "cached_tokens": 200,
                    "reasoning_tokens": 64,
                    "requests": 1,
                    "cost_usd": ODD_COST,
                    "cache_hits": 0,
                    "model": "gpt-4o",
                    "provider": "openai",
                    "status": "success",
                },
            },
            {
                "transaction_id": "req-2",
                "external_subscription_id": "globex",
                "code": "llm_usage",
                "timestamp": "1795608000.250",
                "properties": {
                    "input_tokens": 1200,
                    "output_tokens": 350,
                    "cached_tokens": 200,
                    "reasoning_tokens": 64,
                    "requests": 1,
                    "cost_usd": "12.5",
                    "cache_hits": 0,
                    "model": "gpt-4o",
                    "status": "failure",
                },
            },
        ]})
    );
    Ok(())
}

#[tokio::test]
async fn max_batch_is_100_and_a_full_batch_is_one_request() -> TestResult {
    let server = stand_in(LagoStandIn::with_stored(&[])).await;
    let mut config = config(&server)?;
    config.billable_metric_code = "tokens".into();
    let target = LagoEventsTarget::new(config)?;
    assert_eq!((target.name(), target.max_batch()), ("lago", 100));

    let outcomes = target.deliver(&numbered(100)?).await;

    assert!(outcomes.iter().all(|o| *o == DeliveryOutcome::Delivered));
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent_ids(&sent[0]).len(), 100);
    let body: Value = serde_json::from_slice(&sent[0].body)?;
    assert_eq!(body["events"][99]["code"], "tokens");
    Ok(())
}

#[tokio::test]
async fn a_customer_without_a_subscription_waits_and_nothing_is_sent() -> TestResult {
    let server = stand_in(ResponseTemplate::new(200)).await;
    let mut config = config(&server)?;
    config.subscriptions = Arc::new(StaticSubscriptions::new(HashMap::new()));
    let target = LagoEventsTarget::new(config)?;
    let delivery = [
        item("req-1", Some("initech"), "1")?,
        item("req-2", None, "1")?,
    ];

    let outcomes = target.deliver(&delivery).await;

    assert!(
        matches!(&outcomes[0], DeliveryOutcome::Waiting { reason } if reason.contains("initech")),
        "{outcomes:?}"
    );
    // No customer at all: nothing any subscription could ever bill.
    assert!(
        matches!(&outcomes[1], DeliveryOutcome::Rejected { reason } if reason.contains("no customer"))
    );
    assert!(requests(&server).await.is_empty());
    Ok(())
}

// ---- duplicates and refused events ------------------------------------------------------------

#[tokio::test]
async fn an_event_lago_already_has_is_delivered() -> TestResult {
    let server = stand_in(validation_errors(
        json!({"0": {"transaction_id": ["value_already_exist"]}}),
    ))
    .await;
    let target = LagoEventsTarget::new(config(&server)?)?;

    let outcomes = target.deliver(&items(&["req-1"])?).await;

    assert_eq!(outcomes, [DeliveryOutcome::Delivered]);
    Ok(())
}

#[tokio::test]
async fn refused_events_are_rejected_and_the_rest_of_the_batch_is_sent_again() -> TestResult {
    let server = stand_in(LagoStandIn::with_stored(&["req-2"])).await;
    let target = LagoEventsTarget::new(config(&server)?)?;

    let outcomes = target
        .deliver(&items(&["req-0", "bad-1", "req-2", "req-3"])?)
        .await;

    assert_eq!(outcomes[0], DeliveryOutcome::Delivered);
    assert!(
        matches!(&outcomes[1], DeliveryOutcome::Rejected { reason } if reason.contains("invalid_format")),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[2], DeliveryOutcome::Delivered);
    assert_eq!(outcomes[3], DeliveryOutcome::Delivered);
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(sent_ids(&sent[1]), ["req-0", "req-3"]);
    Ok(())
}

#[tokio::test]
async fn events_sent_before_go_one_by_one_so_duplicates_are_recognised() -> TestResult {
    // A lost answer: Lago stored req-0..req-2 but the dispatcher saw a timeout.
    let server = stand_in(LagoStandIn::with_stored(&["req-0", "req-1", "req-2"])).await;
    let target = LagoEventsTarget::new(config(&server)?)?;
    let mut delivery = numbered(5)?;
    for item in &mut delivery[..3] {
        item.attempts = 1;
    }

    let outcomes = target.deliver(&delivery).await;

    assert!(
        outcomes.iter().all(|o| *o == DeliveryOutcome::Delivered),
        "{outcomes:?}"
    );
    let sent: Vec<Vec<String>> = requests(&server).await.iter().map(sent_ids).collect();
    assert_eq!(
        sent,
        [
            vec!["req-3", "req-4"],
            vec!["req-0"],
            vec!["req-1"],
            vec!["req-2"]
        ]
    );
    Ok(())
}

#[tokio::test]
async fn a_batch_refused_without_per_event_detail_is_split() -> TestResult {
    // Self-hosted Lago with LAGO_EVENTS_BATCH_MAX_LENGTH=10.
    let server = stand_in(LagoStandIn {
        stored: Mutex::new(HashSet::new()),
        max_length: 10,
    })
    .await;
    let target = LagoEventsTarget::new(config(&server)?)?;

    let outcomes = target.deliver(&numbered(40)?).await;

    assert!(
        outcomes.iter().all(|o| *o == DeliveryOutcome::Delivered),
        "{outcomes:?}"
    );
    let sent = requests(&server).await;
    let accepted: usize = sent
        .iter()
        .map(sent_ids)
        .filter(|ids| ids.len() <= 10)
        .map(|ids| ids.len())
        .sum();
    assert_eq!(accepted, 40);
    Ok(())
}

// ---- transient failures -----------------------------------------------------------------------

#[tokio::test]
async fn throttling_is_retried_after_the_rate_limit_resets() -> TestResult {
    let server = stand_in(
        ResponseTemplate::new(429)
            .insert_header("x-ratelimit-limit", "500")
            .insert_header("x-ratelimit-remaining", "0")
            .insert_header("x-ratelimit-reset", "3"),
    )
    .await;
    let target = LagoEventsTarget::new(config(&server)?)?;

    let outcomes = target.deliver(&numbered(3)?).await;

    for outcome in &outcomes {
        assert!(
            matches!(
                outcome,
                DeliveryOutcome::Retry { retry_after: Some(delay), .. } if *delay == Duration::from_secs(3)
            ),
            "{outcome:?}"
        );
    }
    assert_eq!(requests(&server).await.len(), 1);

    let server = stand_in(ResponseTemplate::new(429).insert_header("retry-after", "11")).await;
    let target = LagoEventsTarget::new(config(&server)?)?;
    let outcomes = target.deliver(&numbered(1)?).await;
    assert!(matches!(
        &outcomes[0],
        DeliveryOutcome::Retry { retry_after: Some(delay), .. } if *delay == Duration::from_secs(11)
    ));
    Ok(())
}

#[tokio::test]
async fn server_errors_and_refused_keys_are_retried_for_every_event() -> TestResult {
    for (status, expected) in [(500, "HTTP 500"), (502, "HTTP 502"), (401, "API key")] {
        let server = stand_in(
            ResponseTemplate::new(status).set_body_json(json!({"status": status, "error": "x"})),
        )
        .await;
        let target = LagoEventsTarget::new(config(&server)?)?;

        let outcomes = target.deliver(&numbered(4)?).await;

        assert!(
            outcomes
                .iter()
                .all(|o| retry_reason(o).is_some_and(|r| r.contains(expected))),
            "{status}: {outcomes:?}"
        );
        assert_eq!(requests(&server).await.len(), 1);
    }
    Ok(())
}

#[tokio::test]
async fn a_slow_lago_is_a_timeout_and_a_retry() -> TestResult {
    let server = stand_in(ResponseTemplate::new(200).set_delay(Duration::from_secs(5))).await;
    let mut config = config(&server)?;
    config.timeout = Duration::from_millis(200);
    let target = LagoEventsTarget::new(config)?;
    let mut delivery = numbered(3)?;
    delivery[2].attempts = 2;

    let outcomes = target.deliver(&delivery).await;

    assert!(
        outcomes
            .iter()
            .all(|o| retry_reason(o).is_some_and(|r| r.contains("timed out"))),
        "{outcomes:?}"
    );
    // The first failure ends the delivery: the re-sent event is not tried alone after it.
    assert_eq!(requests(&server).await.len(), 1);
    Ok(())
}
