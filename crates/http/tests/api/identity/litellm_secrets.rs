//! `/api/settings/litellm-secrets`: secrets for the usage webhook, shown once, rotated with an
//! overlap, and revoked at once (the app forgets what it cached).

use reqwest::Method;
use serde_json::{Value, json};
use tollgate_domain::access::Role;
use uuid::Uuid;

use super::support::{call, expect_error, expect_status, member, send};
use crate::helpers::{TestApp, event_with_call_id};

/// Status of one usage webhook delivery (a new event each time) with `secret`.
async fn deliver(app: &TestApp, secret: &str) -> u16 {
    let body = serde_json::to_vec(&event_with_call_id(&Uuid::new_v4().to_string()))
        .expect("the event serializes");
    app.post_usage_with_auth(body, Some(&format!("Bearer {secret}")))
        .await
        .status()
        .as_u16()
}

fn secret_of(body: &Value) -> (String, String) {
    let id = body["id"].as_str().expect("an id").to_owned();
    let secret = body["secret"].as_str().expect("the secret").to_owned();
    (id, secret)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn litellm_secrets_are_shown_once_rotated_with_overlap_and_revoked_at_once() {
    let app = TestApp::spawn().await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let secrets = "/api/settings/litellm-secrets";

    let request = call(&app, Method::POST, secrets, &owner).json(&json!({ "label": "prod" }));
    let (_, created) = expect_status(send(request).await, 201).await;
    let (old_id, old) = secret_of(&created);
    assert_eq!(created["label"], "prod");
    assert!(old.starts_with(created["prefix"].as_str().expect("a prefix")));
    assert_eq!(deliver(&app, &old).await, 202);

    let rotate = format!("{secrets}/{old_id}/rotate");
    let (_, rotated) =
        expect_status(send(call(&app, Method::POST, &rotate, &owner)).await, 201).await;
    let (new_id, new) = secret_of(&rotated);
    assert_ne!(new_id, old_id);
    assert_ne!(new, old);
    // Its own label, and the prefix every secret shows: `whsec_` and six more characters.
    let label = rotated["label"].as_str().expect("a label");
    assert!(label.starts_with("prod (rotated 20"), "{rotated}");
    let prefix = rotated["prefix"].as_str().expect("a prefix");
    assert_eq!(prefix.len(), 12, "{rotated}");
    assert!(new.starts_with(prefix));
    assert_eq!(
        created["prefix"].as_str().map(str::len),
        Some(12),
        "{created}"
    );
    assert_eq!(
        deliver(&app, &old).await,
        202,
        "the old one works during the overlap"
    );
    assert_eq!(deliver(&app, &new).await, 202);

    // Listed, never shown again, and stored as digests only.
    let (_, list) = expect_status(send(call(&app, Method::GET, secrets, &owner)).await, 200).await;
    let listed = list["data"].as_array().expect("a list");
    assert_eq!(listed.len(), 2, "{list}");
    let old_entry = listed
        .iter()
        .find(|s| s["id"] == old_id.as_str())
        .expect("the old secret is listed");
    assert!(old_entry["expires_at"].is_string(), "{old_entry}");
    for secret in [&old, &new] {
        assert!(!list.to_string().contains(secret.as_str()));
        for row in app
            .texts("SELECT row_to_json(t)::text AS value FROM litellm_webhook_secrets t")
            .await
            .into_iter()
            .flatten()
        {
            assert!(!row.contains(secret.as_str()), "{row}");
        }
    }

    // Revoked: the very next delivery is refused; the replacement goes on working.
    let response = send(call(
        &app,
        Method::DELETE,
        &format!("{secrets}/{old_id}"),
        &owner,
    ))
    .await;
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(deliver(&app, &old).await, 401);
    assert_eq!(deliver(&app, &new).await, 202);
    let response = app
        .post_usage_with_auth(b"[]".to_vec(), Some(&format!("Bearer {old}")))
        .await;
    expect_error(response, 401, "unauthorized").await;

    // A revoked secret cannot be rotated back to life, and unknown ids are not found.
    let response = send(call(&app, Method::POST, &rotate, &owner)).await;
    expect_error(response, 404, "not_found").await;
    let response = send(call(
        &app,
        Method::DELETE,
        &format!("{secrets}/{}", Uuid::new_v4()),
        &owner,
    ))
    .await;
    expect_error(response, 404, "not_found").await;

    let actions = app
        .texts(
            "SELECT action AS value FROM audit_log WHERE action LIKE 'litellm_secret.%'
             ORDER BY sequence",
        )
        .await;
    assert_eq!(
        actions,
        [
            "litellm_secret.create",
            "litellm_secret.rotate",
            "litellm_secret.revoke"
        ]
        .map(|a| Some(a.to_owned()))
    );
    assert_eq!(app.count("usage_events").await, 4);
}
