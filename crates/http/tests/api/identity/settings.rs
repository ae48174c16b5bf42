//! `/api/settings`: thresholds are exact decimals, each change is audited, and the old
//! `webhook_urls` is refused by name (outbound webhooks are endpoints now).

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
async fn webhook_urls_is_refused_by_name_and_valid_settings_are_kept_exactly() {
    let app = TestApp::spawn().await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let before = get_settings(&app, &owner).await;
    assert!(before.get("webhook_urls").is_none(), "{before}");
    assert_eq!(before["alert_thresholds"], json!([]));

    let mut with_urls = whole();
    with_urls["webhook_urls"] = json!(["https://93.184.216.34/hook"]);
    for (method, body) in [
        (
            Method::PATCH,
            json!({ "display_name": "Changed", "webhook_urls": [] }),
        ),
        (Method::PATCH, json!({ "webhook_urls": null })),
        (Method::PUT, with_urls),
    ] {
        let request = call(&app, method, "/api/settings", &owner).json(&body);
        let (_, answer) = expect_status(send(request).await, 422).await;
        assert_eq!(answer["error"]["code"], "moved_field", "{answer}");
        let message = answer["error"]["message"].as_str().expect("a message");
        assert!(message.contains("/api/settings/webhooks"), "{message}");
        assert_eq!(get_settings(&app, &owner).await, before);
    }
    assert_eq!(
        app.count_where("audit_log", "action = 'settings.update'")
            .await,
        0
    );

    let request = call(&app, Method::PUT, "/api/settings", &owner).json(&json!({
        "display_name": "Acme", "billing_contact": null, "tax_id": null, "net_terms_days": null,
        "debug_mode": true, "alert_thresholds": []
    }));
    let (_, body) = expect_status(send(request).await, 200).await;
    assert_eq!(body["display_name"], "Acme");
    assert_eq!(get_settings(&app, &owner).await, body);

    // Thresholds as JSON numbers and strings, written as raw text: `0.1` and `99999999999999999.99` have no exact f64.
    let request = call(&app, Method::PUT, "/api/settings", &owner)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(
            r#"{
                "display_name": "Acme",
                "billing_contact": {"name": "Ada", "email": "ada@example.com", "address": null},
                "tax_id": null,
                "net_terms_days": null,
                "debug_mode": false,
                "alert_thresholds": [0.1, 10, "20.50", 99999999999999999.99]
            }"#,
        );
    let (_, body) = expect_status(send(request).await, 200).await;
    let expected = json!({
        "display_name": "Acme",
        "billing_contact": { "name": "Ada", "email": "ada@example.com", "address": null },
        "tax_id": null,
        "net_terms_days": null,
        "debug_mode": false,
        // Exact values, in canonical form (trailing zeros dropped).
        "alert_thresholds": ["0.1", "10", "20.5", "99999999999999999.99"],
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
        let request = call(&app, Method::PATCH, "/api/settings", &owner)
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

/// A whole document: `PUT` takes nothing less.
fn whole() -> Value {
    json!({
        "display_name": "Acme",
        "billing_contact": { "name": "Ada", "email": "ada@example.com", "address": "1 Main St" },
        "tax_id": "FR40303265045",
        "net_terms_days": 45,
        "debug_mode": true,
        "alert_thresholds": ["10", "20.5"],
    })
}

async fn audit_targets(app: &TestApp) -> Vec<Option<String>> {
    app.texts(
        "SELECT target AS value FROM audit_log WHERE action = 'settings.update' ORDER BY sequence",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_without_every_field_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let request = call(&app, Method::PUT, "/api/settings", &owner).json(&whole());
    let (_, saved) = expect_status(send(request).await, 200).await;
    assert_eq!(saved, whole());

    // One field only: it used to wipe the five others.
    let request = call(&app, Method::PUT, "/api/settings", &owner)
        .json(&json!({ "display_name": "Renamed" }));
    let (_, body) = expect_status(send(request).await, 422).await;
    assert_eq!(body["error"]["code"], "missing_field", "{body}");
    let message = body["error"]["message"].as_str().expect("a message");
    assert!(message.contains("`billing_contact`"), "{message}");
    // Each field is required; `null` is a value, so it is given.
    for field in [
        "display_name",
        "billing_contact",
        "tax_id",
        "net_terms_days",
        "debug_mode",
        "alert_thresholds",
    ] {
        let mut partial = whole();
        partial.as_object_mut().expect("an object").remove(field);
        let request = call(&app, Method::PUT, "/api/settings", &owner).json(&partial);
        let (_, body) = expect_status(send(request).await, 422).await;
        assert_eq!(body["error"]["code"], "missing_field", "{field}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(&format!("`{field}`"))),
            "{field}: {body}"
        );
    }
    assert_eq!(get_settings(&app, &owner).await, whole());
    assert_eq!(audit_targets(&app).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_changes_what_it_names_and_keeps_the_rest() {
    let app = TestApp::spawn().await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let request = call(&app, Method::PUT, "/api/settings", &owner).json(&whole());
    expect_status(send(request).await, 200).await;
    let patch = |body: Value| send(call(&app, Method::PATCH, "/api/settings", &owner).json(&body));

    // One field: the others stay.
    let (_, saved) = expect_status(patch(json!({ "display_name": "Acme SAS" })).await, 200).await;
    let mut expected = whole();
    expected["display_name"] = json!("Acme SAS");
    assert_eq!(saved, expected);
    assert_eq!(get_settings(&app, &owner).await, expected);

    // An object is merged into the contact: its e-mail changes, its address goes (`null`).
    let change = json!({ "billing_contact": { "email": "billing@acme.example", "address": null } });
    let (_, saved) = expect_status(patch(change).await, 200).await;
    expected["billing_contact"] = json!({ "name": "Ada", "email": "billing@acme.example",
                                          "address": null });
    assert_eq!(saved, expected);

    // Thresholds as raw numbers keep every digit.
    let response = send(
        call(&app, Method::PATCH, "/api/settings", &owner)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/merge-patch+json",
            )
            .body(r#"{"alert_thresholds": [0.1, 99999999999999999.99]}"#),
    )
    .await;
    let (_, saved) = expect_status(response, 200).await;
    expected["alert_thresholds"] = json!(["0.1", "99999999999999999.99"]);
    assert_eq!(saved, expected);

    // The merged document is checked as a whole and a refused patch changes nothing; so is
    // an unknown field.
    let (_, body) = expect_status(patch(json!({ "alert_thresholds": [5, 1] })).await, 422).await;
    assert_eq!(body["error"]["code"], "invalid_value", "{body}");
    let (_, body) = expect_status(
        patch(json!({ "billing_contact": { "email": "nope" } })).await,
        422,
    )
    .await;
    assert_eq!(body["error"]["code"], "invalid_request", "{body}");
    let (_, body) = expect_status(patch(json!({ "colour": "red" })).await, 400).await;
    assert_eq!(body["error"]["code"], "invalid_json", "{body}");
    assert_eq!(get_settings(&app, &owner).await, expected);

    // Each change is audited with the fields it changed.
    assert_eq!(
        audit_targets(&app).await,
        [
            Some("settings:display_name,billing_contact,tax_id,net_terms_days,debug_mode,alert_thresholds".to_owned()),
            Some("settings:display_name".to_owned()),
            Some("settings:billing_contact".to_owned()),
            Some("settings:alert_thresholds".to_owned()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_with_null_resets_a_field_to_its_default() {
    let app = TestApp::spawn().await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let request = call(&app, Method::PUT, "/api/settings", &owner).json(&whole());
    expect_status(send(request).await, 200).await;

    let change = json!({ "tax_id": null, "billing_contact": null, "debug_mode": null,
                         "net_terms_days": null });
    let request = call(&app, Method::PATCH, "/api/settings", &owner).json(&change);
    let (_, saved) = expect_status(send(request).await, 200).await;
    let mut expected = whole();
    expected["tax_id"] = Value::Null;
    expected["net_terms_days"] = Value::Null;
    expected["billing_contact"] = Value::Null;
    expected["debug_mode"] = json!(false);
    assert_eq!(saved, expected);
    assert_eq!(get_settings(&app, &owner).await, expected);
    assert_eq!(
        app.scalar_text("SELECT tax_id AS value FROM organization_settings")
            .await,
        None
    );

    // A contact made by a patch needs its name and e-mail.
    let request = call(&app, Method::PATCH, "/api/settings", &owner)
        .json(&json!({ "billing_contact": { "email": "ada@example.com" } }));
    let (_, body) = expect_status(send(request).await, 400).await;
    assert_eq!(body["error"]["code"], "invalid_json", "{body}");
    assert_eq!(get_settings(&app, &owner).await, expected);
}
