//! The database goes away while a batch's statement is running: the sender is told to retry
//! (503), nothing is half-written, and the retry leaves every event stored exactly once.

use std::time::{Duration, Instant};

use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio::task::JoinHandle;

use super::{assert_unavailable, spawn_behind};
use crate::helpers::{
    PgProxy, TestApp, USAGE_BATCH, USAGE_BATCH_EVENTS, USAGE_PATH, admin_url, host_port,
    status_and_json,
};

/// Holds a lock that makes every insert into `usage_events` wait, until `release`.
struct InsertBlocker(AsyncPgConnection);

impl InsertBlocker {
    async fn hold(app: &TestApp) -> Self {
        let mut connection = app.db.connect().await;
        for statement in ["BEGIN", "LOCK TABLE usage_events IN SHARE MODE"] {
            diesel::sql_query(statement)
                .execute(&mut connection)
                .await
                .expect("the lock is taken");
        }
        Self(connection)
    }

    async fn release(mut self) {
        diesel::sql_query("ROLLBACK")
            .execute(&mut self.0)
            .await
            .expect("the lock is released");
    }
}

/// Posts the captured batch from a task of its own.
fn post_batch(app: &TestApp) -> JoinHandle<reqwest::Response> {
    let request = app
        .client
        .post(app.url(USAGE_PATH))
        .bearer_auth(&app.secret)
        .header("content-type", "application/json")
        .body(USAGE_BATCH);
    tokio::spawn(async move { request.send().await.expect("an answer") })
}

/// Backend pids of the app's sessions matching `condition` (on `pg_stat_activity`).
async fn app_sessions(app: &TestApp, condition: &str) -> Vec<String> {
    app.texts(&format!(
        "SELECT pid::text AS value FROM pg_stat_activity
         WHERE datname = '{}' AND pid <> pg_backend_pid() AND {condition}",
        app.db.name
    ))
    .await
    .into_iter()
    .flatten()
    .collect()
}

/// Waits until the app's insert is running and blocked on the lock; returns its backend pid.
async fn blocked_insert(app: &TestApp) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pids = app_sessions(
            app,
            "wait_event_type = 'Lock' AND query LIKE '%INSERT INTO usage_events%'",
        )
        .await;
        if let [pid] = pids.as_slice() {
            return pid.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the insert never started: {pids:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_until_gone(app: &TestApp, pid: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app_sessions(app, &format!("pid = {pid}")).await.is_empty() {
        assert!(Instant::now() < deadline, "backend {pid} lingers");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_the_server_terminates_mid_statement_answers_503_and_the_retry_stores_all() {
    let proxy = PgProxy::start(host_port(&admin_url())).await;
    let app = spawn_behind(&proxy).await;
    let blocker = InsertBlocker::hold(&app).await;
    let request = post_batch(&app);
    let pid = blocked_insert(&app).await;

    // What a PostgreSQL restart or failover does to every session.
    app.texts(&format!(
        "SELECT pg_terminate_backend({pid})::text AS value"
    ))
    .await;
    let response = request.await.expect("the request task does not panic");
    assert_unavailable(response, &proxy).await;
    blocker.release().await;
    assert_eq!(app.count("usage_events").await, 0, "nothing half-written");
    assert_eq!(app.count("outbox").await, 0);

    let (status, body) =
        status_and_json(app.post_usage(USAGE_BATCH, "application/json").await).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["accepted"], USAGE_BATCH_EVENTS);
    assert_eq!(app.count("usage_events").await, 11);
    assert_eq!(app.count("outbox").await, 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_lost_mid_statement_answers_503_and_the_retry_stores_each_event_once() {
    let proxy = PgProxy::start(host_port(&admin_url())).await;
    let app = spawn_behind(&proxy).await;
    let blocker = InsertBlocker::hold(&app).await;
    let request = post_batch(&app);
    let pid = blocked_insert(&app).await;

    // A network failure: the app's socket closes, its statement is still queued on the server.
    proxy.go_down();
    let response = request.await.expect("the request task does not panic");
    assert_unavailable(response, &proxy).await;

    // The orphaned statement may still commit once the lock goes: the answer was ambiguous, so
    // only the retry can tell, and it must not store anything twice.
    blocker.release().await;
    wait_until_gone(&app, &pid).await;
    proxy.go_up();
    let (status, body) =
        status_and_json(app.post_usage(USAGE_BATCH, "application/json").await).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        body["accepted"].as_u64().unwrap() + body["duplicates"].as_u64().unwrap(),
        11,
        "{body}"
    );
    assert_eq!(app.count("usage_events").await, 11);
    assert_eq!(app.count("outbox").await, 11);
}
