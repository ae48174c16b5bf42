//! The OpenMeter target and query client against a local stand-in (wiremock) for OpenMeter's
//! API. Each test checks the request as OpenMeter documents it (method, path, the exact
//! `Content-Type`, auth, CloudEvents fields, exact numbers) and maps the answers OpenMeter
//! documents (204, 400 problem+json, 401, 429, 5xx) to delivery outcomes.

use std::{str::FromStr, sync::Arc, time::Duration};

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tollgate_adapters::openmeter::{
    MeterQuery, OpenMeterConfig, OpenMeterQuery, OpenMeterQueryError, OpenMeterTarget, WindowSize,
};
use tollgate_application::ports::{Clock, DeliveryOutcome, DeliveryTarget, OutboxItem};
use tollgate_domain::{
    metering::Meter,
    money::UsdAmount,
    organization::OrganizationId,
    usage::{CallStatus, CustomerId, EventPayload, IdempotencyKey, Label, TokenUsage},
};
use url::Url;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const EVENTS_PATH: &str = "/api/v1/events";
const BATCH_TYPE: &str = "application/cloudevents-batch+json";
/// A Python float LiteLLM prints in full: it must reach OpenMeter digit for digit.
const ODD_COST: &str = "0.0000049999999999999996";

// ---- building blocks --------------------------------------------------------------------------

/// A successful call by `customer` with every dimension set.
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
            api_key_alias: Label::new("ci"),
            user_id: None,
            team_id: Label::new("team-1"),
            org_id: None,
            model_group: Label::new("gpt-4o"),
            provider_model: Label::new("gpt-4o-2024-08-06"),
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

fn items(count: usize) -> Result<Vec<OutboxItem>, Box<dyn std::error::Error>> {
    (0..count)
        .map(|i| item(&format!("req-{i}"), Some("acme"), "0.0001"))
        .collect()
}

fn config(server: &MockServer) -> Result<OpenMeterConfig, Box<dyn std::error::Error>> {
    Ok(OpenMeterConfig::new(Url::parse(&server.uri())?))
}

async fn stand_in(answer: impl Respond + 'static) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(EVENTS_PATH))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

fn batch(request: &Request) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
    Ok(serde_json::from_slice(&request.body)?)
}

fn retry_reason(outcome: &DeliveryOutcome) -> Option<&str> {
    match outcome {
        DeliveryOutcome::Retry { reason, .. } => Some(reason),
        _ => None,
    }
}

struct FixedClock(DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// Refuses, as OpenMeter does, any batch holding the event with id `bad`.
struct RefusesOne {
    bad: &'static str,
}

impl Respond for RefusesOne {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let ids: Vec<String> = serde_json::from_slice::<Vec<Value>>(&request.body)
            .unwrap_or_default()
            .iter()
            .filter_map(|event| event["id"].as_str().map(str::to_owned))
            .collect();
        if ids.iter().any(|id| id == self.bad) {
            ResponseTemplate::new(400).set_body_raw(
                json!({
                    "type": "about:blank",
                    "title": "Bad Request",
                    "status": 400,
                    "detail": "invalid event: subject: must not be empty",
                })
                .to_string(),
                "application/problem+json",
            )
        } else {
            ResponseTemplate::new(204)
        }
    }
}

// ---- the request ------------------------------------------------------------------------------

