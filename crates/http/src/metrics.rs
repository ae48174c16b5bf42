//! Prometheus metrics, served as text on `GET /metrics`.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};
use tollgate_adapters::postgres::PgPool;

pub struct Metrics {
    registry: Registry,
    pub events: IntCounterVec,
    pub alerts: IntCounterVec,
    pub request_duration: HistogramVec,
    pool_connections: IntGaugeVec,
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
        registry.register(Box::new(events.clone()))?;
        registry.register(Box::new(alerts.clone()))?;
        registry.register(Box::new(request_duration.clone()))?;
        registry.register(Box::new(pool_connections.clone()))?;
        Ok(Self {
            registry,
            events,
            alerts,
            request_duration,
            pool_connections,
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
