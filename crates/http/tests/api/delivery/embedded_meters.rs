//! Rollups equal the events they were made from, at every granularity.

use super::*;

/// Per granularity and meter: what the rollups hold minus what the stored events add up to,
/// bucketed the same way. Empty when they agree.
const MISMATCHES: &str = r"
WITH events AS (
    SELECT e.*, g.granularity, date_trunc(g.granularity, e.occurred_at, 'UTC') AS bucket
    FROM usage_events e CROSS JOIN (VALUES ('minute'), ('hour'), ('day')) AS g(granularity)
), expected AS (
    SELECT granularity, bucket, coalesce(customer_id, '') AS customer, coalesce(model_group, '') AS model,
           m.meter, sum(m.quantity) AS quantity
    FROM events CROSS JOIN LATERAL (VALUES
        ('input_tokens', prompt_tokens::numeric), ('output_tokens', completion_tokens::numeric),
        ('cached_tokens', cached_tokens::numeric), ('reasoning_tokens', reasoning_tokens::numeric),
        ('requests', 1::numeric), ('cost_usd', cost_usd),
        ('cache_hits', cache_hit::int::numeric)) AS m(meter, quantity)
    GROUP BY 1, 2, 3, 4, 5
), actual AS (
    SELECT granularity, bucket_start AS bucket, customer_id AS customer, model, meter,
           sum(quantity) AS quantity
    FROM meter_rollups GROUP BY 1, 2, 3, 4, 5
)
SELECT (coalesce(e.granularity, a.granularity) || ' ' || coalesce(e.meter, a.meter) || ' '
        || coalesce(e.quantity, 0)::text || ' != ' || coalesce(a.quantity, 0)::text) AS value
FROM expected e FULL JOIN actual a USING (granularity, bucket, customer, model, meter)
WHERE e.quantity IS DISTINCT FROM a.quantity
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollups_equal_the_stored_events_in_every_bucket_and_granularity() {
    let app = app_without_workers().await;
    let events = spread_events(240);
    post_all(&app, &events).await;
    let pool = pool(&app);

    let delivered = drain(&dispatcher(&pool, 50)).await;

    assert_eq!(delivered, 240);
    assert_eq!(app.count_where("outbox", "state = 'delivered'").await, 240);
    assert_eq!(app.texts(MISMATCHES).await, Vec::<Option<String>>::new());
    // Spread over ~65 hours: several days, many hours, a minute each.
    assert!(
        app.count_where(
            "meter_rollups",
            "granularity = 'day' AND meter = 'requests'"
        )
        .await
            >= 3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_dispatchers_at_once_count_each_event_once() {
    let app = app_without_workers().await;
    post_all(&app, &spread_events(400)).await;
    let pool = pool(&app);
    let (first, second) = (dispatcher(&pool, 25), dispatcher(&pool, 25));

    let (a, b) = tokio::join!(drain(&first), drain(&second));

    assert_eq!(a + b, 400, "every event delivered by exactly one of them");
    assert_eq!(app.texts(MISMATCHES).await, Vec::<Option<String>>::new());
    assert_eq!(
        app.scalar_text(
            "SELECT sum(quantity)::text AS value FROM meter_rollups
             WHERE granularity = 'hour' AND meter = 'requests'"
        )
        .await
        .as_deref(),
        Some("400")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_dispatches_on_its_own_by_default() {
    let app = TestApp::spawn().await;
    post_all(&app, &spread_events(30)).await;

    let mut delivered = 0;
    for _ in 0..100 {
        delivered = app.count_where("outbox", "state = 'delivered'").await;
        if delivered == 30 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(delivered, 30);
    assert_eq!(app.texts(MISMATCHES).await, Vec::<Option<String>>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_customer_by_model_rollups_agree_with_the_detailed_ones() {
    let app = app_without_workers().await;
    post_all(&app, &spread_events(150)).await;
    drain(&dispatcher(&pool(&app), 40)).await;

    let disagreements = app
        .texts(
            "WITH detailed AS (
                SELECT granularity, bucket_start, customer_id, model, meter, sum(quantity) AS q
                FROM meter_rollups GROUP BY 1, 2, 3, 4, 5
            ), narrow AS (
                SELECT granularity, bucket_start, customer_id, model, m.meter, m.q
                FROM usage_rollups CROSS JOIN LATERAL (VALUES
                    ('input_tokens', input_tokens), ('output_tokens', output_tokens),
                    ('cached_tokens', cached_tokens), ('reasoning_tokens', reasoning_tokens),
                    ('requests', requests), ('cost_usd', cost_usd), ('cache_hits', cache_hits)
                ) AS m(meter, q)
            )
            SELECT (granularity || ' ' || meter) AS value
            FROM detailed d FULL JOIN narrow n USING (granularity, bucket_start, customer_id, model, meter)
            WHERE d.q IS DISTINCT FROM n.q",
        )
        .await;
    assert_eq!(disagreements, Vec::<Option<String>>::new());
    assert!(app.count("usage_rollups").await > 0);
}
