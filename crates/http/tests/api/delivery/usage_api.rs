//! `GET /api/usage` answers from the rollups, with the same totals in every window size and
//! time zone.

use rust_decimal::Decimal;

use super::*;

async fn usage(app: &TestApp, query: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url(&format!("/api/usage?{query}")))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    crate::helpers::status_and_json(response).await
}

fn total(body: &Value, meter: &str) -> Decimal {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["meter"] == meter)
        .flat_map(|s| s["points"].as_array().unwrap().iter())
        .map(|p| p["value"].as_str().unwrap().parse::<Decimal>().unwrap())
        .sum()
}

const RANGE: &str = "from=2026-11-24T00:00:00Z&to=2026-11-30T00:00:00Z";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totals_match_the_events_in_every_window_and_time_zone() {
    let app = app_without_workers().await;
    post_all(&app, &spread_events(120)).await;
    drain(&dispatcher(&pool(&app), 100)).await;
    api_key(&app, "{usage:read}").await;
    let cost: Decimal = app
        .scalar_text("SELECT sum(cost_usd)::text AS value FROM usage_events")
        .await
        .unwrap()
        .parse()
        .unwrap();

    for query in [
        format!("{RANGE}&window=DAY"),
        format!("{RANGE}&window=HOUR"),
        format!("{RANGE}&window=DAY&time_zone=Asia/Kolkata"),
        format!("{RANGE}&window=DAY&time_zone=America/New_York&group_by=model"),
        format!("{RANGE}&window=HOUR&time_zone=Asia/Kathmandu&group_by=customer"),
    ] {
        let (status, body) = usage(&app, &query).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(total(&body, "requests"), Decimal::from(120), "{query}");
        assert_eq!(total(&body, "cost_usd"), cost, "{query}");
    }

    let (_, by_model) = usage(&app, &format!("{RANGE}&window=DAY&group_by=model")).await;
    let models: std::collections::BTreeSet<&str> = by_model["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["group"].as_str().unwrap())
        .collect();
    assert_eq!(models.len(), 3);

    let (_, one_customer) = usage(&app, &format!("{RANGE}&window=DAY&customer=cust-1")).await;
    assert_eq!(total(&one_customer, "requests"), Decimal::from(30));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_queries_and_small_scopes_are_refused() {
    let app = app_without_workers().await;
    api_key(&app, "{usage:read}").await;
    for query in [
        format!("{RANGE}&window=WEEK"),
        format!("{RANGE}&group_by=colour"),
        format!("{RANGE}&time_zone=Mars/Olympus"),
        "from=2026-11-30T00:00:00Z&to=2026-11-24T00:00:00Z".to_owned(),
        "from=2026-01-01T00:00:00Z&to=2026-11-30T00:00:00Z&window=MINUTE".to_owned(),
        "from=yesterday&to=2026-11-30T00:00:00Z".to_owned(),
        format!("{RANGE}&colour=blue"),
    ] {
        let (status, body) = usage(&app, &query).await;
        assert!(status == 422 || status == 400, "{query}: {status} {body}");
        assert!(
            body["error"]["code"] == "invalid_query" && body["error"]["message"].is_string(),
            "{query}: {body}"
        );
    }

    app.texts("UPDATE api_keys SET scopes = '{billing:read}' RETURNING name AS value")
        .await;
    let (status, body) = usage(&app, &format!("{RANGE}&window=DAY")).await;
    assert_eq!(status, 403, "{body}");
}

async fn get_text(app: &TestApp, path: &str) -> (u16, String) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_stream_every_event_of_the_period_in_pages() {
    // Pages of 7 rows: 45 events take 7 pages, the last one partial.
    let app = TestApp::spawn_with(|settings| {
        settings.delivery.run_in_server = false;
        settings.server.export_page_rows = 7;
    })
    .await;
    post_all(&app, &spread_events(45)).await;
    api_key(&app, "{usage:read}").await;
    let cost: Decimal = app
        .scalar_text("SELECT sum(cost_usd)::text AS value FROM usage_events")
        .await
        .unwrap()
        .parse()
        .unwrap();

    let (status, csv) = get_text(&app, &format!("/api/usage/export?format=csv&{RANGE}")).await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 46, "a header and one line per event");
    assert!(lines[0].starts_with("id,idempotency_key,occurred_at"));
    let csv_cost: Decimal = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(13).unwrap().parse::<Decimal>().unwrap())
        .sum();
    assert_eq!(csv_cost, cost);

    let (status, json) = get_text(&app, &format!("/api/usage/export?format=json&{RANGE}")).await;
    assert_eq!(status, 200);
    let rows: Vec<Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(rows.len(), 45);
    let ids: std::collections::BTreeSet<i64> =
        rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 45, "no row twice across pages");

    let (status, empty) = get_text(
        &app,
        "/api/usage/export?format=json&from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z",
    )
    .await;
    assert_eq!((status, empty.as_str()), (200, "[]"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_compare_the_period_with_the_one_before() {
    let app = app_without_workers().await;
    post_all(&app, &spread_events(60)).await;
    drain(&dispatcher(&pool(&app), 100)).await;
    api_key(&app, "{usage:read}").await;

    let (status, body) = get_text(&app, &format!("/api/analytics?{RANGE}")).await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["totals"]["requests"]["current"], "60");
    assert_eq!(body["totals"]["requests"]["previous"], "0");
    assert_eq!(body["cost_by_model"].as_array().unwrap().len(), 3);
    assert_eq!(body["top_customers"].as_array().unwrap().len(), 4);
    assert_eq!(body["error_rate"], "0");
    let by_model: Decimal = body["cost_by_model"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["cost_usd"].as_str().unwrap().parse::<Decimal>().unwrap())
        .sum();
    assert_eq!(
        by_model,
        body["totals"]["cost_usd"]["current"]
            .as_str()
            .unwrap()
            .parse::<Decimal>()
            .unwrap()
    );
}
