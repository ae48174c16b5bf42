//! `GET /api/usage/events` and `/api/usage/events/{id}`: newest first across pages (ties in
//! one microsecond included), every filter, everything kept of one event with its deliveries,
//! and a customer's member limited to its own customer.

use reqwest::Method;
use serde_json::Value;
use tollgate_domain::access::Role;

use crate::{
    delivery::{KEY, api_key},
    helpers::{TestApp, status_and_json},
    identity::support::{batch, call, expect_error, expect_status, send, token},
};

/// Four events in the default organization, inserted out of time order, two of them in one
/// microsecond; one more in another organization.
const EVENTS: &str = r#"
INSERT INTO usage_events (organization_id, idempotency_key, occurred_at, customer_id,
    api_key_alias, model_group, status, prompt_tokens, completion_tokens, total_tokens,
    cached_tokens, reasoning_tokens, cost_usd, cache_hit, stream, request_tags)
SELECT o.id, e.*
FROM organizations o,
(VALUES
  ('call-b', '2026-11-25T10:00:00.000001Z'::timestamptz, 'cust-1', 'prod', 'gpt-4o',
   'success', 1::int8, 2::int8, 3::int8, 0::int8, 0::int8, 0.000123::numeric, false, false,
   '["a"]'::jsonb),
  ('call-a', '2026-11-25T09:00:00Z', 'cust-2', 'dev', 'claude', 'failure', 1, 0, 1, 0, 0, 0,
   false, false, '[]'),
  ('call-c', '2026-11-25T10:00:00.000001Z', 'cust-1', 'dev', 'claude', 'success', 5, 5, 10,
   0, 0, 0.5, true, true, '[]'),
  ('call-d', '2026-11-25T11:00:00Z', 'cust-2', 'prod', 'gpt-4o', 'success', 7, 7, 14, 0, 0,
   1.25, false, false, '[]')
) AS e
WHERE o.slug = 'default'
RETURNING idempotency_key AS value
"#;

async fn app_with_events() -> TestApp {
    let app = TestApp::spawn_with(|s| s.delivery.run_in_server = false).await;
    assert_eq!(app.texts(EVENTS).await.len(), 4);
    app.texts(
        "INSERT INTO organizations (id, slug, name) VALUES (gen_random_uuid(), 'other', 'Other')
         RETURNING slug AS value",
    )
    .await;
    app.texts(
        "INSERT INTO usage_events (organization_id, idempotency_key, occurred_at, customer_id,
             status, prompt_tokens, completion_tokens, total_tokens, cached_tokens,
             reasoning_tokens, cost_usd, cache_hit, stream)
         SELECT id, 'call-elsewhere', '2026-11-25T10:30:00Z', 'cust-1', 'success', 0, 0, 0, 0,
                0, 0, false, false FROM organizations WHERE slug = 'other'
         RETURNING idempotency_key AS value",
    )
    .await;
    api_key(&app, "{usage:read}").await;
    app
}

async fn page(app: &TestApp, query: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url(&format!("/api/usage/events?{query}")))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    status_and_json(response).await
}

fn keys(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["idempotency_key"].as_str().unwrap().to_owned())
        .collect()
}

