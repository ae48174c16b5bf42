//! What a 503 or 504 tells the client when Lago cannot answer: that Lago is the cause, and
//! whether a read failed, a change was not made, or a change's outcome is unknown (and then
//! whether sending the same request again is safe).

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use super::{CUSTOMERS, api, ok, spawn};
use crate::{billing::customer, identity::support::expect_status};

/// Lago's own words, which no answer may carry.
const LAGO_SAID: &str = "lago-internal-shard-9c1e";

async fn message(response: reqwest::Response, status: u16, code: &str) -> String {
    let (_, body) = expect_status(response, status).await;
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(!body.to_string().contains(LAGO_SAID), "{body}");
    body["error"]["message"]
        .as_str()
        .expect("a message")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_lago_cannot_take_was_not_made_and_a_read_can_be_retried() {
    // Nobody listens on the port any more: the connection is refused.
    let gone = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let app = spawn(format!("http://{gone}")).await;
    let response = api(&app, Method::POST, CUSTOMERS, Some(&customer("cust_1"))).await;
    assert_eq!(
        message(response, 503, "unavailable").await,
        "Lago is unavailable; the change was not made, retry later"
    );
    assert_eq!(app.count("billing_customers").await, 0);

    // Lago answers, but says it is failing.
    let lago = MockServer::start().await;
    Mock::given(matchers::any())
        .respond_with(ResponseTemplate::new(503).set_body_string(LAGO_SAID))
        .mount(&lago)
        .await;
    let app = spawn(lago.uri()).await;
    let response = api(&app, Method::GET, "/api/billing/invoices", None).await;
    assert_eq!(
        message(response, 503, "unavailable").await,
        "Lago is unavailable for reading billing data; retry later"
    );
}

/// A stand-in that takes plans (their meters first), answering at once.
async fn mount_plans(lago: &MockServer) {
    Mock::given(matchers::method("GET"))
        .and(matchers::path_regex("^/api/v1/billable_metrics/"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"status": 404, "error": "Not Found", "code": "billable_metric_not_found"}),
        ))
        .mount(lago)
        .await;
    for path in ["/api/v1/billable_metrics", "/api/v1/plans"] {
        Mock::given(matchers::method("POST"))
            .and(matchers::path(path))
            .respond_with(ok(json!({"billable_metric": {"lago_id": "bm-1",
                "aggregation_type": "sum_agg", "field_name": "input_tokens"}, "plan": {}})))
            .mount(lago)
            .await;
    }
}

fn plan(fee: &str) -> Value {
    json!({
        "code": "starter",
        "name": "Starter",
        "interval": "monthly",
        "currency": "EUR",
        "base_fee": {"amount": fee, "timing": "in_advance"},
        "charges": [{"meter": "input_tokens",
                     "model": {"type": "per_unit", "unit_price": "0.0000025"}}],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_lago_did_not_answer_in_time_has_an_unknown_outcome() {
    let lago = MockServer::start().await;
    mount_plans(&lago).await;
    let app = spawn(lago.uri()).await;
    let (_, created) = expect_status(
        api(&app, Method::POST, "/api/billing/plans", Some(&plan("10"))).await,
        201,
    )
    .await;
    let plan_path = format!(
        "/api/billing/plans/{}",
        created["id"].as_str().expect("an id")
    );

    // From now on Lago takes longer than lago.request_timeout_ms (2 s) to answer anything.
    lago.reset().await;
    Mock::given(matchers::any())
        .respond_with(ok(json!({"customer": {}, "plan": {}})).set_delay(Duration::from_secs(4)))
        .mount(&lago)
        .await;
    // POST is not a request that means the same when sent twice.
    let response = api(&app, Method::POST, CUSTOMERS, Some(&customer("cust_1"))).await;
    assert_eq!(
        message(response, 504, "upstream_timeout").await,
        "Lago did not answer in time; whether the change was made is unknown: check before \
         retrying"
    );
    // PUT is: the same version is pushed again, and Lago overwrites it.
    let response = api(&app, Method::PUT, &plan_path, Some(&plan("12"))).await;
    assert_eq!(
        message(response, 504, "upstream_timeout").await,
        "Lago did not answer in time; whether the change was made is unknown, and retrying \
         the same request is safe"
    );
    let response = api(&app, Method::GET, "/api/billing/invoices", None).await;
    assert_eq!(
        message(response, 504, "upstream_timeout").await,
        "Lago did not answer in time for reading billing data; retry later"
    );
}
