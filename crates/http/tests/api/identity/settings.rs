//! `/api/settings`: outbound webhook URLs must be https and public (no SSRF into Tollgate's
//! own network), thresholds are exact decimals, and each change is audited.

use reqwest::Method;
use serde_json::{Value, json};
use tollgate_domain::access::Role;

use super::support::{call, expect_error, expect_status, member, send};
use crate::helpers::TestApp;

async fn get_settings(app: &TestApp, bearer: &str) -> Value {
    let response = send(call(app, Method::GET, "/api/settings", bearer)).await;
    expect_status(response, 200).await.1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsafe_webhook_urls_are_refused_and_valid_settings_are_kept_exactly() {
    let app = TestApp::spawn().await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let before = get_settings(&app, &owner).await;
    assert_eq!(before["webhook_urls"], json!([]));
    assert_eq!(before["alert_thresholds"], json!([]));

    for url in [
        "https://127.0.0.1/x",
        "http://example.com/",
        "https://169.254.169.254/",
        "https://localhost/",
        "https://[::1]/",
        "https://10.0.0.1/",
        "https://[::ffff:127.0.0.1]/",
        "https://user:pass@93.184.216.34/",
        "not a url",
    ] {
        let request = call(&app, Method::PUT, "/api/settings", &owner)
            .json(&json!({ "display_name": "Changed", "webhook_urls": [url] }));
        let (_, body) = expect_status(send(request).await, 422).await;
        assert_eq!(body["error"]["code"], "unsafe_url", "{url}: {body}");
        assert_eq!(get_settings(&app, &owner).await, before, "{url}");
    }
    assert_eq!(
        app.count_where("audit_log", "action = 'settings.update'")
            .await,
        0
    );

    // No URLs at all.
    let request = call(&app, Method::PUT, "/api/settings", &owner)
        .json(&json!({ "display_name": "Acme", "debug_mode": true }));
    let (_, body) = expect_status(send(request).await, 200).await;
    assert_eq!(body["display_name"], "Acme");
    assert_eq!(get_settings(&app, &owner).await, body);

    // A public address literal (no DNS needed), and thresholds as JSON numbers and strings,
    // written as raw text: `0.1` and `99999999999999999.99` have no exact f64.
    let request = call(&app, Method::PUT, "/api/settings", &owner)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(
            r#"{
                "display_name": "Acme",
                "billing_contact": {"name": "Ada", "email": "ada@example.com", "address": null},
                "webhook_urls": ["https://93.184.216.34/hook"],
                "alert_thresholds": [0.1, 10, "20.50", 99999999999999999.99]
            }"#,
        );
    let (_, body) = expect_status(send(request).await, 200).await;
    let expected = json!({
        "display_name": "Acme",
        "billing_contact": { "name": "Ada", "email": "ada@example.com", "address": null },
        "tax_id": null,
        "debug_mode": false,
        // Exact values, in canonical form (trailing zeros dropped).
        "alert_thresholds": ["0.1", "10", "20.5", "99999999999999999.99"],
        "webhook_urls": ["https://93.184.216.34/hook"],
    });
    assert_eq!(body, expected);
    assert_eq!(get_settings(&app, &owner).await, expected);

    let audited = app
        .texts(
            "SELECT actor || ' ' || action || ' ' || result AS value FROM audit_log
             WHERE action = 'settings.update' ORDER BY sequence",
        )
        .await;
    assert_eq!(
        audited,
        [
            Some("user:olivia settings.update success".to_owned()),
            Some("user:olivia settings.update success".to_owned()),
        ]
    );

    // Thresholds out of order, or not numbers, change nothing.
    for thresholds in [json!([20, 10]), json!(["ten"]), json!([-1])] {
        let request = call(&app, Method::PUT, "/api/settings", &owner)
            .json(&json!({ "alert_thresholds": thresholds }));
        let (status, body) = crate::helpers::status_and_json(send(request).await).await;
        assert_eq!(status, 422, "{thresholds}: {body}");
        assert_eq!(get_settings(&app, &owner).await, expected, "{thresholds}");
    }

    // Reading needs owner or admin; a viewer cannot even read.
    let viewer = member(&app, "default", "victor", Role::Viewer).await;
    let response = send(call(&app, Method::GET, "/api/settings", &viewer)).await;
    expect_error(response, 403, "forbidden").await;
}