async fn id_of(app: &TestApp, key: &str) -> i64 {
    app.scalar_text(&format!(
        "SELECT id::text AS value FROM usage_events WHERE idempotency_key = '{key}'"
    ))
    .await
    .unwrap()
    .parse()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_come_newest_first_page_by_page_without_skipping_a_tie() {
    let app = app_with_events().await;
    // The tie between call-b and call-c is broken by id: the later insert comes first.
    let mut seen = Vec::new();
    let mut query = "limit=1".to_owned();
    loop {
        let (status, body) = page(&app, &query).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"].as_array().unwrap().len(), 1);
        seen.extend(keys(&body));
        match body["next_cursor"].as_str() {
            Some(cursor) => query = format!("limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ["call-d", "call-c", "call-b", "call-a"]);

    let (_, body) = page(&app, "").await;
    assert_eq!(keys(&body), ["call-d", "call-c", "call-b", "call-a"]);
    assert!(body["next_cursor"].is_null());
    // Every kept field, exact cost as text; nothing of the other organization.
    let b = &body["data"][2];
    assert_eq!(b["cost_usd"], "0.000123");
    assert_eq!(b["occurred_at"], "2026-11-25T10:00:00.000001Z");
    assert_eq!(b["tags"], serde_json::json!(["a"]));
    assert_eq!(b["api_key_alias"], "prod");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_filter_narrows_the_list() {
    let app = app_with_events().await;
    for (query, expected) in [
        ("customer=cust-1", vec!["call-c", "call-b"]),
        ("model=claude", vec!["call-c", "call-a"]),
        ("status=failure", vec!["call-a"]),
        ("key_alias=prod", vec!["call-d", "call-b"]),
        (
            "from=2026-11-25T10:00:00.000001Z&to=2026-11-25T11:00:00Z",
            vec!["call-c", "call-b"],
        ),
        (
            "customer=cust-2&model=gpt-4o&status=success",
            vec!["call-d"],
        ),
        ("customer=nobody", vec![]),
    ] {
        let (status, body) = page(&app, query).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(keys(&body), expected, "{query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_filters_and_cursors_are_refused_with_their_codes() {
    let app = app_with_events().await;
    for (query, status, code) in [
        ("status=ok", 400, "invalid_query"),
        (
            "from=2026-11-26T00:00:00Z&to=2026-11-25T00:00:00Z",
            400,
            "invalid_query",
        ),
        ("from=yesterday", 400, "invalid_query"),
        ("prompt=anything", 400, "invalid_query"),
        ("cursor=bm9wZQ", 422, "invalid_cursor"),
        ("limit=0", 422, "invalid_limit"),
    ] {
        let (got, body) = page(&app, query).await;
        assert_eq!(
            (got, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{query}: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_event_shows_everything_kept_and_its_deliveries() {
    let app = app_with_events().await;
    let id = id_of(&app, "call-c").await;
    app.texts(&format!(
        "INSERT INTO outbox (event_id, organization_id, target, state, attempts, delivered_at)
         SELECT id, organization_id, 'embedded_meter', 'delivered', 1, '2026-11-25T10:00:05Z'
         FROM usage_events WHERE id = {id}
         RETURNING target AS value"
    ))
    .await;
    let response = app
        .client
        .get(app.url(&format!("/api/usage/events/{id}")))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], id);
    assert_eq!(body["idempotency_key"], "call-c");
    assert_eq!(body["cost_usd"], "0.5");
    assert_eq!(body["cache_hit"], true);
    assert_eq!(body["deliveries"][0]["target"], "embedded_meter");
    assert_eq!(body["deliveries"][0]["state"], "delivered");
    assert_eq!(body["deliveries"][0]["attempts"], 1);
    assert_eq!(
        body["deliveries"][0]["delivered_at"],
        "2026-11-25T10:00:05Z"
    );

    // Another organization's event, an unknown id and a non-number are all simply absent.
    let elsewhere = id_of(&app, "call-elsewhere").await;
    for path in [
        format!("/api/usage/events/{elsewhere}"),
        "/api/usage/events/999999999".to_owned(),
        "/api/usage/events/abc".to_owned(),
    ] {
        let response = app
            .client
            .get(app.url(&path))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        let (status, body) = status_and_json(response).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_member_sees_only_its_customers_events() {
    let app = app_with_events().await;
    batch(
        &app,
        "INSERT INTO memberships (organization_id, subject, role, customer_id)
         SELECT id, 'carla', 'customer', 'cust-1' FROM organizations WHERE slug = 'default'",
    )
    .await
    .unwrap();
    let carla = token(&app, "carla", "default", Role::Customer).await;
    // Naming another customer in the filter changes nothing: the membership decides.
    let (_, body) = expect_status(
        send(call(
            &app,
            Method::GET,
            "/api/usage/events?customer=cust-1",
            &carla,
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(keys(&body), ["call-c", "call-b"]);

    let mine = id_of(&app, "call-b").await;
    let theirs = id_of(&app, "call-d").await;
    expect_status(
        send(call(
            &app,
            Method::GET,
            &format!("/api/usage/events/{mine}?customer=cust-1"),
            &carla,
        ))
        .await,
        200,
    )
    .await;
    expect_error(
        send(call(
            &app,
            Method::GET,
            &format!("/api/usage/events/{theirs}?customer=cust-1"),
            &carla,
        ))
        .await,
        404,
        "not_found",
    )
    .await;
    // Naming a customer it does not belong to is refused outright.
    expect_error(
        send(call(
            &app,
            Method::GET,
            "/api/usage/events?customer=cust-2",
            &carla,
        ))
        .await,
        403,
        "forbidden",
    )
    .await;
}
