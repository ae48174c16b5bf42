//! The endpoints API's refusals: every route's 4xx, and another organization's objects 404.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use tollgate_domain::access::Role;

use super::{ENDPOINTS, create, owner, receiver::Receiver, send_test, spawn_private, wait_state};
use crate::{
    helpers::TestApp,
    identity::support::{
        call, create_api_key, create_org, expect_error, expect_status, member, pool, send,
    },
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_what_it_must_and_other_organizations_objects_are_not_found() {
    let app = spawn_private().await;
    let owner = owner(&app).await;
    let receiver = Receiver::start(vec![]).await;
    let (id, _) = create(&app, &owner, &receiver.url, &["invoice.paid"]).await;
    let message = send_test(&app, &owner, &id).await;
    wait_state(&app, &message, "delivered", Duration::from_secs(10)).await;

    // Bodies the API refuses.
    for (body, code) in [
        (
            json!({ "url": "https://93.184.216.34/", "event_types": ["invoice.exploded"] }),
            "unknown_event_type",
        ),
        (json!({ "url": "ftp://93.184.216.34/" }), "unsafe_url"),
        (json!({ "url": "https://u:p@93.184.216.34/" }), "unsafe_url"),
        (json!({ "url": "" }), "invalid_request"),
        (
            json!({ "url": "https://93.184.216.34/", "secret": "mine" }),
            "invalid_json",
        ),
    ] {
        let request = call(&app, Method::POST, ENDPOINTS, &owner).json(&body);
        let status = if code == "invalid_json" { 400 } else { 422 };
        expect_error(send(request).await, status, code).await;
    }
    let one = format!("{ENDPOINTS}/{id}");
    let request = call(&app, Method::PATCH, &one, &owner).json(&json!({ "event_types": ["nope"] }));
    expect_error(send(request).await, 422, "unknown_event_type").await;
    let elsewhere = Receiver::start(vec![]).await;
    let request = call(&app, Method::PATCH, &one, &owner).json(&json!({ "url": elsewhere.url }));
    let (_, patched) = expect_status(send(request).await, 200).await;
    assert_eq!(patched["url"], elsewhere.url.as_str());
    assert_eq!(
        patched["event_types"],
        json!(["invoice.paid"]),
        "left as it was"
    );
    assert!(patched.get("secret").is_none());
    let resend = format!("{one}/resend");
    for body in [
        json!({}),
        json!({ "message_id": message, "failed_since": "2026-01-01T00:00:00Z" }),
    ] {
        let request = call(&app, Method::POST, &resend, &owner).json(&body);
        expect_error(send(request).await, 422, "invalid_request").await;
    }
    let request =
        call(&app, Method::POST, &resend, &owner).json(&json!({ "message_id": "msg_nope" }));
    expect_error(send(request).await, 404, "not_found").await;
    let deliveries = format!("{one}/deliveries?status=lost");
    expect_error(
        send(call(&app, Method::GET, &deliveries, &owner)).await,
        422,
        "invalid_value",
    )
    .await;
    let deliveries = format!("{one}/deliveries?type=invoice.exploded");
    expect_error(
        send(call(&app, Method::GET, &deliveries, &owner)).await,
        422,
        "unknown_event_type",
    )
    .await;

    // Scopes: `usage:read` reads as `GET /api/settings` does, but neither changes anything
    // nor reveals the secret, which needs `settings:write`.
    let (_, reader) = create_api_key(&app, &owner, &["usage:read"]).await;
    expect_status(send(call(&app, Method::GET, &one, &reader)).await, 200).await;
    let secret = format!("{one}/secret");
    expect_error(
        send(call(&app, Method::GET, &secret, &reader)).await,
        403,
        "forbidden",
    )
    .await;
    let rotate = format!("{one}/rotate-secret");
    expect_error(
        send(call(&app, Method::POST, &rotate, &reader)).await,
        403,
        "forbidden",
    )
    .await;

    // Roles: a viewer reads nothing here; without credentials, 401.
    let viewer = member(&app, "default", "vera", Role::Viewer).await;
    expect_error(
        send(call(&app, Method::GET, ENDPOINTS, &viewer)).await,
        403,
        "forbidden",
    )
    .await;
    let anonymous = app
        .client
        .get(app.url(ENDPOINTS))
        .send()
        .await
        .expect("an answer");
    expect_error(anonymous, 401, "unauthorized").await;

    // Another organization's owner finds none of it, under any route.
    create_org(&app, "beta").await;
    let other = member(&app, "beta", "bob", Role::Owner).await;
    let (_, list) =
        expect_status(send(call(&app, Method::GET, ENDPOINTS, &other)).await, 200).await;
    assert_eq!(list["data"], json!([]));
    let routes = [
        (Method::GET, one.clone(), None),
        (
            Method::PATCH,
            one.clone(),
            Some(json!({ "description": "mine now" })),
        ),
        (Method::POST, format!("{one}/rotate-secret"), None),
        (Method::GET, format!("{one}/secret"), None),
        (Method::POST, format!("{one}/test"), None),
        (Method::POST, format!("{one}/enable"), None),
        (Method::GET, format!("{one}/deliveries"), None),
        (
            Method::POST,
            resend.clone(),
            Some(json!({ "message_id": message })),
        ),
        (Method::GET, format!("{ENDPOINTS}/messages/{message}"), None),
        (Method::DELETE, one.clone(), None),
        (Method::GET, format!("{ENDPOINTS}/not-a-uuid"), None),
    ];
    for (method, path, body) in routes {
        let mut request = call(&app, method.clone(), &path, &other);
        if let Some(body) = body {
            request = request.json(&body);
        }
        expect_error(send(request).await, 404, "not_found").await;
    }
    // Nothing of it changed, and its owner still deletes it.
    let (_, kept) = expect_status(send(call(&app, Method::GET, &one, &owner)).await, 200).await;
    assert_eq!(kept["description"], "");
    let response = send(call(&app, Method::DELETE, &one, &owner)).await;
    assert_eq!(response.status(), 204);
    expect_error(
        send(call(&app, Method::GET, &one, &owner)).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.count_where("audit_log", "action LIKE 'webhook_endpoint.%'")
            .await,
        3,
        "create, update, delete"
    );
}

/// What the settings' `webhook_urls` held becomes endpoints, each with its own secret sealed
/// under the installation's key (the app opens it), and the field is emptied: a second pass
/// makes nothing more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_settings_webhook_urls_become_endpoints_with_their_own_secrets() {
    use std::sync::Arc;

    use tollgate_adapters::postgres::{
        installation_secret,
        outbound_webhooks::{
            adopt_settings_urls,
            sealing::{KEY_NAME, SecretSealer},
        },
    };

    let app = TestApp::spawn_with(|settings| {
        settings.delivery.run_in_server = false;
    })
    .await;
    let owner = owner(&app).await;
    app.texts(
        "WITH u AS (INSERT INTO organization_settings (organization_id, webhook_urls)
             SELECT id, '[\"https://93.184.216.34/a\", \"https://93.184.216.34/b\"]'::jsonb
             FROM organizations WHERE slug = 'default'
         ON CONFLICT (organization_id) DO UPDATE SET webhook_urls = EXCLUDED.webhook_urls
         RETURNING 1) SELECT NULL::text AS value FROM u",
    )
    .await;
    let pool = pool(&app);
    let key = installation_secret(&pool, KEY_NAME)
        .await
        .expect("the app's key");
    let sealer = Arc::new(SecretSealer::new(&key).expect("32 bytes"));
    assert_eq!(
        adopt_settings_urls(&pool, Arc::clone(&sealer))
            .await
            .expect("adopted"),
        2
    );
    assert_eq!(
        adopt_settings_urls(&pool, sealer)
            .await
            .expect("nothing left"),
        0
    );

    let (_, list) =
        expect_status(send(call(&app, Method::GET, ENDPOINTS, &owner)).await, 200).await;
    let endpoints = list["data"].as_array().expect("endpoints");
    let urls: Vec<&str> = endpoints
        .iter()
        .map(|e| e["url"].as_str().expect("a url"))
        .collect();
    assert_eq!(urls, ["https://93.184.216.34/a", "https://93.184.216.34/b"]);
    let mut secrets = Vec::new();
    for endpoint in endpoints {
        assert_eq!(endpoint["event_types"], json!([]), "every type");
        let path = format!(
            "{ENDPOINTS}/{}/secret",
            endpoint["id"].as_str().expect("an id")
        );
        let (_, revealed) =
            expect_status(send(call(&app, Method::GET, &path, &owner)).await, 200).await;
        secrets.push(revealed["secret"].as_str().expect("a secret").to_owned());
    }
    assert!(secrets.iter().all(|s| s.starts_with("whsec_")));
    assert_ne!(secrets[0], secrets[1], "one random secret per endpoint");
    assert_eq!(
        app.scalar_text("SELECT webhook_urls::text AS value FROM organization_settings")
            .await
            .as_deref(),
        Some("[]")
    );
    assert_eq!(
        app.count_where(
            "audit_log",
            "action = 'webhook_endpoint.create' AND actor = 'system'"
        )
        .await,
        2
    );
}
