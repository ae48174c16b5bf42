//! Consent records through the API: append-only, audited, under the notice in force.

use reqwest::Method;
use serde_json::{Value, json};
use tollgate_domain::access::Role;
use tollgate_http::{bootstrap::Application, settings::Settings};

use crate::{
    helpers::TestApp,
    identity::support::{call, execute, expect_error, expect_status, member, send},
};

async fn notice_version(app: &TestApp, owner: &str) -> String {
    let (_, body) = expect_status(
        send(call(
            app,
            Method::GET,
            "/api/privacy/consents?subject=customer:acme",
            owner,
        ))
        .await,
        200,
    )
    .await;
    body["notice_version"]
        .as_str()
        .expect("the notice version in force")
        .to_owned()
}

fn consent(subject: &str, purposes: &[&str], version: &str) -> Value {
    json!({"subject": subject, "purposes": purposes, "notice_version": version})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_then_a_withdrawal_are_two_records_and_the_newest_stands() {
    let app = TestApp::spawn().await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let version = notice_version(&app, &owner).await;
    assert_eq!(version, "2026-12-07", "the shipped notice's front matter");

    let (_, granted) = expect_status(
        send(
            call(&app, Method::POST, "/api/privacy/consents", &owner).json(&consent(
                "customer:acme",
                &["langfuse_export", "prompt_capture"],
                &version,
            )),
        )
        .await,
        201,
    )
    .await;
    let records = granted["data"].as_array().unwrap();
    assert_eq!(records.len(), 2, "{granted}");
    assert!(records.iter().all(|r| r["decision"] == "granted"
        && r["method"] == "api"
        && r["actor"] == "user:olivia"
        && r["notice_sha256"].as_str().unwrap().len() == 64));

    expect_status(
        send(
            call(&app, Method::POST, "/api/privacy/consents/withdraw", &owner).json(&consent(
                "customer:acme",
                &["langfuse_export"],
                &version,
            )),
        )
        .await,
        201,
    )
    .await;

    let (_, listed) = expect_status(
        send(call(
            &app,
            Method::GET,
            "/api/privacy/consents?subject=customer:acme",
            &owner,
        ))
        .await,
        200,
    )
    .await;
    let data = listed["data"].as_array().unwrap();
    assert_eq!(data.len(), 3, "{listed}");
    assert_eq!(data[0]["purpose"], "langfuse_export");
    assert_eq!(
        data[0]["decision"], "withdrawn",
        "the newest first: {listed}"
    );
    assert_eq!(
        app.count_where("audit_log", "action = 'consent.grant'")
            .await,
        2
    );
    assert_eq!(
        app.count_where(
            "audit_log",
            "action = 'consent.withdraw' AND target = 'customer:acme langfuse_export'"
        )
        .await,
        1
    );
    let (_, other) = expect_status(
        send(call(
            &app,
            Method::GET,
            "/api/privacy/consents?subject=member:olivia",
            &owner,
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(
        other["data"],
        json!([]),
        "another subject's records stay apart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_refuses_to_change_or_delete_a_consent_record() {
    let app = TestApp::spawn().await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let version = notice_version(&app, &owner).await;
    expect_status(
        send(
            call(&app, Method::POST, "/api/privacy/consents", &owner).json(&consent(
                "member:victor",
                &["analytics_cookies"],
                &version,
            )),
        )
        .await,
        201,
    )
    .await;

    let update = execute(&app, "UPDATE consent_records SET decision = 'withdrawn'").await;
    let delete = execute(&app, "DELETE FROM consent_records").await;
    let truncate = execute(&app, "TRUNCATE consent_records").await;

    for outcome in [update, delete, truncate] {
        let error = outcome.unwrap_err().to_string();
        assert!(error.contains("append-only"), "{error}");
    }
    assert_eq!(
        app.count_where("consent_records", "decision = 'granted'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_purposes_stale_notices_bad_subjects_and_other_roles_are_refused() {
    let app = TestApp::spawn().await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let billing = member(&app, "default", "bea", Role::Billing).await;
    let version = notice_version(&app, &owner).await;
    let post = |body: Value, bearer: &str| {
        send(call(&app, Method::POST, "/api/privacy/consents", bearer).json(&body))
    };

    expect_error(
        post(consent("customer:acme", &["marketing"], &version), &owner).await,
        422,
        "unknown_purpose",
    )
    .await;
    expect_error(
        post(
            consent("customer:acme", &["langfuse_export"], "2020-01-01"),
            &owner,
        )
        .await,
        422,
        "stale_notice_version",
    )
    .await;
    expect_error(
        post(consent("acme", &["langfuse_export"], &version), &owner).await,
        422,
        "invalid_value",
    )
    .await;
    expect_error(
        post(consent("customer:acme", &[], &version), &owner).await,
        422,
        "missing_field",
    )
    .await;
    expect_error(
        post(
            consent("customer:acme", &["langfuse_export"], &version),
            &billing,
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    expect_error(
        send(call(&app, Method::GET, "/api/privacy/consents", &owner)).await,
        422,
        "missing_field",
    )
    .await;
    assert_eq!(app.count("consent_records").await, 0, "nothing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_optional_purpose_or_a_notice_without_version_refuses_the_start() {
    let mut settings = Settings::load().unwrap();
    settings.privacy.optional_purposes = vec!["marketing".to_owned()];
    let refusal = Application::build(settings)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(refusal.contains("optional_purposes"), "{refusal}");

    let path = std::env::temp_dir().join(format!("notice-{}.md", uuid::Uuid::new_v4()));
    std::fs::write(&path, "# Privacy\n\nNo front matter.\n").unwrap();
    let mut settings = Settings::load().unwrap();
    settings.privacy.notice_path = path.clone();
    let refusal = Application::build(settings)
        .await
        .err()
        .unwrap()
        .to_string();
    let _ = std::fs::remove_file(&path);
    assert!(
        refusal.contains("notice_path") && refusal.contains("front matter"),
        "{refusal}"
    );

    let mut settings = Settings::load().unwrap();
    settings.privacy.notice_path = "/nonexistent/notice.md".into();
    let refusal = Application::build(settings)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(refusal.contains("/nonexistent/notice.md"), "{refusal}");
}
