//! `POST /v1/webhooks/litellm/alerts/{secret}`: LiteLLM budget alerts, once a day each.

use serde_json::json;

use crate::helpers::{BUDGET_ALERT, TestApp, captured_logs, status_and_json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_captured_alert_is_stored_once_and_its_repeat_is_a_duplicate() {
    let app = TestApp::spawn().await;

    let (status, body) = status_and_json(app.post_alert(&app.secret, BUDGET_ALERT).await).await;
    assert_eq!(status, 202);
    assert_eq!(body, json!({ "status": "stored" }));

    let (status, body) = status_and_json(app.post_alert(&app.secret, BUDGET_ALERT).await).await;
    assert_eq!(status, 202);
    assert_eq!(body, json!({ "status": "duplicate" }));

    assert_eq!(app.count("budget_alerts").await, 1);
    assert_eq!(
        app.scalar_text(
            "SELECT concat_ws('|', event, event_group, entity_id, litellm_user_id) AS value
             FROM budget_alerts"
        )
        .await
        .as_deref(),
        Some(
            "budget_crossed|key|key:c896e5db021e6502ae24270d841c24b92a455015d6e786f0b51188f962774e7f\
             |default_user_id"
        )
    );
    assert_eq!(
        app.count_where(
            "budget_alerts",
            "spend_usd = 1 AND max_budget_usd = 0 AND soft_budget_usd IS NULL
             AND alert_day = (now() AT TIME ZONE 'UTC')::date"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_with_the_wrong_secret_in_its_path_is_refused() {
    let app = TestApp::spawn().await;

    for secret in ["whsec_wrong", &format!("{}x", app.secret)] {
        let (status, body) = status_and_json(app.post_alert(secret, BUDGET_ALERT).await).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], "unauthorized");
    }

    assert_eq!(app.count("budget_alerts").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_of_an_unknown_kind_or_without_one_is_refused() {
    let app = TestApp::spawn().await;
    let mut unknown: serde_json::Value = serde_json::from_slice(BUDGET_ALERT).unwrap();
    unknown["event"] = json!("lunch_is_ready");
    let mut missing = unknown.clone();
    missing.as_object_mut().unwrap().remove("event");

    for (body, code) in [
        (unknown.to_string(), "unknown_event"),
        (missing.to_string(), "missing_event"),
        ("{\"event\":\n".to_owned(), "invalid_json"),
    ] {
        let (status, answer) = status_and_json(app.post_alert(&app.secret, body).await).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["error"]["code"], code, "{answer}");
    }

    assert_eq!(app.count("budget_alerts").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secret_in_an_alert_path_never_reaches_the_logs() {
    let app = TestApp::spawn().await;
    let mut unknown: serde_json::Value = serde_json::from_slice(BUDGET_ALERT).unwrap();
    unknown["event"] = json!("lunch_is_ready");

    let refused = app.post_alert(&app.secret, unknown.to_string()).await;
    let request_id = refused.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(refused.status().as_u16(), 400);
    let stored = app.post_alert(&app.secret, BUDGET_ALERT).await;
    assert_eq!(stored.status().as_u16(), 202);

    let logs = captured_logs();
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains(&request_id)).collect();
    assert!(!lines.is_empty(), "the refused request is logged");
    for line in lines {
        assert!(!line.contains(&app.secret), "the secret is logged: {line}");
    }
    assert!(!logs.contains(&app.secret), "the secret is logged");
}
