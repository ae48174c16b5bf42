//! `GET /api/usage` with OpenMeter configured and answering what Tollgate cannot use. With
//! Lago too, nothing keeps the embedded rollups current: each failure has its own status and
//! code, and no body carries what OpenMeter said. Without Lago, the embedded rollups are
//! current and answer instead, saying so (`fallback.rs`).

mod fallback;

use std::time::Duration;

use serde_json::Value;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use crate::delivery::{KEY, api_key};
use crate::helpers::TestApp;

/// Text that must never reach a client: OpenMeter's answers below carry it.
const OPENMETER_SAID: &str = "openmeter-internal-tenant-7f3a";
const USAGE: &str = "/api/usage?from=2026-11-24T00:00:00Z&to=2026-11-30T00:00:00Z&window=DAY";

/// The app reading usage from a stand-in OpenMeter that gives every query `answer`, in Lago
/// mode (no embedded rollups to fall back to).
async fn app_with_openmeter(answer: ResponseTemplate) -> (TestApp, MockServer) {
    app_with_openmeter_and(answer, true).await
}

/// As [`app_with_openmeter`], with Lago configured or not.
async fn app_with_openmeter_and(answer: ResponseTemplate, lago: bool) -> (TestApp, MockServer) {
    let openmeter = MockServer::start().await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path_regex(r"^/api/v1/meters/[a-z_]+/query$"))
        .respond_with(answer)
        .mount(&openmeter)
        .await;
    let url = openmeter.uri();
    let app = TestApp::spawn_with(move |settings| {
        settings.delivery.run_in_server = false;
        settings.openmeter.url = url;
        settings.openmeter.request_timeout_ms = 300;
        if lago {
            // Never called: usage is read from OpenMeter, and no dispatcher runs.
            settings.lago.url = "http://127.0.0.1:9".into();
            settings.lago.api_key = Some(secrecy::SecretString::from("lago-test-key"));
        }
    })
    .await;
    api_key(&app, "{usage:read}").await;
    (app, openmeter)
}

/// Status, the `header` asked for (`retry-after`, `tollgate-usage-source`) and body of
/// `GET /api/usage`.
async fn usage_and(app: &TestApp, header: &str) -> (u16, Option<String>, Value) {
    let response = app
        .client
        .get(app.url(USAGE))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("the app answers");
    let status = response.status().as_u16();
    let value = response
        .headers()
        .get(header)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response.json().await.expect("a JSON body");
    (status, value, body)
}

/// Status, `Retry-After` and body of `GET /api/usage`.
async fn usage(app: &TestApp) -> (u16, Option<String>, Value) {
    usage_and(app, "retry-after").await
}

fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(!body.to_string().contains(OPENMETER_SAID), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_tollgate_cannot_read_is_a_502_naming_openmeter() {
    for answer in [
        // The issue's own example: valid JSON, not rows.
        format!(r#"{{"data": "not rows", "note": "{OPENMETER_SAID}"}}"#),
        format!(r#"{{"data": [{{"value": 1, "{OPENMETER_SAID}"#),
    ] {
        let (app, _openmeter) =
            app_with_openmeter(ResponseTemplate::new(200).set_body_raw(answer, "application/json"))
                .await;
        let (status, retry_after, body) = usage(&app).await;
        assert_eq!(status, 502, "{body}");
        assert_eq!(retry_after, None);
        assert_error(&body, "upstream_invalid_answer");
        assert_eq!(
            body["error"]["message"],
            "openmeter answered something Tollgate cannot read"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_openmeter_is_a_503_with_its_own_retry_after() {
    let throttled = ResponseTemplate::new(429)
        .insert_header("retry-after", "42")
        .set_body_string(OPENMETER_SAID);
    let (app, _openmeter) = app_with_openmeter(throttled).await;
    let (status, retry_after, body) = usage(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(retry_after.as_deref(), Some("42"));
    assert_error(&body, "unavailable");
    assert_eq!(
        body["error"]["message"],
        "OpenMeter is unavailable for reading usage; retry later"
    );

    let failing = ResponseTemplate::new(503).set_body_string(OPENMETER_SAID);
    let (app, _openmeter) = app_with_openmeter(failing).await;
    let (status, retry_after, body) = usage(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        retry_after.as_deref(),
        Some("2"),
        "the default when OpenMeter says nothing"
    );
    assert_error(&body, "unavailable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_openmeter_is_a_504() {
    let slow = ResponseTemplate::new(200)
        .set_body_raw(r#"{"data": []}"#, "application/json")
        .set_delay(Duration::from_secs(3));
    let (app, _openmeter) = app_with_openmeter(slow).await;
    let (status, _, body) = usage(&app).await;
    assert_eq!(status, 504, "{body}");
    assert_error(&body, "upstream_timeout");
    assert_eq!(
        body["error"]["message"],
        "OpenMeter did not answer in time for reading usage; retry later"
    );
}
