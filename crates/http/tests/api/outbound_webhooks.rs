//! Outbound webhooks (Standard Webhooks) end to end: real PostgreSQL, the app's own worker,
//! and receivers on 127.0.0.1 (reachable only with `allow_private_targets`, which the SSRF
//! tests leave off).

mod api;
mod delivery;
mod receiver;
mod ssrf;

use std::time::Duration;

use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};
use tollgate_adapters::signing::standard_webhooks::{self, EndpointSecret};
use tollgate_domain::access::Role;

use crate::{
    helpers::TestApp,
    identity::support::{call, expect_status, member, send},
};
use receiver::Received;

pub const ENDPOINTS: &str = "/api/settings/webhooks";

/// An app whose worker sends to local receivers and polls often.
pub async fn spawn_private() -> TestApp {
    TestApp::spawn_with(|settings| {
        settings.outbound_webhooks.allow_private_targets = true;
        settings.outbound_webhooks.idle_poll_ms = 50;
        settings.billing.close_every_secs = 0;
    })
    .await
}

pub async fn owner(app: &TestApp) -> String {
    member(app, "default", "olivia", Role::Owner).await
}

/// Creates an endpoint; its id and its secret.
pub async fn create(app: &TestApp, bearer: &str, url: &str, types: &[&str]) -> (String, String) {
    let request = call(app, Method::POST, ENDPOINTS, bearer)
        .json(&json!({ "url": url, "event_types": types }));
    let (_, body) = expect_status(send(request).await, 201).await;
    let id = body["id"].as_str().expect("an id").to_owned();
    let secret = body["secret"]
        .as_str()
        .expect("the secret, once")
        .to_owned();
    (id, secret)
}

/// `POST .../{id}/test`: the message id.
pub async fn send_test(app: &TestApp, bearer: &str, id: &str) -> String {
    let path = format!("{ENDPOINTS}/{id}/test");
    let (_, body) = expect_status(send(call(app, Method::POST, &path, bearer)).await, 202).await;
    body["message_id"]
        .as_str()
        .expect("a message id")
        .to_owned()
}

pub async fn get_json(app: &TestApp, bearer: &str, path: &str) -> Value {
    expect_status(send(call(app, Method::GET, path, bearer)).await, 200)
        .await
        .1
}

/// Verifies a received request as an operator would, under `secret` alone.
pub fn verify(
    received: &Received,
    secret: &str,
) -> Result<(), standard_webhooks::StandardWebhookError> {
    let secret = EndpointSecret::parse(secret).expect("a whsec_ secret");
    standard_webhooks::verify(
        &[&secret],
        |name| received.headers.get(name).map(String::as_str),
        &received.body,
        Utc::now(),
    )
}

/// Waits until the delivery of `message` reaches `state` (at most `within`).
pub async fn wait_state(app: &TestApp, message: &str, state: &str, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let found = app
            .count_where(
                "webhook_deliveries",
                &format!("message_id = '{message}' AND state = '{state}'"),
            )
            .await;
        if found > 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the delivery of {message} never became {state}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `count` attempts of `message` are recorded.
pub async fn wait_attempts(app: &TestApp, message: &str, count: i64, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    let condition = format!(
        "delivery_id IN (SELECT id FROM webhook_deliveries WHERE message_id = '{message}')"
    );
    while app.count_where("webhook_attempts", &condition).await < count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{message} never had {count} attempts"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
