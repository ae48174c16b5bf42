//! Rollups equal the events they were made from, at every granularity.

use super::*;

/// Per granularity, meter and cell of the rollup tables (customer x model in `usage_rollups`,
/// models over all customers, written as customer `(all)`, in `usage_model_rollups`, customer
/// x key, team, provider or status in `usage_dimension_rollups`):
/// what the tables hold against what the stored events add up to, bucketed the same way.
/// Empty when they agree.
pub(super) const MISMATCHES: &str = r"
WITH facts AS (
    SELECT g.granularity, date_trunc(g.granularity, e.occurred_at, 'UTC') AS bucket,
           coalesce(e.customer_id, '') AS customer, d.dimension, d.value, m.meter, m.quantity
    FROM usage_events e
    CROSS JOIN (VALUES ('minute'), ('hour'), ('day')) AS g(granularity)
    CROSS JOIN LATERAL (VALUES ('model', coalesce(e.model_group, '')),
        ('key', coalesce(e.api_key_hash, '')), ('team', coalesce(e.litellm_team_id, '')),
        ('provider', coalesce(e.provider, '')), ('status', e.status)) AS d(dimension, value)
    CROSS JOIN LATERAL (VALUES
        ('input_tokens', e.prompt_tokens::numeric), ('output_tokens', e.completion_tokens::numeric),
        ('cached_tokens', e.cached_tokens::numeric), ('reasoning_tokens', e.reasoning_tokens::numeric),
        ('requests', 1::numeric), ('cost_usd', e.cost_usd),
        ('cache_hits', e.cache_hit::int::numeric)) AS m(meter, quantity)
), expected AS (
    SELECT granularity, bucket, customer, dimension, value, meter, sum(quantity) AS quantity
    FROM facts GROUP BY 1, 2, 3, 4, 5, 6
    UNION ALL
    SELECT granularity, bucket, '(all)', dimension, value, meter, sum(quantity)
    FROM facts WHERE dimension = 'model' GROUP BY 1, 2, 4, 5, 6
), stored AS (
    SELECT granularity, bucket_start, customer_id, 'model' AS dimension, model AS value,
           input_tokens, output_tokens, cached_tokens, reasoning_tokens, requests, cost_usd,
           cache_hits
    FROM usage_rollups
    UNION ALL
    SELECT granularity, bucket_start, '(all)', 'model', model, input_tokens, output_tokens,
           cached_tokens, reasoning_tokens, requests, cost_usd, cache_hits
    FROM usage_model_rollups
    UNION ALL
    SELECT granularity, bucket_start, customer_id, dimension, value, input_tokens,
           output_tokens, cached_tokens, reasoning_tokens, requests, cost_usd, cache_hits
    FROM usage_dimension_rollups
), actual AS (
    SELECT granularity, bucket_start AS bucket, customer_id AS customer, dimension, value,
           m.meter, m.quantity
    FROM stored CROSS JOIN LATERAL (VALUES
        ('input_tokens', input_tokens), ('output_tokens', output_tokens),
        ('cached_tokens', cached_tokens), ('reasoning_tokens', reasoning_tokens),
        ('requests', requests), ('cost_usd', cost_usd), ('cache_hits', cache_hits)
    ) AS m(meter, quantity)
)
SELECT (coalesce(e.granularity, a.granularity) || ' ' || coalesce(e.dimension, a.dimension)
        || ' ' || coalesce(e.meter, a.meter) || ' ' || coalesce(e.quantity, 0)::text || ' != '
        || coalesce(a.quantity, 0)::text) AS value
FROM expected e FULL JOIN actual a USING (granularity, bucket, customer, dimension, value, meter)
WHERE e.quantity IS DISTINCT FROM a.quantity
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollups_equal_the_stored_events_in_every_bucket_and_granularity() {
    let app = app_without_workers().await;
    let events = varied_events(240);
    post_all(&app, &events).await;
    let pool = pool(&app);

    let delivered = drain(&dispatcher(&pool, 50)).await;

    assert_eq!(delivered, 240);
    assert_eq!(app.count_where("outbox", "state = 'delivered'").await, 240);
    assert_eq!(app.texts(MISMATCHES).await, Vec::<Option<String>>::new());
    // Spread over ~65 hours: several days, many hours, a minute each; every dimension's
    // values, failures among them.
    assert!(
        app.count_where("usage_rollups", "granularity = 'day'")
            .await
            >= 3
    );
    for (dimension, values) in [("key", 5), ("team", 3), ("provider", 3), ("status", 2)] {
        assert_eq!(
            app.scalar_text(&format!(
                "SELECT count(DISTINCT value)::text AS value FROM usage_dimension_rollups
                 WHERE dimension = '{dimension}'"
            ))
            .await
            .as_deref(),
            Some(values.to_string().as_str()),
            "{dimension}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_dispatchers_at_once_count_each_event_once() {
    let app = app_without_workers().await;
    post_all(&app, &varied_events(400)).await;
    let pool = pool(&app);
    let (first, second) = (dispatcher(&pool, 25), dispatcher(&pool, 25));

    let (a, b) = tokio::join!(drain(&first), drain(&second));

    assert_eq!(a + b, 400, "every event delivered by exactly one of them");
    assert_eq!(app.texts(MISMATCHES).await, Vec::<Option<String>>::new());
    assert_eq!(
        app.scalar_text(
            "SELECT sum(requests)::text AS value FROM usage_dimension_rollups
             WHERE granularity = 'hour' AND dimension = 'status'"
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
async fn the_migration_sums_the_models_of_rollups_already_stored() {
    let app = app_without_workers().await;
    post_all(&app, &varied_events(120)).await;
    drain(&dispatcher(&pool(&app), 50)).await;
    let emptied = app
        .texts("DELETE FROM usage_model_rollups RETURNING model AS value")
        .await;
    assert!(!emptied.is_empty(), "the dispatcher wrote model totals");
    assert_ne!(app.texts(MISMATCHES).await, Vec::<Option<String>>::new());

    let up = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../migrations/2026-12-06-400001_usage_model_rollups/up.sql"
    ));
    let backfill = &up[up.find("INSERT INTO").unwrap()..];
    app.texts(&format!(
        "{} RETURNING model AS value",
        backfill.trim_end().trim_end_matches(';')
    ))
    .await;

    assert_eq!(app.texts(MISMATCHES).await, Vec::<Option<String>>::new());
}
