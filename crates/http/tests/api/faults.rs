//! Delivery under faults, against real PostgreSQL and local stand-ins for OpenMeter and Lago:
//! targets that fail, throttle, hang or refuse, workers that crash or race. Every test checks
//! both sides: the outbox rows, and what the stand-in received and stored. Nothing may be
//! lost, and no id may be sent by two workers within one lease.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions: a failed unwrap is a failed test"
)]

mod isolation;
mod leases;
mod recovery;
mod retries;
mod serve;
pub(crate) mod stand_in;

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
    time::{Duration, Instant},
};

use secrecy::SecretString;
use serde_json::{Value, json};
use tollgate_adapters::{
    lago::{LagoConfig, LagoEventsTarget, StaticSubscriptions},
    openmeter::{OpenMeterConfig, OpenMeterTarget},
    postgres::{self, PgOutboxQueue, PgPool, PoolSettings},
};
use tollgate_application::{
    ports::{DeliveryTarget, SystemClock},
    services::metering::dispatcher::{Dispatcher, DispatcherSettings, RoundObserver},
};
use url::Url;

use self::stand_in::{Reply, StandIn};
use crate::helpers::{TestApp, batch_body, event_with_call_id};

/// Milliseconds, for short settings.
const fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// Settings that keep the suite fast: retries within a few ms, a lease of a few hundred.
fn quick() -> DispatcherSettings {
    DispatcherSettings {
        lease: ms(400),
        idle_poll: ms(10),
        retry_schedule: vec![ms(2), ms(5), ms(10)],
        max_backoff: Duration::from_secs(5),
        give_up_after: Duration::from_secs(3600),
        probe_interval: ms(10),
        waiting_recheck: ms(50),
    }
}

/// The app with OpenMeter and/or Lago pointing at stand-ins (events are queued for the
/// targets configured at ingest), its own dispatchers on or off.
async fn app_with(openmeter: Option<&StandIn>, lago: Option<&StandIn>, workers: bool) -> TestApp {
    let openmeter = openmeter.map(StandIn::url);
    let lago = lago.map(StandIn::url);
    TestApp::spawn_with(move |settings| {
        settings.delivery.run_in_server = workers;
        settings.delivery.idle_poll_ms = 20;
        if let Some(url) = openmeter {
            settings.openmeter.url = url;
        }
        if let Some(url) = lago {
            settings.lago.url = url;
            settings.lago.api_key = Some(SecretString::from("lago-test-key"));
            settings.lago.customer_id_as_subscription = true;
        }
    })
    .await
}

fn pool(app: &TestApp) -> PgPool {
    postgres::connect(&PoolSettings {
        url: app.db_url.clone().into(),
        max_connections: 6,
        acquire_timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(5),
        statement_timeout: Duration::from_secs(30),
    })
    .unwrap()
}

/// The real OpenMeter target, at `base` (a stand-in's URL, perhaps with a path prefix).
fn openmeter_target(base: &str, batch_size: usize, timeout: Duration) -> Arc<OpenMeterTarget> {
    let mut config = OpenMeterConfig::new(Url::parse(base).unwrap());
    config.batch_size = batch_size;
    config.timeout = timeout;
    Arc::new(OpenMeterTarget::new(config).unwrap())
}

/// The real Lago target, billing each customer to the subscription named like it.
fn lago_target(stand_in: &StandIn) -> Arc<LagoEventsTarget> {
    let subscriptions =
        StaticSubscriptions::new(Default::default()).customer_id_as_subscription_id();
    let mut config = LagoConfig::new(
        Url::parse(&stand_in.url()).unwrap(),
        SecretString::from("lago-test-key"),
        Arc::new(subscriptions),
    );
    config.timeout = Duration::from_secs(2);
    Arc::new(LagoEventsTarget::new(config).unwrap())
}

fn dispatcher(
    pool: &PgPool,
    target: Arc<dyn DeliveryTarget>,
    settings: DispatcherSettings,
) -> Dispatcher {
    Dispatcher::new(
        Arc::new(PgOutboxQueue::new(pool.clone())),
        target,
        Arc::new(SystemClock),
        settings,
    )
}

fn no_observer() -> RoundObserver {
    Arc::new(|_, _| {})
}

/// `n` successful calls with call ids `{prefix}-{i}` (their idempotency keys), four customers.
fn events(prefix: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut event = event_with_call_id(&format!("{prefix}-{i}"));
            event["end_user"] = json!(format!("cust-{}", i % 4));
            event
        })
        .collect()
}

/// Posts `events` through the LiteLLM webhook; answers the keys stored.
async fn post(app: &TestApp, events: &[Value]) -> BTreeSet<String> {
    for chunk in events.chunks(100) {
        let response = app.post_usage(batch_body(chunk), "application/json").await;
        assert_eq!(response.status(), 202);
    }
    let keys: BTreeSet<String> = app
        .texts("SELECT idempotency_key AS value FROM usage_events")
        .await
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(keys.len(), events.len());
    keys
}

/// One outbox row, by its event's idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    state: String,
    attempts: usize,
    reason: String,
}

async fn rows(app: &TestApp, target: &str) -> BTreeMap<String, Row> {
    app.texts(&format!(
        "SELECT concat_ws(E'\\t', e.idempotency_key, o.state, o.attempts,
                          coalesce(o.last_error->>'reason', '')) AS value
         FROM outbox o JOIN usage_events e ON e.id = o.event_id WHERE o.target = '{target}'"
    ))
    .await
    .into_iter()
    .flatten()
    .map(|line| {
        let mut fields = line.splitn(4, '\t').map(str::to_owned);
        let mut next = || fields.next().unwrap();
        let key = next();
        let row = Row {
            state: next(),
            attempts: next().parse().unwrap(),
            reason: next(),
        };
        (key, row)
    })
    .collect()
}

/// The keys of `rows` in `state`.
fn in_state(rows: &BTreeMap<String, Row>, state: &str) -> BTreeSet<String> {
    rows.iter()
        .filter(|(_, row)| row.state == state)
        .map(|(key, _)| key.clone())
        .collect()
}

async fn pending(app: &TestApp, target: &str) -> i64 {
    app.count_where(
        "outbox",
        &format!("target = '{target}' AND state = 'pending'"),
    )
    .await
}

/// What a drain did, summed over its rounds.
#[derive(Debug, Default)]
struct Totals {
    rounds: usize,
    delivered: usize,
    retried: usize,
    dead: usize,
}

/// Runs rounds until no row of the dispatcher's target is pending, waiting briefly while
/// retries are not yet due; fails the test after `within`.
async fn drain(app: &TestApp, dispatcher: &Dispatcher, within: Duration) -> Totals {
    let deadline = Instant::now() + within;
    let mut totals = Totals::default();
    loop {
        let report = dispatcher.run_once().await.unwrap();
        if report.claimed > 0 {
            totals.rounds += 1;
            totals.delivered += report.delivered;
            totals.retried += report.retried;
            totals.dead += report.dead;
        } else if pending(app, dispatcher.target()).await == 0 {
            return totals;
        } else {
            tokio::time::sleep(ms(5)).await;
        }
        assert!(
            Instant::now() < deadline,
            "{} still has pending rows after {within:?}: {totals:?}",
            dispatcher.target()
        );
    }
}
