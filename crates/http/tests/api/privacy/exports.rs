//! A person's export through the API: queued, built by the app's own workers, downloadable by
//! its subject (and owners and admins) for 7 days, one open at a time.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use tollgate_domain::access::Role;

use crate::{
    helpers::TestApp,
    identity::support::{call, create_api_key, execute, expect_error, expect_status, member, send},
};

/// Polls the export until the workers have built it.
async fn built(app: &TestApp, id: &str, bearer: &str) -> Value {
    for _ in 0..100 {
        let (_, body) = expect_status(
            send(call(
                app,
                Method::GET,
                &format!("/api/privacy/exports/{id}"),
                bearer,
            ))
            .await,
            200,
        )
        .await;
        if body["status"] == "done" {
            return body;
        }
        assert_ne!(body["status"], "failed", "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the export {id} was not built in 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_exports_what_tollgate_holds_about_them_without_any_secret() {
    let app = TestApp::spawn().await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let admin = member(&app, "default", "alice", Role::Admin).await;
    let billing = member(&app, "default", "bea", Role::Billing).await;
    let (key_id, key_secret) = create_api_key(&app, &owner, &["usage:read"]).await;

    let response = send(call(&app, Method::POST, "/api/me/export", &owner)).await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let (_, queued) = expect_status(response, 202).await;
    let id = queued["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/privacy/exports/{id}"));
    assert_eq!(queued["subject"], "member:olivia");
    assert!(matches!(
        queued["status"].as_str(),
        Some("pending" | "running" | "done")
    ));

    let done = built(&app, &id, &owner).await;
    assert_eq!(
        done["download_url"],
        format!("/api/privacy/exports/{id}/download")
    );
    assert!(done["bytes"].as_i64().unwrap() > 100, "{done}");

    let response = send(call(
        &app,
        Method::GET,
        &format!("/api/privacy/exports/{id}/download"),
        &owner,
    ))
    .await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let text = response.text().await.unwrap();
    let document: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(document["format"], "tollgate.member_export.v1");
    assert_eq!(document["subject"], "member:olivia");
    assert_eq!(document["memberships"][0]["role"], "owner");
    assert_eq!(document["api_keys"][0]["id"], key_id.as_str());
    assert!(
        document["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|record| record["action"] == "api_key.create"),
        "{document}"
    );
    assert!(
        document["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|record| record["action"] == "privacy_export.request")
    );
    assert!(
        !text.contains(&key_secret),
        "the key's secret is not in the export"
    );
    assert!(!text.contains("secret_sha256") && !text.contains("id_digest"));
    assert!(
        document["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|source| source["table"] == "audit_log")
    );

    // Its subject and owners/admins see it; another member finds nothing there.
    expect_status(
        send(call(
            &app,
            Method::GET,
            &format!("/api/privacy/exports/{id}"),
            &admin,
        ))
        .await,
        200,
    )
    .await;
    expect_error(
        send(call(
            &app,
            Method::GET,
            &format!("/api/privacy/exports/{id}"),
            &billing,
        ))
        .await,
        404,
        "not_found",
    )
    .await;
    expect_error(
        send(call(
            &app,
            Method::GET,
            &format!("/api/privacy/exports/{id}/download"),
            &billing,
        ))
        .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.count_where("audit_log", "action = 'privacy_export.download'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_open_request_at_a_time_and_api_keys_have_nothing_to_export() {
    // No workers: the first request stays open.
    let app = TestApp::spawn_with(|settings| settings.delivery.run_in_server = false).await;
    let viewer = member(&app, "default", "victor", Role::Viewer).await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let (_, key) = create_api_key(&app, &owner, &["usage:read"]).await;

    let (_, first) = expect_status(
        send(call(&app, Method::POST, "/api/me/export", &viewer)).await,
        202,
    )
    .await;
    assert_eq!(first["status"], "pending");
    let (_, refusal) = expect_status(
        send(call(&app, Method::POST, "/api/me/export", &viewer)).await,
        409,
    )
    .await;
    assert_eq!(refusal["error"]["code"], "export_pending");
    expect_error(
        send(call(
            &app,
            Method::GET,
            &format!(
                "/api/privacy/exports/{}/download",
                first["id"].as_str().unwrap()
            ),
            &viewer,
        ))
        .await,
        409,
        "export_pending",
    )
    .await;
    // Another person's request is theirs to make.
    expect_status(
        send(call(&app, Method::POST, "/api/me/export", &owner)).await,
        202,
    )
    .await;
    expect_error(
        send(call(&app, Method::POST, "/api/me/export", &key)).await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(
        app.count_where("audit_log", "action = 'privacy_export.request'")
            .await,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_seven_days_the_download_is_gone_and_the_workers_delete_the_content() {
    let app = TestApp::spawn().await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let (_, queued) = expect_status(
        send(call(&app, Method::POST, "/api/me/export", &owner)).await,
        202,
    )
    .await;
    let id = queued["id"].as_str().unwrap().to_owned();
    built(&app, &id, &owner).await;

    execute(
        &app,
        &format!(
            "UPDATE privacy_exports SET completed_at = now() - interval '8 days',
                 expires_at = now() - interval '1 day' WHERE id = '{id}'"
        ),
    )
    .await
    .unwrap();

    expect_error(
        send(call(
            &app,
            Method::GET,
            &format!("/api/privacy/exports/{id}/download"),
            &owner,
        ))
        .await,
        410,
        "download_expired",
    )
    .await;
    let (_, shown) = expect_status(
        send(call(
            &app,
            Method::GET,
            &format!("/api/privacy/exports/{id}"),
            &owner,
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(shown["download_url"], Value::Null);
    for _ in 0..50 {
        if app
            .count_where("privacy_exports", "content IS NULL AND status = 'done'")
            .await
            == 1
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the expired export's content was not deleted");
}
