//! `POST /api/billing/customers/{id}/portal-links`: a one-time link whose token is shown once
//! and kept only as a hash (not even in an `Idempotency-Key` replay), redeemed once before it
//! expires, each step audited.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tollgate_adapters::postgres::PgPortalLinkStore;
use tollgate_application::{
    ports::{AuditContext, SystemClock},
    services::billing::portal_links::PortalLinkService,
};
use tollgate_domain::access::Role;
use uuid::Uuid;

use crate::{
    billing::{WRITE_KEY, period_close::support},
    helpers::TestApp,
    identity::support::{call, expect_error, expect_status, member, pool, send},
};

fn path(customer: Uuid) -> String {
    format!("/api/billing/customers/{customer}/portal-links")
}

async fn create(app: &TestApp, customer: Uuid, body: &Value, bearer: &str) -> reqwest::Response {
    send(call(app, Method::POST, &path(customer), bearer).json(body)).await
}

fn token_of(body: &Value) -> String {
    let url = body["url"].as_str().unwrap();
    let (_, token) = url.split_once("/portal/links/").unwrap();
    token.to_owned()
}

/// Every row of `table` as JSON text, on one line each.
async fn every_row(app: &TestApp, table: &str) -> String {
    app.texts(&format!(
        "SELECT row_to_json(t)::text AS value FROM {table} t"
    ))
    .await
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("\n")
}

fn service(app: &TestApp) -> PortalLinkService {
    PortalLinkService::new(
        Arc::new(PgPortalLinkStore::new(pool(app))),
        Arc::new(SystemClock),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_is_shown_once_kept_as_a_hash_and_opens_its_customers_portal_once() {
    let app = support::spawn().await;
    let customer = support::customer(&app, "cust_a", "EUR").await;
    let before = Utc::now();
    let (_, body) = expect_status(
        create(
            &app,
            customer,
            &json!({"return_url": "https://app.example/billing"}),
            WRITE_KEY,
        )
        .await,
        201,
    )
    .await;
    let url = body["url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let token = token_of(&body);
    assert!(token.starts_with("tgp_") && token.len() == 68, "{token}");
    let expires_at: DateTime<Utc> = body["expires_at"].as_str().unwrap().parse().unwrap();
    let lifetime = expires_at - before;
    assert!(lifetime > TimeDelta::minutes(59) && lifetime <= TimeDelta::minutes(61));

    // Only the token's SHA-256 is stored, nowhere the token.
    let digest = hex::encode(Sha256::digest(token.as_bytes()));
    assert_eq!(
        app.count_where(
            "portal_links",
            &format!(
                "token_sha256 = '\\x{digest}'::bytea AND return_url = 'https://app.example/billing'"
            )
        )
        .await,
        1
    );
    let rows = every_row(&app, "portal_links").await;
    assert!(!rows.contains(&token[4..]), "{rows}");
    assert_eq!(
        app.count_where("audit_log", "action = 'portal_link.create'")
            .await,
        1
    );

    let context = AuditContext::default();
    let opened = service(&app)
        .redeem(&token, &context)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(opened.customer, "cust_a");
    assert_eq!(
        opened.return_url.as_deref(),
        Some("https://app.example/billing")
    );
    assert!(
        service(&app)
            .redeem(&token, &context)
            .await
            .unwrap()
            .is_none(),
        "a link works once"
    );
    assert_eq!(
        app.count_where(
            "audit_log",
            &format!(
                "action = 'portal_link.redeem' AND actor = 'portal_link:{}'",
                opened.id
            )
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_link_opens_nothing() {
    let app = support::spawn().await;
    let customer = support::customer(&app, "cust_a", "EUR").await;
    let (_, body) = expect_status(
        create(&app, customer, &json!({"expires_in": 60}), WRITE_KEY).await,
        201,
    )
    .await;
    let token = token_of(&body);
    app.texts(
        "UPDATE portal_links SET created_at = now() - interval '2 minutes',
             expires_at = now() - interval '1 second'
         RETURNING id::text AS value",
    )
    .await;
    let context = AuditContext::default();
    assert!(
        service(&app)
            .redeem(&token, &context)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_answers_without_the_link_and_refusals_keep_nothing() {
    let app = support::spawn().await;
    let customer = support::customer(&app, "cust_a", "EUR").await;
    let request = || {
        call(&app, Method::POST, &path(customer), WRITE_KEY)
            .header("Idempotency-Key", "link-1")
            .json(&json!({}))
    };
    let (_, first) = expect_status(send(request()).await, 201).await;
    let token = token_of(&first);
    let (headers, replay) = expect_status(send(request()).await, 201).await;
    assert_eq!(headers["idempotent-replayed"], "true");
    assert!(replay.get("url").is_none(), "{replay}");
    assert_eq!(replay["expires_at"], first["expires_at"]);
    // The kept answer is bytes: read as text, it holds no token.
    let kept = app
        .texts("SELECT convert_from(response_body, 'UTF8') AS value FROM idempotency_keys")
        .await;
    assert_eq!(kept.len(), 1);
    let kept = kept[0].clone().unwrap();
    assert!(
        kept.contains("expires_at") && !kept.contains(&token[4..]),
        "{kept}"
    );

    for (body, code) in [
        (
            json!({"return_url": "javascript:alert(1)"}),
            "invalid_return_url",
        ),
        (
            json!({"return_url": "http://app.example/"}),
            "invalid_return_url",
        ),
        (
            json!({"return_url": "https://u:p@app.example/"}),
            "invalid_return_url",
        ),
        (json!({"expires_in": 86_401}), "out_of_range"),
        (json!({"expires_in": 0}), "out_of_range"),
    ] {
        expect_error(create(&app, customer, &body, WRITE_KEY).await, 422, code).await;
    }
    expect_error(
        create(&app, Uuid::now_v7(), &json!({}), WRITE_KEY).await,
        404,
        "not_found",
    )
    .await;
    let viewer = member(&app, "default", "vera", Role::Viewer).await;
    expect_error(
        create(&app, customer, &json!({}), &viewer).await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(app.count("portal_links").await, 1);
}
