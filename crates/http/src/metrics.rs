//! Prometheus metrics, served as text on `GET /metrics`.
//!
//! Every series Tollgate knows of is there from the start, at zero (each outcome, each
//! configured target with each outcome and outbox state): a `rate()` or an alert on a series
//! that appears only with its first event misses that event and reads "no data" until then.

use std::{
    collections::BTreeSet,
    sync::{Mutex, PoisonError},
    time::Duration,
};

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use tollgate_adapters::postgres::PgPool;
use tollgate_application::{ports::OutboxDepth, services::metering::dispatcher::RoundReport};

pub struct Metrics {
    registry: Registry,
    pub events: IntCounterVec,
    pub alerts: IntCounterVec,
    /// Lago webhooks handled, by outcome (`ViewOutcome::as_str`, or `invalid_signature`).
    pub lago_webhooks: IntCounterVec,
    pub request_duration: HistogramVec,
    pool_connections: IntGaugeVec,
    pub deliveries: IntCounterVec,
    pub delivery_latency: HistogramVec,
    outbox_depth: IntGaugeVec,
    outbox_oldest_age: IntGaugeVec,
    target_down: IntGaugeVec,
    /// Every (target, state) the outbox gauges were ever set for: zeroed, never removed, when a
    /// reading no longer has them.
    outbox_series: Mutex<BTreeSet<(String, String)>>,
    ingest_queue_depth: IntGauge,
    commit_duration: Histogram,
    events_per_commit: Histogram,
    /// `process_*` (memory, CPU, file descriptors), unprefixed as every exporter names them.
    process: Registry,
}

/// The outcomes of each counter, for their zero series.
const EVENT_OUTCOMES: [&str; 3] = ["accepted", "duplicate", "quarantined"];
const ALERT_OUTCOMES: [&str; 2] = ["stored", "duplicate"];
const LAGO_WEBHOOK_OUTCOMES: [&str; 7] = [
    "applied",
    "duplicate",
    "unchanged",
    "unknown_customer",
    "unknown_subscription",
    "receipt_only",
    "invalid_signature",
];
const DELIVERY_OUTCOMES: [&str; 4] = ["delivered", "retried", "dead", "waiting"];
/// The outbox states not yet delivered (`outbox.state`).
const OUTBOX_STATES: [&str; 2] = ["pending", "dead"];