#[tokio::test]
async fn a_delivery_is_one_cloudevents_batch_with_the_exact_content_type() -> TestResult {
    let server = stand_in(ResponseTemplate::new(204)).await;
    let target = OpenMeterTarget::new(config(&server)?)?;
    let mut unattributed = item("req-2", None, "0")?;
    unattributed.event.team_id = None;
    unattributed.event.api_key_hash = None;
    unattributed.event.status = CallStatus::Failure {
        error_code: Label::new("429"),
    };
    let delivery = [item("req-1", Some("acme"), ODD_COST)?, unattributed];

    let outcomes = target.deliver(&delivery).await;

    assert_eq!(
        outcomes,
        [DeliveryOutcome::Delivered, DeliveryOutcome::Delivered]
    );
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 1);
    let request = &sent[0];
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), EVENTS_PATH);
    let content_types: Vec<_> = request.headers.get_all("content-type").iter().collect();
    assert_eq!(content_types, [BATCH_TYPE]);
    assert!(request.headers.get("authorization").is_none());
    // Digit for digit in the bytes on the wire, as a JSON number.
    let text = String::from_utf8(request.body.clone())?;
    assert!(
        text.contains(&format!(r#""cost_usd":{ODD_COST}"#)),
        "{text}"
    );

    let mut events = batch(request)?;
    let cost = events[0]["data"]
        .as_object_mut()
        .and_then(|data| data.remove("cost_usd"))
        .ok_or("cost_usd")?;
    assert!(cost.is_number());
    assert_eq!(
        events[0],
        json!({
            "specversion": "1.0",
            "id": "req-1",
            "source": "tollgate",
            "type": "tollgate.llm.usage",
            "subject": "acme",
            "time": "2026-11-25T12:00:00.250Z",
            "data": {
                "input_tokens": 1200,
                "output_tokens": 350,
                "cached_tokens": 200,
                "reasoning_tokens": 64,
                "requests": 1,
                "cache_hits": 0,
                "model": "gpt-4o",
                "provider": "openai",
                "key": "9f86d081884c7d65",
                "team": "team-1",
                "status": "success",
            },
        })
    );
    // No customer: the documented subject; absent dimensions are left out, not null.
    assert_eq!(events[1]["subject"], "unattributed");
    assert_eq!(events[1]["data"]["status"], "failure");
    assert_eq!(events[1]["data"]["cost_usd"], 0);
    let data = events[1]["data"].as_object().ok_or("data")?;
    assert!(!data.contains_key("team") && !data.contains_key("key"));
    Ok(())
}

#[tokio::test]
async fn the_api_key_goes_as_a_bearer_token_with_the_configured_source_and_type() -> TestResult {
    let server = stand_in(ResponseTemplate::new(204)).await;
    let mut config = config(&server)?;
    config.api_key = Some("om_test_key".to_owned().into());
    config.source = "gateway-eu-1".into();
    config.event_type = "llm".into();
    let target = OpenMeterTarget::new(config)?;

    target.deliver(&items(1)?).await;

    let sent = requests(&server).await;
    assert_eq!(
        sent[0].headers.get("authorization").map(|v| v.as_bytes()),
        Some(&b"Bearer om_test_key"[..])
    );
    let events = batch(&sent[0])?;
    assert_eq!(
        (events[0]["source"].as_str(), events[0]["type"].as_str()),
        (Some("gateway-eu-1"), Some("llm"))
    );
    Ok(())
}

#[tokio::test]
async fn max_batch_is_the_batch_size_and_a_full_batch_is_one_request() -> TestResult {
    let server = stand_in(ResponseTemplate::new(204)).await;
    let target = OpenMeterTarget::new(config(&server)?)?;
    assert_eq!(target.name(), "openmeter");
    // 1,201 pending events: the dispatcher claims 500, 500, then 201.
    assert_eq!(target.max_batch(), 500);

    let outcomes = target.deliver(&items(500)?).await;

    assert!(outcomes.iter().all(|o| *o == DeliveryOutcome::Delivered));
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(batch(&sent[0])?.len(), 500);

    let mut small = config(&server)?;
    small.batch_size = 25;
    assert_eq!(OpenMeterTarget::new(small)?.max_batch(), 25);
    Ok(())
}

// ---- the answers ------------------------------------------------------------------------------

#[tokio::test]
async fn one_bad_event_in_a_refused_batch_does_not_reject_the_others() -> TestResult {
    let server = stand_in(RefusesOne { bad: "req-37" }).await;
    let target = OpenMeterTarget::new(config(&server)?)?;

    let outcomes = target.deliver(&items(100)?).await;

    for (index, outcome) in outcomes.iter().enumerate() {
        if index == 37 {
            assert_eq!(
                *outcome,
                DeliveryOutcome::Rejected {
                    reason: "OpenMeter refused the event (HTTP 400): invalid event: subject: must \
                             not be empty"
                        .into()
                }
            );
        } else {
            assert_eq!(*outcome, DeliveryOutcome::Delivered, "event {index}");
        }
    }
    let sent = requests(&server).await;
    // Halving: far fewer requests than one per event.
    assert!(sent.len() <= 1 + 2 * 7, "{} requests", sent.len());
    // Every good event was in an accepted request; the bad one never was.
    let mut accepted = std::collections::BTreeSet::new();
    for request in &sent {
        let events = batch(request)?;
        let ids: Vec<&str> = events.iter().filter_map(|e| e["id"].as_str()).collect();
        if !ids.contains(&"req-37") {
            accepted.extend(ids.into_iter().map(str::to_owned));
        }
    }
    assert_eq!(accepted.len(), 99);
    Ok(())
}

#[tokio::test]
async fn a_lone_refused_event_is_rejected_with_the_problem_detail() -> TestResult {
    let server = stand_in(RefusesOne { bad: "req-0" }).await;
    let target = OpenMeterTarget::new(config(&server)?)?;

    let outcomes = target.deliver(&items(1)?).await;

    assert!(
        matches!(&outcomes[0], DeliveryOutcome::Rejected { reason } if reason.contains("must not be empty"))
    );
    assert_eq!(requests(&server).await.len(), 1);
    Ok(())
}

#[tokio::test]
async fn throttling_is_retried_after_the_delay_openmeter_asks_for() -> TestResult {
    let server = stand_in(ResponseTemplate::new(429).insert_header("retry-after", "17")).await;
    let target = OpenMeterTarget::new(config(&server)?)?;

    let outcomes = target.deliver(&items(3)?).await;

    for outcome in &outcomes {
        assert!(matches!(
            outcome,
            DeliveryOutcome::Retry { retry_after: Some(delay), .. } if *delay == Duration::from_secs(17)
        ));
    }
    assert_eq!(requests(&server).await.len(), 1);

    // The HTTP-date form, against the target's clock.
    let server = stand_in(
        ResponseTemplate::new(429).insert_header("retry-after", "Wed, 25 Nov 2026 12:01:30 GMT"),
    )
    .await;
    let now = Utc
        .with_ymd_and_hms(2026, 11, 25, 12, 0, 0)
        .single()
        .ok_or("time")?;
    let target = OpenMeterTarget::with_clock(config(&server)?, Arc::new(FixedClock(now)))?;
    let outcomes = target.deliver(&items(1)?).await;
    assert!(matches!(
        &outcomes[0],
        DeliveryOutcome::Retry { retry_after: Some(delay), .. } if *delay == Duration::from_secs(90)
    ));
    Ok(())
}

#[tokio::test]
async fn server_errors_are_retried_without_splitting() -> TestResult {
    for status in [500, 503] {
        let server = stand_in(ResponseTemplate::new(status)).await;
        let target = OpenMeterTarget::new(config(&server)?)?;

        let outcomes = target.deliver(&items(4)?).await;

        assert!(
            outcomes
                .iter()
                .all(|o| retry_reason(o).is_some_and(|r| r.contains(&status.to_string()))),
            "{outcomes:?}"
        );
        assert_eq!(requests(&server).await.len(), 1);
    }
    Ok(())
}

#[tokio::test]
async fn a_slow_openmeter_is_a_timeout_and_a_retry() -> TestResult {
    let server = stand_in(ResponseTemplate::new(204).set_delay(Duration::from_secs(5))).await;
    let mut config = config(&server)?;
    config.timeout = Duration::from_millis(200);
    let target = OpenMeterTarget::new(config)?;

    let outcomes = target.deliver(&items(2)?).await;

    assert!(
        outcomes
            .iter()
            .all(|o| retry_reason(o).is_some_and(|r| r.contains("timed out"))),
        "{outcomes:?}"
    );
    Ok(())
}

#[tokio::test]
async fn an_unreachable_openmeter_is_a_retry() -> TestResult {
    // Bound and dropped at once: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let target = OpenMeterTarget::new(OpenMeterConfig::new(Url::parse(&format!(
        "http://127.0.0.1:{port}/"
    ))?))?;

    let outcomes = target.deliver(&items(2)?).await;

    assert!(
        outcomes.iter().all(|o| retry_reason(o).is_some()),
        "{outcomes:?}"
    );
    Ok(())
}

