//! No answer repeats more than 64 characters of what was sent: a value, a field's or a query
//! parameter's name, refused by the domain, a route, serde, validator or actix's extractors.
//! What is quoted is cut and marked `… (cut)`.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    billing::{WRITE_KEY, api_key, customer, plans::plan},
    helpers::{TestApp, status_and_json},
    identity::support::{call, send},
};

const LONG: usize = 10_000;
/// A message is a sentence or two around at most 64 characters of the input.
const MESSAGE_BOUND: usize = 300;

/// Sends `body` (if any) to `path`; the status, code and message of the refusal, after checking
/// that the message is short and repeats no more than 64 of `filler` in a row.
async fn refusal(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
    filler: char,
) -> (u16, String, String) {
    let mut request = call(app, method, path, WRITE_KEY);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let (status, body) = status_and_json(send(request).await).await;
    let message = body["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{path}: an error, got {status} {body}"))
        .to_owned();
    assert!(
        message.chars().count() < MESSAGE_BOUND,
        "{path}: {} characters: {message}",
        message.chars().count()
    );
    assert!(
        !message.contains(&filler.to_string().repeat(65)),
        "{path}: more than 64 characters of the input: {message}"
    );
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (status, code, message)
}

fn assert_cut(what: &str, (status, code, message): &(u16, String, String), want: (u16, &str)) {
    assert_eq!((*status, code.as_str()), want, "{what}: {message}");
    assert!(message.contains("… (cut)"), "{what}: {message}");
}

async fn app() -> TestApp {
    let app = TestApp::spawn().await;
    api_key(
        &app,
        "default",
        WRITE_KEY,
        "usage:read,billing:read,billing:write,settings:write",
    )
    .await;
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_values_are_quoted_cut_in_every_kind_of_refusal() {
    let app = app().await;
    let customers = "/api/billing/customers";

    // A taken external id (at most 255 characters): the route's conflict message.
    let taken = "t".repeat(255);
    let (status, _) = status_and_json(
        send(call(&app, Method::POST, customers, WRITE_KEY).json(&customer(&taken))).await,
    )
    .await;
    assert_eq!(status, 201);
    let answer = refusal(&app, Method::POST, customers, Some(customer(&taken)), 't').await;
    assert_cut("taken external id", &answer, (409, "customer_exists"));

    // An invalid currency: validator's message lists the value.
    let mut body = customer("cust-currency");
    body["currency"] = json!("c".repeat(LONG));
    let answer = refusal(&app, Method::POST, customers, Some(body), 'c').await;
    assert_cut("currency", &answer, (422, "invalid_request"));

    // An e-mail address of the longest kind allowed, but none: the domain's message.
    let mut body = customer("cust-email");
    body["billing_email"] = json!("m".repeat(254));
    let answer = refusal(&app, Method::POST, customers, Some(body), 'm').await;
    assert_cut("billing email", &answer, (422, "invalid_value"));

    // An unknown time zone: the usage API's message.
    let usage = "/api/usage?from=2026-11-24T00:00:00Z&to=2026-11-30T00:00:00Z";
    let path = format!("{usage}&time_zone={}", "z".repeat(LONG));
    let answer = refusal(&app, Method::GET, &path, None, 'z').await;
    assert_cut("time zone", &answer, (400, "invalid_query"));

    // A query parameter nobody knows: actix's query extractor (serde) names it.
    let path = format!("{usage}&{}=1", "p".repeat(LONG));
    let answer = refusal(&app, Method::GET, &path, None, 'p').await;
    assert_cut("query parameter", &answer, (400, "invalid_query"));

    // An unknown plan code, longer than any: validator's message lists the value.
    let body = json!({"customer_id": Uuid::new_v4(), "plan_code": "u".repeat(LONG)});
    let answer = refusal(
        &app,
        Method::POST,
        "/api/billing/subscriptions",
        Some(body),
        'u',
    )
    .await;
    assert_cut("plan code", &answer, (422, "invalid_request"));

    // A value serde refuses in a body: an enum's unknown variant.
    let mut body = plan("cut-plan", "10");
    body["base_fee"]["timing"] = json!("v".repeat(LONG));
    let answer = refusal(&app, Method::POST, "/api/billing/plans", Some(body), 'v').await;
    assert_cut("fee timing", &answer, (400, "invalid_json"));
}
