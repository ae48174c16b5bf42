//! A PostgreSQL outage: quick 503s with `Retry-After` and no internal detail, nothing
//! half-written, and full service once the database is back.

mod mid_statement;

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

use crate::helpers::{
    BUDGET_ALERT, PgProxy, TestApp, USAGE_BATCH, USAGE_BATCH_COST, USAGE_BATCH_EVENTS, admin_url,
    host_port, ingest_report, status_and_json, with_host_port,
};

/// The app, reaching its database through `proxy`, with short timeouts.
async fn spawn_behind(proxy: &PgProxy) -> TestApp {
    let through_proxy = proxy.address.to_string();
    TestApp::spawn_with(|settings| {
        let url = with_host_port(settings.database.url.expose_secret(), &through_proxy);
        settings.database.url = SecretString::from(url);
        settings.database.acquire_timeout_ms = 500;
        settings.database.connect_timeout_ms = 500;
    })
    .await
}

/// A 503 that tells the client to come back and says nothing about the infrastructure.
async fn assert_unavailable(response: reqwest::Response, proxy: &PgProxy) {
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().expect("text").to_owned());
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        retry_after
            .as_deref()
            .is_some_and(|s| s.parse::<u32>().is_ok_and(|secs| secs > 0)),
        "Retry-After: {retry_after:?}"
    );
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    let text = body.to_string();
    for internal in [
        "127.0.0.1",
        "postgres://",
        "postgres:",
        "tollgate_test_",
        &proxy.address.port().to_string(),
        "connection",
        "pool",
    ] {
        assert!(
            !text.contains(internal),
            "the answer leaks {internal:?}: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_down_ingest_answers_503_and_the_retry_stores_everything() {
    let proxy = PgProxy::start(host_port(&admin_url())).await;
    let app = spawn_behind(&proxy).await;
    assert!(
        !app.db_url.contains(&proxy.address.to_string()),
        "the test itself reads the database directly"
    );
    let (status, _) = status_and_json(app.get("/readyz").await).await;
    assert_eq!(
        status, 200,
        "the pool holds a live connection before the outage"
    );

    proxy.go_down();
    let started = Instant::now();
    let response = app.post_usage(USAGE_BATCH, "application/json").await;
    assert_unavailable(response, &proxy).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a database outage must fail fast, took {:?}",
        started.elapsed()
    );
    assert_unavailable(app.get("/readyz").await, &proxy).await;
    let (status, _) = status_and_json(app.get("/healthz").await).await;
    assert_eq!(status, 200, "liveness does not depend on the database");
    assert_eq!(app.count("usage_events").await, 0, "nothing half-written");
    assert_eq!(app.count("outbox").await, 0);

    proxy.go_up();
    let (status, body) =
        status_and_json(app.post_usage(USAGE_BATCH, "application/json").await).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body, ingest_report(USAGE_BATCH_EVENTS, 0));
    let (status, _) = status_and_json(app.get("/readyz").await).await;
    assert_eq!(status, 200);
    assert_eq!(app.count("usage_events").await, 11);
    assert_eq!(app.count("outbox").await, 11);
    assert_eq!(
        app.scalar_text("SELECT sum(cost_usd)::text AS value FROM usage_events")
            .await
            .as_deref(),
        Some(USAGE_BATCH_COST)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_answer_503_while_the_database_is_down_and_are_stored_after() {
    let proxy = PgProxy::start(host_port(&admin_url())).await;
    let app = spawn_behind(&proxy).await;

    proxy.go_down();
    let response = app.post_alert(&app.secret, BUDGET_ALERT).await;
    assert_unavailable(response, &proxy).await;

    proxy.go_up();
    let (status, body) = status_and_json(app.post_alert(&app.secret, BUDGET_ALERT).await).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "stored");
    assert_eq!(app.count("budget_alerts").await, 1);
}
