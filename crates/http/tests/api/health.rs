//! Liveness, readiness, metrics, and what unknown routes answer.

use serde_json::json;

use diesel_async::RunQueryDsl;

use crate::helpers::{BUDGET_ALERT, TestApp, USAGE_BATCH, captured_logs, status_and_json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liveness_and_readiness_answer_ok_when_the_database_is_up() {
    let app = TestApp::spawn().await;

    let (status, body) = status_and_json(app.get("/healthz").await).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "status": "ok" }));

    let (status, body) = status_and_json(app.get("/readyz").await).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "status": "ready" }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_events_time_requests_and_show_the_pool() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.post_usage(USAGE_BATCH, "application/json")
            .await
            .status()
            .as_u16(),
        202
    );
    assert_eq!(
        app.post_usage(USAGE_BATCH, "application/json")
            .await
            .status()
            .as_u16(),
        202
    );
    assert_eq!(
        app.post_alert(&app.secret, BUDGET_ALERT)
            .await
            .status()
            .as_u16(),
        202
    );

    let response = app.get("/metrics").await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let metrics = response.text().await.unwrap();

    for expected in [
        "tollgate_webhook_events_total{outcome=\"accepted\"} 11",
        "tollgate_webhook_events_total{outcome=\"duplicate\"} 11",
        "tollgate_budget_alerts_total{outcome=\"stored\"} 1",
        "tollgate_http_request_duration_seconds_bucket",
        "route=\"/v1/webhooks/litellm\"",
        "route=\"/v1/webhooks/litellm/alerts/{secret}\"",
        "tollgate_db_pool_connections{state=\"max\"}",
    ] {
        assert!(
            metrics.contains(expected),
            "missing {expected:?} in:\n{metrics}"
        );
    }
    assert!(
        !metrics.contains(&app.secret),
        "a path's secret leaks into the metrics"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_route_answers_a_json_404() {
    let app = TestApp::spawn().await;

    for path in ["/nope", "/v1/webhooks", "/v1/webhooks/litellm/alerts"] {
        let (status, body) = status_and_json(app.get(path).await).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"]["code"], "not_found", "{path}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_while_a_migration_is_missing() {
    let app = TestApp::spawn().await;
    let mut connection = app.db.connect().await;
    diesel::sql_query("DELETE FROM __diesel_schema_migrations")
        .execute(&mut connection)
        .await
        .unwrap();

    let response = app.get("/readyz").await;
    assert!(response.headers().contains_key("retry-after"));
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 503);
    assert_eq!(body["error"]["code"], "unavailable");
    let (status, _) = status_and_json(app.get("/healthz").await).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_id_of_a_failed_request_names_its_log_lines() {
    let app = TestApp::spawn().await;

    let response = app.post_usage_with_auth(USAGE_BATCH, None).await;
    assert_eq!(response.status().as_u16(), 401);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();

    let logs = captured_logs();
    let line = logs
        .lines()
        .find(|line| line.contains(&request_id))
        .expect("the failed request is logged with its id");
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains("http.status_code=401"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_upstream_is_named_at_start_and_on_readyz_as_degraded() {
    // Nothing listens on the port of a listener just closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = closed.local_addr().expect("an address").port();
    drop(closed);
    let app = TestApp::spawn_with(|settings| {
        settings.openmeter.url = format!("http://127.0.0.1:{port}/");
        settings.delivery.run_in_server = false;
    })
    .await;
    let (status, body) = status_and_json(app.get("/readyz").await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["unreachable"], serde_json::json!(["openmeter"]));
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("openmeter")),
        "{body}"
    );
    let logs = captured_logs();
    assert!(
        logs.contains("openmeter is configured but cannot be reached"),
        "no start-up warning"
    );

    // A reachable one: ready.
    let server = wiremock::MockServer::start().await;
    let app = TestApp::spawn_with(|settings| {
        settings.lago.url = server.uri();
        settings.lago.api_key = Some(secrecy::SecretString::from("lago-key"));
        settings.delivery.run_in_server = false;
    })
    .await;
    let (status, body) = status_and_json(app.get("/readyz").await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready", "{body}");
}
