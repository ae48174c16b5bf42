//! API keys: shown once, kept as a SHA-256 only, scoped, revoked and expired at once.

use reqwest::Method;
use serde_json::json;
use tollgate_domain::access::Role;

use super::support::{
    TOKEN_TTL, call, create_api_key, execute, expect_error, expect_status, issuer, me, member,
    org_id, send,
};
use crate::helpers::{TestApp, captured_logs};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_key_is_shown_once_stored_hashed_and_limited_to_its_scopes() {
    let app = TestApp::spawn().await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;

    let request = call(&app, Method::POST, "/api/settings/api-keys", &owner)
        .json(&json!({ "name": "reporting", "scopes": ["usage:read"] }));
    let (_, created) = expect_status(send(request).await, 201).await;
    let secret = created["secret"].as_str().expect("the secret").to_owned();
    let id = created["id"].as_str().expect("an id").to_owned();
    assert!(secret.starts_with("tg_live_"), "{secret}");
    assert!(secret.len() >= "tg_live_".len() + 40, "{secret}");
    assert_eq!(created["scopes"], json!(["usage:read"]));
    assert_eq!(created["created_by"], "user:olivia");
    assert!(secret.starts_with(created["prefix"].as_str().expect("a prefix")));

    // The list never shows it again.
    let response = send(call(&app, Method::GET, "/api/settings/api-keys", &owner)).await;
    let (_, list) = expect_status(response, 200).await;
    assert_eq!(list["data"].as_array().expect("a list").len(), 1);
    assert_eq!(list["data"][0]["id"], id.as_str());
    assert!(list["data"][0].get("secret").is_none(), "{list}");
    assert!(!list.to_string().contains(&secret));

    // Stored as 32 bytes of SHA-256, in a table with no room for the secret.
    let length = app
        .scalar_text("SELECT length(secret_sha256)::text AS value FROM api_keys")
        .await;
    assert_eq!(length.as_deref(), Some("32"));
    let columns: Vec<String> = app
        .texts(
            "SELECT column_name::text AS value FROM information_schema.columns
             WHERE table_name = 'api_keys' ORDER BY column_name",
        )
        .await
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(
        columns,
        [
            "created_at",
            "created_by",
            "display_prefix",
            "expires_at",
            "id",
            "last_used_at",
            "name",
            "organization_id",
            "revoked_at",
            "scopes",
            "secret_sha256",
        ]
    );
    for table in ["api_keys", "audit_log"] {
        let rows = app
            .texts(&format!(
                "SELECT row_to_json(t)::text AS value FROM {table} t"
            ))
            .await;
        for row in rows.into_iter().flatten() {
            assert!(!row.contains(&secret), "{table} holds the secret: {row}");
        }
    }

    // It works where its scope suffices, and only there.
    assert_eq!(
        app.scalar_text("SELECT last_used_at::text AS value FROM api_keys")
            .await,
        None
    );
    let (_, body) = expect_status(me(&app, &secret).await, 200).await;
    assert_eq!(body["actor"], format!("api_key:{id}"));
    assert_eq!(body["role"], serde_json::Value::Null);
    assert_eq!(
        body["organization"],
        org_id(&app, "default").await.to_string()
    );
    assert_eq!(body["scopes"], json!(["usage:read"]));
    assert_eq!(
        app.count_where("api_keys", "last_used_at IS NOT NULL")
            .await,
        1
    );
    let response = send(call(&app, Method::GET, "/api/settings/api-keys", &secret)).await;
    expect_error(response, 403, "forbidden").await;
    // This key cannot make keys; nor can a token hand out a scope it was narrowed away from.
    let request = call(&app, Method::POST, "/api/settings/api-keys", &secret)
        .json(&json!({ "name": "escalate", "scopes": ["settings:write"] }));
    expect_error(send(request).await, 403, "forbidden").await;
    let narrowed = issuer(&app)
        .await
        .issue(
            "olivia",
            "default",
            "owner",
            &["usage:read".into(), "settings:write".into()],
            TOKEN_TTL,
        )
        .expect("a token");
    let request = call(&app, Method::POST, "/api/settings/api-keys", &narrowed)
        .json(&json!({ "name": "escalate", "scopes": ["billing:write"] }));
    expect_error(send(request).await, 403, "forbidden").await;
    assert_eq!(app.count("api_keys").await, 1);

    // Revoked: refused on the very next request.
    let path = format!("/api/settings/api-keys/{id}");
    let response = send(call(&app, Method::DELETE, &path, &owner)).await;
    assert_eq!(response.status().as_u16(), 204);
    expect_error(me(&app, &secret).await, 401, "unauthorized").await;
    assert_eq!(
        app.count_where("api_keys", "revoked_at IS NOT NULL").await,
        1
    );
    // Revoking again, or an id that is not a key, finds nothing.
    let response = send(call(&app, Method::DELETE, &path, &owner)).await;
    assert_eq!(response.status().as_u16(), 204, "revoking is idempotent");
    let response = send(call(
        &app,
        Method::DELETE,
        "/api/settings/api-keys/not-a-uuid",
        &owner,
    ))
    .await;
    expect_error(response, 404, "not_found").await;
    assert!(
        !captured_logs().contains(&secret),
        "the API key reached the logs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_api_key_is_refused() {
    let app = TestApp::spawn().await;
    let owner = member(&app, "default", "olivia", Role::Owner).await;
    let (id, secret) = create_api_key(&app, &owner, &["usage:read"]).await;
    expect_status(me(&app, &secret).await, 200).await;

    execute(
        &app,
        &format!("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = '{id}'"),
    )
    .await
    .expect("the key is expired");
    expect_error(me(&app, &secret).await, 401, "unauthorized").await;

    // An expiry in the past is refused at creation.
    let request = call(&app, Method::POST, "/api/settings/api-keys", &owner).json(&json!({
        "name": "stale",
        "scopes": ["usage:read"],
        "expires_at": "2020-01-01T00:00:00Z",
    }));
    expect_error(send(request).await, 422, "invalid_request").await;
    // A future one is kept and shown.
    let request = call(&app, Method::POST, "/api/settings/api-keys", &owner).json(&json!({
        "name": "later",
        "scopes": ["usage:read"],
        "expires_at": "2999-01-01T00:00:00Z",
    }));
    let (_, body) = expect_status(send(request).await, 201).await;
    assert_eq!(body["expires_at"], "2999-01-01T00:00:00Z");
    let secret = body["secret"].as_str().expect("the secret");
    expect_status(me(&app, secret).await, 200).await;
}
