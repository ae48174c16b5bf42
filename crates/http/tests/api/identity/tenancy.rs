//! Organizations are walled off from each other: another organization's key is not found, its
//! list is not shown, and naming an organization one does not belong to is forbidden.

use reqwest::Method;
use tollgate_domain::access::Role;

use super::support::{
    ORG_HEADER, call, create_api_key, create_org, expect_error, expect_status, me, member, send,
};
use crate::helpers::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_organization_cannot_see_or_touch_another() {
    let app = TestApp::spawn().await;
    let beta = create_org(&app, "beta").await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let beta_owner = member(&app, "beta", "bob", Role::Owner).await;
    let (key_id, key) = create_api_key(&app, &owner, &["usage:read"]).await;

    // beta's owner cannot revoke default's key: to them it does not exist.
    let path = format!("/api/settings/api-keys/{key_id}");
    let response = send(call(&app, Method::DELETE, &path, &beta_owner)).await;
    expect_error(response, 404, "not_found").await;
    assert_eq!(
        app.count_where("api_keys", "revoked_at IS NOT NULL").await,
        0
    );
    expect_status(me(&app, &key).await, 200).await;

    // beta's list is beta's alone.
    let (_, beta_key) = create_api_key(&app, &beta_owner, &["usage:read"]).await;
    let response = send(call(
        &app,
        Method::GET,
        "/api/settings/api-keys",
        &beta_owner,
    ))
    .await;
    let (_, list) = expect_status(response, 200).await;
    let listed = list["data"].as_array().expect("a list");
    assert_eq!(listed.len(), 1, "{list}");
    assert_ne!(listed[0]["id"], key_id.as_str());
    assert!(!list.to_string().contains(&key_id));
    let (_, body) = expect_status(me(&app, &beta_key).await, 200).await;
    assert_eq!(body["organization"], beta.to_string());

    // The owner of default, naming beta (by slug or by id): not a member there.
    for name in ["beta".to_owned(), beta.to_string()] {
        let request = call(&app, Method::GET, "/api/me", &owner).header(ORG_HEADER, &name);
        expect_error(send(request).await, 403, "forbidden").await;
        let request =
            call(&app, Method::GET, "/api/settings/api-keys", &owner).header(ORG_HEADER, &name);
        expect_error(send(request).await, 403, "forbidden").await;
    }
    // Naming an organization that does not exist is no different.
    let request = call(&app, Method::GET, "/api/me", &owner).header(ORG_HEADER, "nowhere");
    expect_error(send(request).await, 403, "forbidden").await;
    // A default API key naming beta.
    let request = call(&app, Method::GET, "/api/me", &key).header(ORG_HEADER, "beta");
    expect_error(send(request).await, 403, "forbidden").await;
    // Naming its own organization is fine, for both.
    let request = call(&app, Method::GET, "/api/me", &key).header(ORG_HEADER, "default");
    expect_status(send(request).await, 200).await;
    let request = call(&app, Method::GET, "/api/me", &beta_owner).header(ORG_HEADER, "beta");
    let (_, body) = expect_status(send(request).await, 200).await;
    assert_eq!(body["organization"], beta.to_string());

    // Default's LiteLLM secret: beta's owner cannot rotate or revoke it, and it keeps working.
    let request = call(&app, Method::POST, "/api/settings/litellm-secrets", &owner)
        .json(&serde_json::json!({ "label": "default's" }));
    let (_, created) = expect_status(send(request).await, 201).await;
    let secret_id = created["id"].as_str().expect("an id");
    let secret = created["secret"].as_str().expect("the secret");
    let rotate = format!("/api/settings/litellm-secrets/{secret_id}/rotate");
    let revoke = format!("/api/settings/litellm-secrets/{secret_id}");
    let response = send(call(&app, Method::POST, &rotate, &beta_owner)).await;
    expect_error(response, 404, "not_found").await;
    let response = send(call(&app, Method::DELETE, &revoke, &beta_owner)).await;
    expect_error(response, 404, "not_found").await;
    let response = send(call(
        &app,
        Method::GET,
        "/api/settings/litellm-secrets",
        &beta_owner,
    ))
    .await;
    let (_, list) = expect_status(response, 200).await;
    assert_eq!(list["data"], serde_json::json!([]), "{list}");
    let response = app
        .post_usage_with_auth(
            crate::helpers::USAGE_SINGLE,
            Some(&format!("Bearer {secret}")),
        )
        .await;
    assert_eq!(response.status().as_u16(), 202);
    assert_eq!(
        app.count_where(
            "litellm_webhook_secrets",
            "revoked_at IS NOT NULL OR expires_at IS NOT NULL"
        )
        .await,
        0
    );

    // Each organization's audit log holds its own records only.
    let response = send(call(&app, Method::GET, "/api/audit", &beta_owner)).await;
    let (_, page) = expect_status(response, 200).await;
    let actions: Vec<&str> = page["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["action"].as_str().expect("an action"))
        .collect();
    assert_eq!(actions, ["membership.grant", "api_key.create"], "{page}");
    assert!(!page.to_string().contains(&key_id));
}