#[tokio::test]
async fn refused_credentials_and_content_type_are_retried_not_rejected() -> TestResult {
    let problem = |status: u16, detail: &str| {
        ResponseTemplate::new(status).set_body_raw(
            json!({"type": "about:blank", "title": "Error", "status": status, "detail": detail})
                .to_string(),
            "application/problem+json",
        )
    };
    for (answer, expected) in [
        (problem(401, "unauthorized"), "API key"),
        (problem(403, "forbidden"), "API key"),
        (
            problem(400, "invalid content type: text/plain"),
            "content type",
        ),
    ] {
        let server = stand_in(answer).await;
        let target = OpenMeterTarget::new(config(&server)?)?;

        let outcomes = target.deliver(&items(3)?).await;

        assert!(
            outcomes
                .iter()
                .all(|o| retry_reason(o).is_some_and(|r| r.contains(expected))),
            "{outcomes:?}"
        );
        assert_eq!(
            requests(&server).await.len(),
            1,
            "no splitting for {expected}"
        );
    }
    Ok(())
}

// ---- the query client -------------------------------------------------------------------------

#[tokio::test]
async fn a_meter_query_sends_the_documented_parameters_and_reads_exact_values() -> TestResult {
    let server = MockServer::start().await;
    let body = r#"{"from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z","windowSize":"HOUR",
        "data":[
          {"value":0.0000049999999999999996,"windowStart":"2026-11-01T00:00:00Z","windowEnd":"2026-11-01T01:00:00Z","subject":"acme","groupBy":{"model":"gpt-4o","team":null}},
          {"value":1e-07,"windowStart":"2026-11-01T01:00:00Z","windowEnd":"2026-11-01T02:00:00Z","subject":null,"customerId":"01J0000000000000000000000A","groupBy":{}},
          {"value":12,"windowStart":"2026-11-01T02:00:00Z","windowEnd":"2026-11-01T03:00:00Z","subject":"globex","groupBy":{"model":"gpt-4o-mini","team":"t1"}}
        ]}"#;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/api/v1/meters/cost_usd/query"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let mut config = config(&server)?;
    config.api_key = Some("om_test_key".to_owned().into());
    let client = OpenMeterQuery::new(&config)?;
    let query = MeterQuery {
        from: Some(
            Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
                .single()
                .ok_or("time")?,
        ),
        to: Some(
            Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0)
                .single()
                .ok_or("time")?,
        ),
        window_size: Some(WindowSize::Hour),
        window_time_zone: Some("Europe/Paris".into()),
        subjects: vec!["acme".into(), "globex".into()],
        group_by: vec!["model".into(), "team".into()],
    };

    let result = client.query(Meter::CostUsd, &query).await?;

    let sent = requests(&server).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].url.query(),
        Some(
            "from=2026-11-01T00%3A00%3A00Z&to=2026-11-02T00%3A00%3A00Z&windowSize=HOUR\
             &windowTimeZone=Europe%2FParis&subject=acme&subject=globex&groupBy=model&groupBy=team"
        )
    );
    assert_eq!(
        sent[0].headers.get("authorization").map(|v| v.as_bytes()),
        Some(&b"Bearer om_test_key"[..])
    );
    assert_eq!(result.window_size, Some(WindowSize::Hour));
    assert_eq!(result.from, query.from);
    assert_eq!(result.rows.len(), 3);
    assert_eq!(result.rows[0].value.to_string(), ODD_COST);
    assert_eq!(result.rows[0].subject.as_deref(), Some("acme"));
    assert_eq!(
        result.rows[0].group_by.get("model"),
        Some(&Some("gpt-4o".to_owned()))
    );
    assert_eq!(result.rows[0].group_by.get("team"), Some(&None));
    assert_eq!(result.rows[1].value, Decimal::new(1, 7));
    assert_eq!(result.rows[1].subject, None);
    assert_eq!(
        result.rows[1].customer_id.as_deref(),
        Some("01J0000000000000000000000A")
    );
    assert_eq!(result.rows[2].value, Decimal::from(12));
    assert_eq!(
        result.rows[2].window_start,
        Utc.with_ymd_and_hms(2026, 11, 1, 2, 0, 0)
            .single()
            .ok_or("time")?
    );
    Ok(())
}

