//! What the OpenMeter tests share: outbox items with every dimension set, and a stand-in for
//! `POST /api/v1/events` that records what it receives.

use std::str::FromStr;

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use tollgate_adapters::openmeter::OpenMeterConfig;
use tollgate_application::ports::OutboxItem;
use tollgate_domain::{
    money::UsdAmount,
    organization::OrganizationId,
    usage::{CallStatus, CustomerId, EventPayload, IdempotencyKey, Label, TokenUsage},
};
use url::Url;
use wiremock::{Mock, MockServer, Request, Respond, matchers};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub const EVENTS_PATH: &str = "/api/v1/events";
pub const BATCH_TYPE: &str = "application/cloudevents-batch+json";
/// A Python float LiteLLM prints in full: it must reach OpenMeter digit for digit.
pub const ODD_COST: &str = "0.0000049999999999999996";

/// A successful call by `customer` with every dimension set.
pub fn item(
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

pub fn items(count: usize) -> Result<Vec<OutboxItem>, Box<dyn std::error::Error>> {
    (0..count)
        .map(|i| item(&format!("req-{i}"), Some("acme"), "0.0001"))
        .collect()
}

pub fn config(server: &MockServer) -> Result<OpenMeterConfig, Box<dyn std::error::Error>> {
    Ok(OpenMeterConfig::new(Url::parse(&server.uri())?))
}

pub async fn stand_in(answer: impl Respond + 'static) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(EVENTS_PATH))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

pub async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

pub fn batch(request: &Request) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
    Ok(serde_json::from_slice(&request.body)?)
}