impl Metrics {
    /// The metrics of a process delivering to `targets` (`Settings::delivery_targets`).
    ///
    /// # Errors
    /// Only if two metrics were given one name, which is a programming error.
    pub fn new(targets: &[String]) -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("tollgate".into()), None)?;
        let events = IntCounterVec::new(
            Opts::new(
                "webhook_events_total",
                "LiteLLM usage events received, by outcome (accepted, duplicate, quarantined)",
            ),
            &["outcome"],
        )?;
        let alerts = IntCounterVec::new(
            Opts::new(
                "budget_alerts_total",
                "LiteLLM budget alerts received, by outcome (stored, duplicate)",
            ),
            &["outcome"],
        )?;
        let lago_webhooks = IntCounterVec::new(
            Opts::new(
                "lago_webhooks_total",
                "Lago webhooks received, by outcome (applied, duplicate, unchanged, \
                 unknown_customer, unknown_subscription, receipt_only, invalid_signature)",
            ),
            &["outcome"],
        )?;
        let request_duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time to answer HTTP requests, by route and status",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["method", "route", "status"],
        )?;
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Database pool connections, by state (in_use, idle, max)",
            ),
            &["state"],
        )?;
        let deliveries = IntCounterVec::new(
            Opts::new(
                "outbox_deliveries_total",
                "Outbox items settled, by target and outcome (delivered, retried, dead, waiting)",
            ),
            &["target", "outcome"],
        )?;
        let delivery_latency = HistogramVec::new(
            HistogramOpts::new(
                "outbox_delivery_latency_seconds",
                "From an event being stored to its delivery, by target",
            )
            .buckets(vec![
                0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 15.0, 60.0, 300.0, 3600.0,
            ]),
            &["target"],
        )?;
        let outbox_depth = IntGaugeVec::new(
            Opts::new(
                "outbox_depth",
                "Outbox rows not delivered, by target and state",
            ),
            &["target", "state"],
        )?;
        let outbox_oldest_age = IntGaugeVec::new(
            Opts::new(
                "outbox_oldest_age_seconds",
                "Age of the oldest undelivered outbox row, by target and state",
            ),
            &["target", "state"],
        )?;
        let target_down = IntGaugeVec::new(
            Opts::new(
                "outbox_target_down",
                "1 while a delivery target fails as a whole and gets only probes, by target",
            ),
            &["target"],
        )?;
        let build_info = IntGaugeVec::new(
            Opts::new(
                "build_info",
                "Always 1: the running build's version and commit (TOLLGATE_GIT_COMMIT at build)",
            ),
            &["version", "commit"],
        )?;
        build_info
            .with_label_values(&[
                env!("CARGO_PKG_VERSION"),
                option_env!("TOLLGATE_GIT_COMMIT").unwrap_or("unknown"),
            ])
            .set(1);
        let ingest_queue_depth = IntGauge::with_opts(Opts::new(
            "ingest_queue_depth",
            "Webhook requests waiting for a group-commit writer",
        ))?;
        let commit_duration = Histogram::with_opts(
            HistogramOpts::new(
                "ingest_commit_duration_seconds",
                "Time of one group-commit transaction storing usage events",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
        )?;
        let events_per_commit = Histogram::with_opts(
            HistogramOpts::new(
                "ingest_events_per_commit",
                "Usage events (stored and quarantined) per group-commit transaction",
            )
            .buckets(vec![
                1.0, 10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2000.0, 5000.0,
            ]),
        )?;
        registry.register(Box::new(build_info))?;
        registry.register(Box::new(ingest_queue_depth.clone()))?;
        registry.register(Box::new(commit_duration.clone()))?;
        registry.register(Box::new(events_per_commit.clone()))?;
        registry.register(Box::new(target_down.clone()))?;
        registry.register(Box::new(deliveries.clone()))?;
        registry.register(Box::new(delivery_latency.clone()))?;
        registry.register(Box::new(outbox_depth.clone()))?;
        registry.register(Box::new(outbox_oldest_age.clone()))?;
        registry.register(Box::new(events.clone()))?;
        registry.register(Box::new(alerts.clone()))?;
        registry.register(Box::new(lago_webhooks.clone()))?;
        registry.register(Box::new(request_duration.clone()))?;
        registry.register(Box::new(pool_connections.clone()))?;
        for outcome in EVENT_OUTCOMES {
            events.with_label_values(&[outcome]);
        }
        for outcome in ALERT_OUTCOMES {
            alerts.with_label_values(&[outcome]);
        }
        for outcome in LAGO_WEBHOOK_OUTCOMES {
            lago_webhooks.with_label_values(&[outcome]);
        }
        let mut outbox_series = BTreeSet::new();
        for target in targets {
            for outcome in DELIVERY_OUTCOMES {
                deliveries.with_label_values(&[target.as_str(), outcome]);
            }
            delivery_latency.with_label_values(&[target.as_str()]);
            target_down.with_label_values(&[target.as_str()]).set(0);
            for state in OUTBOX_STATES {
                outbox_depth
                    .with_label_values(&[target.as_str(), state])
                    .set(0);
                outbox_oldest_age
                    .with_label_values(&[target.as_str(), state])
                    .set(0);
                outbox_series.insert((target.clone(), state.to_owned()));
            }
        }
        Ok(Self {
            registry,
            events,
            alerts,
            lago_webhooks,
            request_duration,
            pool_connections,
            deliveries,
            delivery_latency,
            outbox_depth,
            outbox_oldest_age,
            target_down,
            outbox_series: Mutex::new(outbox_series),
            ingest_queue_depth,
            commit_duration,
            events_per_commit,
            process: process_registry()?,
        })
    }

    /// One group-commit transaction of `events` events that took `took`.
    pub fn observe_commit(&self, events: usize, took: Duration) {
        self.commit_duration.observe(took.as_secs_f64());
        #[expect(clippy::cast_precision_loss, reason = "a bucket count, far below 2^52")]
        self.events_per_commit.observe(events as f64);
    }

    pub fn set_ingest_queue_depth(&self, requests: usize) {
        self.ingest_queue_depth
            .set(i64::try_from(requests).unwrap_or(i64::MAX));
    }

    pub fn count_events(&self, accepted: usize, duplicates: usize, quarantined: usize) {
        for (outcome, n) in [
            ("accepted", accepted),
            ("duplicate", duplicates),
            ("quarantined", quarantined),
        ] {
            self.events
                .with_label_values(&[outcome])
                .inc_by(u64::try_from(n).unwrap_or(u64::MAX));
        }
    }

    /// Records one dispatcher round.
    pub fn observe_round(&self, target: &str, report: &RoundReport) {
        for (outcome, n) in [
            ("delivered", report.delivered),
            ("retried", report.retried),
            ("dead", report.dead),
            ("waiting", report.waiting),
        ] {
            self.deliveries
                .with_label_values(&[target, outcome])
                .inc_by(u64::try_from(n).unwrap_or(u64::MAX));
        }
        self.target_down
            .with_label_values(&[target])
            .set(i64::from(report.target_down));
        let histogram = self.delivery_latency.with_label_values(&[target]);
        for latency in &report.delivery_latencies {
            histogram.observe(latency.as_secs_f64());
        }
    }

    /// Sets the outbox gauges from a fresh reading: a series absent from it reads zero (it
    /// does not vanish, which would read "no data" to an alert).
    pub fn set_outbox_depth(&self, depth: &[OutboxDepth]) {
        let mut series = self
            .outbox_series
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for (target, state) in series.iter() {
            let labels = [target.as_str(), state.as_str()];
            self.outbox_depth.with_label_values(&labels).set(0);
            self.outbox_oldest_age.with_label_values(&labels).set(0);
        }
        for row in depth {
            let labels = [row.target.as_str(), row.state.as_str()];
            self.outbox_depth.with_label_values(&labels).set(row.count);
            self.outbox_oldest_age
                .with_label_values(&labels)
                .set(row.oldest_age_secs);
            series.insert((row.target.clone(), row.state.clone()));
        }
    }

    /// The text exposition, with the pool's gauges read now.
    pub fn render(&self, pool: &PgPool) -> String {
        let status = pool.status();
        let in_use = status.size.saturating_sub(status.available);
        for (state, value) in [
            ("in_use", in_use),
            ("idle", status.available),
            ("max", status.max_size),
        ] {
            self.pool_connections
                .with_label_values(&[state])
                .set(i64::try_from(value).unwrap_or(i64::MAX));
        }
        let mut families = self.registry.gather();
        families.extend(self.process.gather());
        let mut buffer = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&families, &mut buffer) {
            tracing::error!(%error, "cannot encode metrics");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}

impl tollgate_application::services::ingest::CommitObserver for Metrics {
    fn committed(&self, events: usize, took: Duration) {
        self.observe_commit(events, took);
    }
}

/// The process collector (Linux: it reads `/proc/self`), in a registry of its own so its
/// series keep their usual unprefixed `process_` names.
fn process_registry() -> Result<Registry, prometheus::Error> {
    let registry = Registry::new();
    #[cfg(target_os = "linux")]
    registry.register(Box::new(
        prometheus::process_collector::ProcessCollector::for_self(),
    ))?;
    Ok(registry)
}
