//! Lago mode: the same `/api/billing` endpoints with `lago.url` pointing at a local stand-in
//! for Lago's API (wiremock). Customers, plans and subscriptions reach Lago before Tollgate
//! stores them (nothing stored when Lago refuses or is down); invoices are Lago's, listed,
//! shown, finalized and voided through it.

use reqwest::Method;
use secrecy::SecretString;
use serde_json::Value;
use wiremock::{MockServer, Request, ResponseTemplate};

use super::{WRITE_KEY, api_key};
use crate::{
    helpers::TestApp,
    identity::support::{call, send},
};

mod customers;
mod invoices;
mod outages;
mod subscriptions;

const LAGO_KEY: &str = "lago-test-api-key";
pub const CUSTOMERS: &str = "/api/billing/customers";

/// The app in Lago mode against `lago_url`, with a billing API key.
pub async fn spawn(lago_url: String) -> TestApp {
    let app = TestApp::spawn_with(|settings| {
        settings.lago.url = lago_url;
        settings.lago.api_key = Some(SecretString::from(LAGO_KEY));
        settings.lago.max_attempts = 1;
        settings.lago.request_timeout_ms = 2000;
        // No usage is delivered here: keep the dispatchers out of the way.
        settings.delivery.run_in_server = false;
    })
    .await;
    api_key(&app, "default", WRITE_KEY, "billing:read,billing:write").await;
    app
}

pub async fn api(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let request = call(app, method, path, WRITE_KEY);
    send(match body {
        Some(body) => request.json(body),
        None => request,
    })
    .await
}

/// The stand-in's requests to `path` (method and path), in order.
pub async fn seen(lago: &MockServer, method: &str, path: &str) -> Vec<Request> {
    lago.received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == method && r.url.path() == path)
        .collect()
}

pub fn json_of(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap_or(Value::Null)
}

pub fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}
