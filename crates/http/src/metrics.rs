//! Prometheus metrics, served as text on `GET /metrics`.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
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
}

impl Metrics {
    /// # Errors
    /// Only if two metrics were given one name, which is a programming error.
    pub fn new() -> Result<Self, prometheus::Error> {
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
        })
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

    /// Sets the outbox gauges from a fresh reading (states absent now read zero).
    pub fn set_outbox_depth(&self, depth: &[OutboxDepth]) {
        self.outbox_depth.reset();
        self.outbox_oldest_age.reset();
        for row in depth {
            let labels = [row.target.as_str(), row.state.as_str()];
            self.outbox_depth.with_label_values(&labels).set(row.count);
            self.outbox_oldest_age
                .with_label_values(&labels)
                .set(row.oldest_age_secs);
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
        let mut buffer = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::error!(%error, "cannot encode metrics");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}