#[tokio::test]
async fn an_empty_query_has_no_parameters_and_errors_are_told_apart() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/api/v1/meters/requests/query"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(r#"{"data":[]}"#, "application/json"))
        .mount(&server)
        .await;
    Mock::given(matchers::path("/api/v1/meters/input_tokens/query"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_raw(r#"{"detail":"bad window"}"#, "application/problem+json"),
        )
        .mount(&server)
        .await;
    Mock::given(matchers::path("/api/v1/meters/output_tokens/query"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let client = OpenMeterQuery::new(&config(&server)?)?;

    let empty = client
        .query(Meter::Requests, &MeterQuery::default())
        .await?;
    assert!(empty.rows.is_empty() && empty.window_size.is_none());
    assert_eq!(requests(&server).await[0].url.query(), None);
    assert!(matches!(
        client.query(Meter::InputTokens, &MeterQuery::default()).await,
        Err(OpenMeterQueryError::Refused { status: 400, detail }) if detail.contains("bad window")
    ));
    assert!(matches!(
        client
            .query(Meter::OutputTokens, &MeterQuery::default())
            .await,
        Err(OpenMeterQueryError::Unavailable { .. })
    ));
    Ok(())
}

// ---- OpenMeter's own meter definitions --------------------------------------------------------

#[test]
fn meters_yaml_declares_every_domain_meter_for_the_default_event_type() -> TestResult {
    let yaml = include_str!("../../../deploy/openmeter/meters.yaml");
    let default = OpenMeterConfig::new(Url::parse("http://openmeter:8888")?);
    let entries: Vec<&str> = yaml.split("\n  - slug: ").skip(1).collect();
    assert_eq!(entries.len(), Meter::ALL.len());
    for meter in Meter::ALL {
        let slug = meter.slug();
        let entry = entries
            .iter()
            .find(|entry| entry.starts_with(&format!("{slug}\n")))
            .ok_or(format!("no meter {slug}"))?;
        for line in [
            format!("eventType: {}", default.event_type),
            "aggregation: SUM".to_owned(),
            format!("valueProperty: $.{slug}"),
        ]
        .iter()
        .map(String::as_str)
        .chain([
            "groupBy:",
            "model: $.model",
            "provider: $.provider",
            "key: $.key",
            "team: $.team",
            "status: $.status",
        ]) {
            assert!(entry.contains(line), "{slug}: no `{line}`");
        }
    }
    Ok(())
}
