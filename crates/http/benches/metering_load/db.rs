//! The bench database: the outbox the children drain, and the lag of its deliveries. Its own
//! module because diesel's `RunQueryDsl` is implemented for every type, and its `load` would
//! shadow `AtomicU64::load` where both are in scope.

use std::time::{Duration, Instant};

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::args::Args;
use crate::children::Children;
use crate::{BoxError, err};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
pub struct Span {
    #[diesel(sql_type = BigInt)]
    pub delivered: i64,
    #[diesel(sql_type = BigInt)]
    pub dead: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub seconds: Option<f64>,
}

#[derive(QueryableByName)]
pub struct Lag {
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    #[diesel(sql_type = BigInt)]
    pub undelivered: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub p50: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub p90: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub p99: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub max: Option<f64>,
}

pub async fn connect(url: &str) -> Result<AsyncPgConnection, BoxError> {
    if url.is_empty() {
        return Err(err("--db-url (TOLLGATE_BENCH_DB_URL) is required"));
    }
    AsyncPgConnection::establish(url)
        .await
        .map_err(|e| err(format!("cannot connect to the bench database: {e}")))
}

pub async fn pending(db: &mut AsyncPgConnection) -> Result<i64, BoxError> {
    let c: Count = diesel::sql_query("SELECT count(*) AS n FROM outbox WHERE state = 'pending'")
        .get_result(db)
        .await?;
    Ok(c.n)
}

/// Rows delivered and dead, and the seconds from the first to the last delivery.
pub async fn delivered_span(db: &mut AsyncPgConnection) -> Result<Span, BoxError> {
    Ok(diesel::sql_query(
        "SELECT count(*) FILTER (WHERE state = 'delivered') AS delivered,
                count(*) FILTER (WHERE state = 'dead') AS dead,
                extract(epoch FROM max(delivered_at) - min(delivered_at))::float8 AS seconds
         FROM outbox",
    )
    .get_result(db)
    .await?)
}

/// `delivered_at - created_at` of `target`'s rows created in [from, to) (RFC 3339).
pub async fn lag(
    db: &mut AsyncPgConnection,
    target: &str,
    from: &str,
    to: &str,
) -> Result<Lag, BoxError> {
    Ok(diesel::sql_query(
        "SELECT count(*) AS n,
                count(*) FILTER (WHERE state <> 'delivered') AS undelivered,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY s) AS p90,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY s) AS p99,
                max(s) AS max
         FROM (SELECT state, extract(epoch FROM delivered_at - created_at)::float8 AS s
               FROM outbox
               WHERE target = $1 AND created_at >= $2::timestamptz
                 AND created_at < $3::timestamptz) t",
    )
    .bind::<Text, _>(target)
    .bind::<Text, _>(from)
    .bind::<Text, _>(to)
    .get_result(db)
    .await?)
}

/// [`wait_drained`], asking the database at every poll.
pub async fn wait_all_delivered(
    db: &mut AsyncPgConnection,
    children: &mut Children,
    args: &Args,
) -> Result<Instant, BoxError> {
    wait_drained(db, children, args, || true, |_| {}).await
}

/// Polls the outbox every `--poll-ms` until nothing is pending (for `--drain-timeout` at
/// most); `gate` must hold before the database is asked, `progress` is told every poll.
/// Returns when it was first seen empty.
pub async fn wait_drained(
    db: &mut AsyncPgConnection,
    children: &mut Children,
    args: &Args,
    mut gate: impl FnMut() -> bool,
    mut progress: impl FnMut(Instant),
) -> Result<Instant, BoxError> {
    let timeout = Duration::from_secs_f64(args.drain_timeout);
    let deadline = Instant::now() + timeout;
    let mut ticker = tokio::time::interval(Duration::from_millis(args.poll_ms));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let now = Instant::now();
        children.check_alive()?;
        progress(now);
        if gate() && pending(db).await? == 0 {
            return Ok(now);
        }
        if now > deadline {
            let left = pending(db).await?;
            return Err(err(format!(
                "{left} outbox rows still pending after {timeout:?}"
            )));
        }
    }
}

#[derive(QueryableByName)]
pub struct Backlog {
    #[diesel(sql_type = BigInt)]
    pub rows: i64,
    #[diesel(sql_type = Double)]
    pub ahead_s: f64,
}

/// OpenMeter rows stored before `before` (RFC 3339) and not delivered, and how far ahead the
/// furthest of them is due (`--mode recovery`).
pub async fn backlog(db: &mut AsyncPgConnection, before: &str) -> Result<Backlog, BoxError> {
    Ok(diesel::sql_query(
        "SELECT count(*) AS rows,
                coalesce(extract(epoch FROM max(next_attempt_at) - now()), 0)::float8 AS ahead_s
         FROM outbox WHERE target = 'openmeter' AND state <> 'delivered'
           AND created_at < $1::timestamptz",
    )
    .bind::<Text, _>(before)
    .get_result(db)
    .await?)
}
