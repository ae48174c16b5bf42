//! Every breakdown of `GET /api/usage` answers exactly what the stored events add up to, per
//! group, window and meter, whichever rollup table it reads, and still does after the same
//! events were delivered twice.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tollgate_application::ports::{DeliveryTarget, OutboxQueue};

use super::{embedded_meters::MISMATCHES, *};

/// (group, window start in epoch seconds, meter) -> quantity.
type Cells = BTreeMap<(String, i64, String), Decimal>;

const FROM: &str = "2026-11-24T00:00:00Z";
const TO: &str = "2026-11-30T00:00:00Z";

/// The usage_events column each `group_by` names (none: one group, the empty text). Keys are
/// told apart by the prefix of their hash the answer gives beside the alias.
const GROUPS: [(&str, &str); 7] = [
    ("", "''"),
    ("model", "model_group"),
    ("customer", "customer_id"),
    ("key", "left(api_key_hash, 8)"),
    ("team", "litellm_team_id"),
    ("provider", "provider"),
    ("status", "status"),
];

async fn answered(app: &TestApp, query: &str) -> Cells {
    let response = app
        .client
        .get(app.url(&format!("/api/usage?from={FROM}&to={TO}&{query}")))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    let (status, body) = crate::helpers::status_and_json(response).await;
    assert_eq!(status, 200, "{query}: {body}");
    let mut cells = Cells::new();
    for series in body["data"].as_array().unwrap() {
        // Null (no such attribute) stands for the empty text, as in the expected cells.
        let group = series
            .get("key_hash_prefix")
            .unwrap_or(&series["group"])
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let meter = series["meter"].as_str().unwrap().to_owned();
        for point in series["points"].as_array().unwrap() {
            let at: DateTime<Utc> = point["window_start"].as_str().unwrap().parse().unwrap();
            let value: Decimal = point["value"].as_str().unwrap().parse().unwrap();
            let previous = cells.insert((group.clone(), at.timestamp(), meter.clone()), value);
            assert_eq!(
                previous, None,
                "{query}: one point per group, window and meter"
            );
        }
    }
    cells
}

/// The same cells computed from the stored events.
async fn expected(app: &TestApp, column: &str, window: &str, customer: Option<&str>) -> Cells {
    let customer = customer.map_or_else(String::new, |c| format!("AND customer_id = '{c}'"));
    let rows = app
        .texts(&format!(
            "SELECT concat_ws('|', g, w, m.meter, m.q) AS value
             FROM (SELECT coalesce({column}, '') AS g,
                          extract(epoch FROM date_trunc('{window}', occurred_at, 'UTC'))::bigint AS w,
                          sum(prompt_tokens) AS input_tokens, sum(completion_tokens) AS output_tokens,
                          sum(cached_tokens) AS cached_tokens, sum(reasoning_tokens) AS reasoning_tokens,
                          count(*) AS requests, sum(cost_usd) AS cost_usd,
                          count(*) FILTER (WHERE cache_hit) AS cache_hits
                   FROM usage_events
                   WHERE occurred_at >= '{FROM}' AND occurred_at < '{TO}' {customer}
                   GROUP BY 1, 2) s
             CROSS JOIN LATERAL (VALUES ('input_tokens', input_tokens::numeric),
                 ('output_tokens', output_tokens::numeric), ('cached_tokens', cached_tokens::numeric),
                 ('reasoning_tokens', reasoning_tokens::numeric), ('requests', requests::numeric),
                 ('cost_usd', cost_usd), ('cache_hits', cache_hits::numeric)) AS m(meter, q)"
        ))
        .await;
    rows.into_iter()
        .map(|row| {
            let row = row.unwrap();
            let mut parts = row.split('|');
            let mut next = || parts.next().unwrap().to_owned();
            let (group, window, meter, value) = (next(), next(), next(), next());
            (
                (group, window.parse().unwrap(), meter),
                value.parse::<Decimal>().unwrap(),
            )
        })
        .collect()
}

fn normalized(cells: Cells) -> Cells {
    cells.into_iter().map(|(k, v)| (k, v.normalize())).collect()
}

/// Every group_by, at DAY and HOUR, for all customers and for one.
async fn assert_every_breakdown_matches_the_events(app: &TestApp) {
    for (group_by, column) in GROUPS {
        for window in ["day", "hour"] {
            for customer in [None, Some("cust-2")] {
                let mut query = format!("window={}", window.to_uppercase());
                if !group_by.is_empty() {
                    query.push_str(&format!("&group_by={group_by}"));
                }
                if let Some(customer) = customer {
                    query.push_str(&format!("&customer={customer}"));
                }
                let want = normalized(expected(app, column, window, customer).await);
                assert!(!want.is_empty(), "{query}: the events cover it");
                assert_eq!(normalized(answered(app, &query).await), want, "{query}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_group_by_answers_the_sums_of_the_stored_events() {
    let app = app_without_workers().await;
    post_all(&app, &varied_events(180)).await;
    drain(&dispatcher(&pool(&app), 40)).await;
    api_key(&app, "{usage:read}").await;

    assert_every_breakdown_matches_the_events(&app).await;
    let statuses = answered(&app, "window=DAY&group_by=status").await;
    let failed: Decimal = statuses
        .iter()
        .filter(|((group, _, meter), _)| group == "failure" && meter == "requests")
        .map(|(_, v)| *v)
        .sum();
    assert_eq!(failed, Decimal::from(180 / 7 + 1), "failures stay visible");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivered_events_are_not_counted_twice_in_any_breakdown() {
    let app = app_without_workers().await;
    post_all(&app, &varied_events(90)).await;
    let pool = pool(&app);
    let queue = PgOutboxQueue::new(pool.clone());
    let meter = PgEmbeddedMeter::new(pool.clone(), 100);

    // A worker's lease runs out; another takes the rows and delivers them; the first one
    // wakes up and delivers them again; a dispatcher then finds nothing left to count.
    let slow = queue
        .claim("embedded_meter", 100, Duration::from_millis(200))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fast = queue
        .claim("embedded_meter", 100, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!((slow.len(), fast.len()), (90, 90));
    meter.deliver(&fast).await;
    meter.deliver(&slow).await;
    meter.deliver(&fast).await;
    assert_eq!(drain(&dispatcher(&pool, 40)).await, 0);
    api_key(&app, "{usage:read}").await;

    assert_eq!(app.texts(MISMATCHES).await, Vec::<Option<String>>::new());
    assert_every_breakdown_matches_the_events(&app).await;
}
