//! The customer portal: a customer's member sees that customer's usage only.

use reqwest::Method;
use tollgate_domain::access::Role;

use super::support::{batch, call, expect_error, expect_status, send, token};
use crate::helpers::{TestApp, batch_body, distinct_events};

const RANGE: &str = "from=2026-01-01T00:00:00Z&to=2028-01-01T00:00:00Z&window=DAY";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_member_sees_only_their_customer() {
    let app = TestApp::spawn_with(|s| s.delivery.run_in_server = true).await;
    let mut events = distinct_events(6);
    for (i, event) in events.iter_mut().enumerate() {
        event["end_user"] = serde_json::json!(if i < 2 { "cust-mine" } else { "cust-other" });
    }
    let response = app
        .post_usage(batch_body(&events), "application/json")
        .await;
    assert_eq!(response.status(), 202);
    // The server's own dispatcher fills the rollups.
    for _ in 0..100 {
        if app.count_where("outbox", "state = 'delivered'").await == 6 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    batch(
        &app,
        "INSERT INTO memberships (organization_id, subject, role, customer_id)
         SELECT id, 'carla', 'customer', 'cust-mine' FROM organizations WHERE slug = 'default'",
    )
    .await
    .expect("membership");
    let carla = token(&app, "carla", "default", Role::Customer).await;

    let (_, body) = expect_status(
        send(call(
            &app,
            Method::GET,
            &format!("/api/usage?{RANGE}&customer=cust-mine"),
            &carla,
        ))
        .await,
        200,
    )
    .await;
    let requests: u64 = body["data"]
        .as_array()
        .expect("series")
        .iter()
        .filter(|s| s["meter"] == "requests")
        .flat_map(|s| s["points"].as_array().expect("points").iter())
        .map(|p| {
            p["value"]
                .as_str()
                .expect("value")
                .parse::<u64>()
                .expect("number")
        })
        .sum();
    assert_eq!(requests, 2, "only cust-mine's calls");

    let (_, export) = expect_status(
        send(call(
            &app,
            Method::GET,
            "/api/usage/export?format=json&from=2026-01-01T00:00:00Z&to=2028-01-01T00:00:00Z&customer=cust-mine",
            &carla,
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(export.as_array().expect("rows").len(), 2);
    assert!(
        export
            .as_array()
            .expect("rows")
            .iter()
            .all(|r| r["customer"] == "cust-mine")
    );

    for path in [
        format!("/api/usage?{RANGE}&customer=cust-other"),
        format!("/api/usage?{RANGE}"),
        "/api/settings".to_owned(),
        "/api/audit".to_owned(),
    ] {
        expect_error(
            send(call(&app, Method::GET, &path, &carla)).await,
            403,
            "forbidden",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_attempts_to_change_something_are_audited() {
    let app = TestApp::spawn().await;
    let viewer = super::support::member(&app, "default", "vic", Role::Viewer).await;

    let response = send(
        call(&app, Method::POST, "/api/settings/api-keys", &viewer)
            .json(&serde_json::json!({"name": "x", "scopes": ["usage:read"]})),
    )
    .await;
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    expect_error(response, 403, "forbidden").await;
    // A refused read is not a change: not audited.
    expect_error(
        send(call(&app, Method::GET, "/api/audit", &viewer)).await,
        403,
        "forbidden",
    )
    .await;

    assert_eq!(
        app.count_where(
            "audit_log",
            "action = 'request.denied' AND result = 'denied' AND actor = 'user:vic'
             AND target = 'POST /api/settings/api-keys'"
        )
        .await,
        1
    );
    assert_eq!(
        app.scalar_text(
            "SELECT request_id AS value FROM audit_log WHERE action = 'request.denied'"
        )
        .await,
        request_id
    );
    assert_eq!(app.count("api_keys").await, 0);
}
