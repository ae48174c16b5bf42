//! What the OpenMeter tests share: the outbox item builder (from `support/outbox_item.rs`, shared
//! with the Lago tests), and a stand-in for
//! `POST /api/v1/events` that records what it receives.

use serde_json::Value;
use tollgate_adapters::openmeter::OpenMeterConfig;
use tollgate_application::ports::OutboxItem;
use url::Url;
use wiremock::{Mock, MockServer, Request, Respond, matchers};

pub use super::outbox_item::item;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub const EVENTS_PATH: &str = "/api/v1/events";
pub const BATCH_TYPE: &str = "application/cloudevents-batch+json";
/// A Python float LiteLLM prints in full: it must reach OpenMeter digit for digit.
pub const ODD_COST: &str = "0.0000049999999999999996";

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
