//! How breakdowns name their groups: keys by their alias with a prefix of their hash beside
//! it, and the group of calls without the attribute (no team, no key, no customer) as `null`.

use std::collections::BTreeSet;

use super::*;

const PERIOD: &str = "from=2026-11-24T00:00:00Z&to=2026-11-30T00:00:00Z";

async fn get_json(app: &TestApp, path: &str) -> Value {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    let (status, body) = crate::helpers::status_and_json(response).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// A group as the set of [`groups`] holds it: JSON text (`"prod"`, `null`), which is ordered.
type Named = (String, Option<String>);

/// (group, key_hash_prefix) as JSON text.
fn named(group: Value, key_hash_prefix: Option<Value>) -> Named {
    (group.to_string(), key_hash_prefix.map(|p| p.to_string()))
}

/// The `requests` series of a breakdown, each as (group, key_hash_prefix); the prefix is
/// `None` when the series has no such field.
async fn groups(app: &TestApp, group_by: &str) -> BTreeSet<Named> {
    let body = get_json(
        app,
        &format!("/api/usage?{PERIOD}&window=DAY&group_by={group_by}"),
    )
    .await;
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|series| series["meter"] == "requests")
        .map(|series| {
            let group = series
                .get("group")
                .cloned()
                .expect("a grouped series names its group");
            named(group, series.get("key_hash_prefix").cloned())
        })
        .collect()
}

/// A call by no key and for no customer (no end user, no key user to fall back on).
fn anonymous_event() -> Value {
    let mut event = spread_events(1).remove(0);
    event["litellm_call_id"] = json!("anonymous");
    event["end_user"] = Value::Null;
    let metadata = &mut event["metadata"];
    for field in [
        "user_api_key_hash",
        "user_api_key_alias",
        "user_api_key_end_user_id",
        "user_api_key_user_id",
        "user_api_key_team_id",
    ] {
        metadata[field] = Value::Null;
    }
    event
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_show_their_alias_beside_a_hash_prefix_and_missing_groups_are_null() {
    let app = app_without_workers().await;
    let mut events = varied_events(20);
    events.push(anonymous_event());
    post_all(&app, &events).await;
    drain(&dispatcher(&pool(&app), 100)).await;
    api_key(&app, "{usage:read}").await;

    let prefix = |n: u32| Some(json!(format!("bee{n}0000")));
    assert_eq!(
        groups(&app, "key").await,
        BTreeSet::from([
            named(json!("prod"), prefix(0)),
            named(json!("staging"), prefix(1)),
            named(Value::Null, prefix(2)),
            named(json!("prod"), prefix(3)),
            named(Value::Null, prefix(4)),
            // Calls made without a key.
            named(Value::Null, Some(Value::Null)),
        ])
    );
    assert_eq!(
        groups(&app, "team").await,
        BTreeSet::from([
            named(json!("team-a"), None),
            named(json!("team-b"), None),
            named(Value::Null, None),
        ])
    );
    assert!(
        groups(&app, "customer")
            .await
            .contains(&named(Value::Null, None)),
        "the calls of no customer"
    );

    let analytics = get_json(&app, &format!("/api/analytics?{PERIOD}")).await;
    let customers: Vec<&Value> = analytics["top_customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["customer"])
        .collect();
    assert!(customers.contains(&&Value::Null), "{analytics}");
    assert!(!customers.contains(&&json!("")), "{analytics}");
}

/// One call by key `bee5...` at `end` (epoch seconds) under `alias`.
fn aliased(call_id: &str, end: f64, alias: &str) -> Value {
    let mut event = spread_events(1).remove(0);
    event["litellm_call_id"] = json!(call_id);
    event["endTime"] = json!(end);
    event["startTime"] = json!(end - 0.5);
    event["metadata"]["user_api_key_hash"] = json!(format!("bee5{}", "0".repeat(60)));
    event["metadata"]["user_api_key_alias"] = json!(alias);
    event
}

async fn alias_of_bee5(app: &TestApp) -> Option<String> {
    app.scalar_text(
        "SELECT alias AS value FROM litellm_key_aliases WHERE api_key_hash LIKE 'bee5%'",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renamed_key_shows_its_latest_alias_whatever_order_events_arrive_in() {
    let app = app_without_workers().await;
    // 2026-11-25 around 10:00 UTC.
    let t = 1_795_601_000.0;
    post_all(&app, &[aliased("first", t, "laptop")]).await;
    assert_eq!(alias_of_bee5(&app).await.as_deref(), Some("laptop"));
    post_all(&app, &[aliased("renamed", t + 60.0, "ci-runner")]).await;
    assert_eq!(alias_of_bee5(&app).await.as_deref(), Some("ci-runner"));
    // A late delivery of an older call does not take the new name back; within one batch,
    // the latest call names the key.
    post_all(&app, &[aliased("late", t + 30.0, "laptop")]).await;
    post_all(
        &app,
        &[
            aliased("batch-new", t + 120.0, "build-bot"),
            aliased("batch-old", t + 90.0, "old-name"),
        ],
    )
    .await;
    assert_eq!(alias_of_bee5(&app).await.as_deref(), Some("build-bot"));

    drain(&dispatcher(&pool(&app), 100)).await;
    api_key(&app, "{usage:read}").await;
    assert_eq!(
        groups(&app, "key").await,
        BTreeSet::from([named(json!("build-bot"), Some(json!("bee50000")))])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migration_names_keys_from_the_events_already_stored() {
    let app = app_without_workers().await;
    let t = 1_795_601_000.0;
    post_all(
        &app,
        &[
            aliased("a", t, "laptop"),
            aliased("b", t + 60.0, "ci-runner"),
        ],
    )
    .await;
    app.texts("DELETE FROM litellm_key_aliases RETURNING alias AS value")
        .await;
    let up = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../migrations/2026-12-06-300001_litellm_key_aliases/up.sql"
    ));
    let backfill = &up[up.find("INSERT INTO").unwrap()..];
    let backfill = backfill.trim_end().trim_end_matches(';');
    app.texts(&format!("{backfill} RETURNING alias AS value"))
        .await;
    assert_eq!(alias_of_bee5(&app).await.as_deref(), Some("ci-runner"));
}
