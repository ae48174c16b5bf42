//! What `/healthz`, `/readyz` and `/metrics` read, shared by `tollgate serve` and
//! `tollgate worker` (whose small server has nothing else), and the drain after SIGTERM.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::sync::{Mutex, Notify};
use tollgate_adapters::postgres::PgPool;
use tollgate_application::{ports::OutboxAdmin, services::ingest::GroupCommit};

use crate::{metrics::Metrics, readiness::Upstreams};

pub struct Probes {
    pub pool: PgPool,
    pub metrics: Arc<Metrics>,
    pub upstreams: Arc<Upstreams>,
    pub outbox: Arc<dyn OutboxAdmin>,
    pub draining: Arc<Draining>,
    /// The group commit of `tollgate serve` (its queue depth is exported); none in the worker.
    pub ingest: Option<Arc<GroupCommit>>,
    outbox_refresh: Duration,
    /// When the outbox depth was last read; held across the read so that concurrent scrapes
    /// wait for one query instead of each running their own.
    outbox_read_at: Mutex<Option<Instant>>,
}

impl Probes {
    pub fn new(
        pool: PgPool,
        metrics: Arc<Metrics>,
        upstreams: Arc<Upstreams>,
        outbox: Arc<dyn OutboxAdmin>,
        outbox_refresh: Duration,
    ) -> Self {
        Self {
            pool,
            metrics,
            upstreams,
            outbox,
            draining: Arc::new(Draining::default()),
            ingest: None,
            outbox_refresh,
            outbox_read_at: Mutex::new(None),
        }
    }

    #[must_use]
    pub fn with_ingest(mut self, ingest: Arc<GroupCommit>) -> Self {
        self.ingest = Some(ingest);
        self
    }

    /// Reads the outbox depth into the gauges unless it was read less than
    /// `metrics.outbox_refresh_secs` ago. A failed read keeps the last figures and is
    /// retried at the next scrape.
    pub async fn refresh_outbox_depth(&self) {
        let mut read_at = self.outbox_read_at.lock().await;
        if read_at.is_some_and(|at| at.elapsed() < self.outbox_refresh) {
            return;
        }
        match self.outbox.depth(None).await {
            Ok(depth) => {
                self.metrics.set_outbox_depth(&depth);
                *read_at = Some(Instant::now());
            }
            Err(error) => tracing::debug!(%error, "cannot read the outbox depth for /metrics"),
        }
    }

    /// The text exposition, with the gauges read at scrape time set now.
    pub fn render(&self) -> String {
        if let Some(ingest) = &self.ingest {
            self.metrics.set_ingest_queue_depth(ingest.queued());
        }
        self.metrics.render(&self.pool)
    }
}

/// Set from SIGTERM (or [`Draining::begin`]) on: `/readyz` answers 503 `shutting_down`.
#[derive(Default)]
pub struct Draining {
    flag: AtomicBool,
    begun: Notify,
}

impl Draining {
    /// Starts the drain, as SIGTERM does.
    pub fn begin(&self) {
        self.flag.store(true, Ordering::SeqCst);
        // `notify_one` keeps a permit for a waiter that is not waiting yet.
        self.begun.notify_one();
    }

    pub fn is_draining(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Resolves once [`Draining::begin`] was called.
    pub async fn begun(&self) {
        if !self.is_draining() {
            self.begun.notified().await;
        }
    }
}
