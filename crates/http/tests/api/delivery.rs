//! The outbox dispatcher and the embedded meters against real PostgreSQL: every stored event
//! is counted exactly once, whatever the leases, crashes and concurrent workers do.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions: a failed unwrap is a failed test"
)]

mod breakdowns;
mod dead_letters;
mod embedded_meters;
mod export;
mod group_names;
mod leases;
pub(crate) mod settlements;
mod usage_api;

use std::{sync::Arc, time::Duration};

use serde_json::{Value, json};
use tollgate_adapters::postgres::{self, PgEmbeddedMeter, PgOutboxQueue, PgPool, PoolSettings};
use tollgate_application::{
    ports::SystemClock,
    services::metering::dispatcher::{Dispatcher, DispatcherSettings},
};

use tollgate_domain::webhook_secret::SecretDigest;

use crate::helpers::{TestApp, batch_body, event_with_call_id};

/// An app whose own dispatchers are off, so each test drives delivery itself.
async fn app_without_workers() -> TestApp {
    TestApp::spawn_with(|settings| settings.delivery.run_in_server = false).await
}

pub(crate) fn pool(app: &TestApp) -> PgPool {
    postgres::connect(&PoolSettings {
        url: app.db_url.clone().into(),
        max_connections: 6,
        acquire_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(5),
        statement_timeout: Duration::from_secs(30),
    })
    .unwrap()
}

pub(crate) fn dispatcher(pool: &PgPool, batch: usize) -> Dispatcher {
    Dispatcher::new(
        Arc::new(PgOutboxQueue::new(pool.clone())),
        Arc::new(PgEmbeddedMeter::new(pool.clone(), batch)),
        Arc::new(SystemClock),
        DispatcherSettings::default(),
    )
}

/// `n` successful events spread over several minutes, hours and days, with varied tokens,
/// exact costs, customers and models.
pub(crate) fn spread_events(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut event = event_with_call_id(&format!("spread-{i}"));
            let end = 1_795_625_138.25 + (i as f64) * 977.0;
            event["endTime"] = json!(end);
            event["startTime"] = json!(end - 0.5);
            event["prompt_tokens"] = json!(10 + i % 7);
            event["completion_tokens"] = json!(20 + i % 5);
            event["total_tokens"] = json!(30 + i % 7 + i % 5);
            event["response_cost"] = serde_json::from_str::<Value>(&format!("1.{i}e-05")).unwrap();
            event["end_user"] = json!(format!("cust-{}", i % 4));
            event["model_group"] = json!(["gpt-4o-mini", "claude-haiku", "llama-local"][i % 3]);
            event
        })
        .collect()
}

/// `spread_events(n)` over 5 API keys (one without a team, two without an alias), 2 teams and
/// 3 providers, every
/// seventh call a failure that still reports its prompt tokens (a provider 500).
fn varied_events(n: usize) -> Vec<Value> {
    let mut events = spread_events(n);
    for (i, event) in events.iter_mut().enumerate() {
        let metadata = &mut event["metadata"];
        // Hashes that differ in their first digits, as SHA-256s do (breakdowns by key name
        // keys by a prefix of the hash); two keys share an alias, two have none.
        metadata["user_api_key_hash"] = json!(format!("{:x}{}", 0xbee0 + i % 5, "0".repeat(60)));
        metadata["user_api_key_alias"] = [
            json!("prod"),
            json!("staging"),
            Value::Null,
            json!("prod"),
            Value::Null,
        ][i % 5]
            .clone();
        metadata["user_api_key_team_id"] =
            [json!("team-a"), json!("team-b"), Value::Null][i % 5 % 3].clone();
        event["custom_llm_provider"] = json!(["openai", "anthropic", "vertex_ai"][i % 3]);
        if i % 7 == 0 {
            event["status"] = json!("failure");
            event["completion_tokens"] = json!(0);
            event["total_tokens"] = event["prompt_tokens"].clone();
            event["response_cost"] = json!(0);
            event["error_information"] =
                json!({"error_code": "500", "error_class": "InternalServerError"});
        }
    }
    events
}

pub(crate) async fn post_all(app: &TestApp, events: &[Value]) {
    for chunk in events.chunks(100) {
        let response = app.post_usage(batch_body(chunk), "application/json").await;
        assert_eq!(response.status(), 202);
    }
}

/// Runs rounds until nothing is due.
pub(crate) async fn drain(dispatcher: &Dispatcher) -> usize {
    let mut delivered = 0;
    loop {
        let report = dispatcher.run_once().await.unwrap();
        if report.claimed == 0 {
            return delivered;
        }
        delivered += report.delivered;
    }
}

pub const KEY: &str = "tg_live_usage-api-test-key-0123456789abcdefghijklmnop";

/// An API key of the default organization with `scopes`, inserted directly.
pub async fn api_key(app: &TestApp, scopes: &str) {
    let digest = hex_digest(KEY);
    app.texts(&format!(
        "INSERT INTO api_keys (id, organization_id, name, display_prefix, secret_sha256, scopes,
            created_by)
         SELECT gen_random_uuid(), id, 'test', 'tg_live_usag', '\\x{digest}'::bytea,
                '{scopes}'::text[], 'test'
         FROM organizations WHERE slug = 'default'
         RETURNING name AS value"
    ))
    .await;
}

fn hex_digest(secret: &str) -> String {
    SecretDigest::of(secret)
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
