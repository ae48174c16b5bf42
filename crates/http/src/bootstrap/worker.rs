//! `tollgate worker`: the outbox dispatchers (and the embedded period close) without the API,
//! with a small server of its own on `worker.bind` for `/healthz`, `/readyz` and `/metrics`.

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::{App, HttpServer, dev::Server, middleware::from_fn, web};
use tollgate_adapters::postgres::{self, PgOutboxAdmin, PoolSettings};

use super::{StartupError, shutdown_signal, workers::Workers};
use crate::{
    metrics::Metrics,
    middleware,
    probes::{Draining, Probes},
    readiness::Upstreams,
    routes,
    settings::Settings,
};

pub struct Worker {
    port: u16,
    server: Server,
    workers: Workers,
    draining: Arc<Draining>,
}

impl Worker {
    /// Prepares the database (create, migrate), binds `worker.bind` and starts the dispatchers.
    ///
    /// # Errors
    /// [`StartupError`] when the database cannot be prepared or the address cannot be bound.
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        // The worker is what sends data out: the data-residency check applies to it too.
        super::privacy::recipients(settings)?;
        if settings.database.create_if_missing {
            postgres::create_database_if_missing(settings.migration_url())
                .await
                .map_err(|e| StartupError::Database(e.to_string()))?;
        }
        postgres::run_migrations(settings.migration_url()).await?;
        let pool = postgres::connect(&PoolSettings {
            url: settings.database.url.clone(),
            max_connections: settings.database.max_connections,
            acquire_timeout: settings.pool_acquire_timeout(),
            connect_timeout: Duration::from_millis(settings.database.connect_timeout_ms),
            statement_timeout: Duration::from_millis(settings.database.statement_timeout_ms),
        })
        .map_err(|e| StartupError::Database(e.to_string()))?;
        let metrics = Arc::new(
            Metrics::new(&settings.delivery_targets())
                .map_err(|e| StartupError::Invalid(e.to_string()))?,
        );
        let upstreams = Arc::new(Upstreams::configured(settings)?);
        upstreams.check().await;
        Upstreams::keep_checking(&upstreams);
        let probes = Arc::new(Probes::new(
            pool.clone(),
            Arc::clone(&metrics),
            upstreams,
            Arc::new(PgOutboxAdmin::new(pool.clone())),
            Duration::from_secs(settings.metrics.outbox_refresh_secs),
        ));
        let draining = Arc::clone(&probes.draining);
        let listener =
            TcpListener::bind(settings.worker.bind).map_err(|source| StartupError::Bind {
                address: settings.worker.bind.to_string(),
                source,
            })?;
        let port = listener.local_addr()?.port();
        let server = serve_probes(listener, probes)?;
        let sealer = super::outbound_webhooks::sealer(&pool).await?;
        let workers = Workers::start(settings, &pool, metrics, sealer);
        Ok(Self {
            port,
            server,
            workers,
            draining,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// What SIGTERM sets off: `begin` it to stop as the signal would.
    pub fn draining(&self) -> Arc<Draining> {
        Arc::clone(&self.draining)
    }

    /// Runs until SIGTERM / SIGINT (or a drain begun): then `/readyz` answers 503, each
    /// dispatcher finishes its round, and the server stops.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let server = tokio::spawn(self.server);
        tokio::select! {
            signal = shutdown_signal() => {
                self.draining.begin();
                tracing::info!(%signal, "stopping the outbox dispatchers");
            }
            () = self.draining.begun() => {
                tracing::info!("stopping the outbox dispatchers");
            }
        }
        self.workers.stop().await;
        handle.stop(true).await;
        server.await.map_err(std::io::Error::other)??;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The worker's server: the probes and metrics only.
fn serve_probes(listener: TcpListener, probes: Arc<Probes>) -> Result<Server, StartupError> {
    let address = listener.local_addr()?;
    let probes = web::Data::from(probes);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(probes.clone())
            .wrap(from_fn(middleware::record_latency))
            .wrap(from_fn(middleware::echo_request_id))
            .configure(routes::configure_probes)
            .default_service(web::to(routes::not_found))
    })
    .workers(1)
    .shutdown_timeout(5)
    .disable_signals()
    .listen(listener)?
    .run();
    tracing::info!(%address, "worker probes on http://{address}");
    Ok(server)
}
