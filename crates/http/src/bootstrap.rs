//! The composition root: settings in, a running server out. The only place that knows which
//! adapter sits behind which port.

pub mod billing;
mod dashboard;
mod extractor_errors;
pub mod identity;
mod lago_webhooks;
pub mod outbound_webhooks;
pub mod payments;
pub mod privacy;
mod signals;
mod webhook_secret;
pub mod worker;
pub mod workers;

use signals::shutdown_signal;

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::{App, HttpServer, dev::Server, middleware::from_fn, web};
use chrono::TimeDelta;
use tollgate_adapters::{
    litellm::DecodeOptions,
    openmeter::{OpenMeterConfig, OpenMeterQuery, OpenMeterUsageReader},
    postgres::{
        self, EMBEDDED_METER_TARGET, PgApiKeyStore, PgAuditTrail, PgBudgetAlertStore,
        PgIdempotencyStore, PgKeyAliases, PgOrganizations, PgOutboxAdmin, PgPool, PgSettingsStore,
        PgUsageEventStore, PgUsageExport, PgUsageReader, PgWebhookSecretStore, PoolSettings,
    },
};
use tollgate_application::{
    ports::{SystemClock, UsageReader, WebhookSecret},
    services::{
        access::{
            api_keys::ApiKeyService, idempotency::IdempotencyService,
            memberships::MembershipService, settings::SettingsService,
        },
        compliance::records::ProcessingRecordService,
        ingest::{CommitObserver, GroupCommit, WebhookService, WebhookSettings},
        metering::{MeteringService, UsageReaders, UsageSource},
    },
};
use tollgate_domain::{organization::OrganizationSlug, webhook_secret::SecretDigest};
use tracing_actix_web::TracingLogger;

use crate::{
    access::FailedAuthLimiter,
    body::BodyReader,
    metrics::Metrics,
    middleware,
    probes::{Draining, Probes},
    readiness::Upstreams,
    routes,
    settings::Settings,
    state::AppState,
};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot prepare the database: {0}")]
    Database(String),
    #[error("cannot migrate the database: {0}")]
    Migration(#[from] postgres::MigrationError),
    #[error("cannot bind {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error("invalid setting: {0}")]
    Invalid(String),
    #[error("cannot keep local state: {0}")]
    LocalState(#[from] std::io::Error),
}

pub struct Application {
    port: u16,
    server: Server,
    group_commit: Arc<GroupCommit>,
    workers: Option<workers::Workers>,
    draining: Arc<Draining>,
    shutdown_delay: Duration,
}

impl Application {
    /// Prepares the database (create, migrate), wires every port, and binds the listener.
    ///
    /// # Errors
    /// [`StartupError`] when the database cannot be prepared or the address cannot be bound.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let recipients = privacy::recipients(&settings)?;
        // Read before the database is touched: a broken notice refuses the start at once.
        privacy::notice(&settings)?;
        privacy::optional_purposes(&settings)?;
        if settings.database.create_if_missing {
            postgres::create_database_if_missing(settings.migration_url())
                .await
                .map_err(|e| StartupError::Database(e.to_string()))?;
        }
        let applied = postgres::run_migrations(settings.migration_url()).await?;
        if !applied.is_empty() {
            tracing::info!(?applied, "applied database migrations");
        }
        let pool = postgres::connect(&PoolSettings {
            url: settings.database.url.clone(),
            max_connections: settings.database.max_connections,
            acquire_timeout: settings.pool_acquire_timeout(),
            connect_timeout: Duration::from_millis(settings.database.connect_timeout_ms),
            statement_timeout: Duration::from_millis(settings.database.statement_timeout_ms),
        })
        .map_err(|e| StartupError::Database(e.to_string()))?;

        let slug = OrganizationSlug::parse(&settings.organization.slug)
            .map_err(|e| StartupError::Invalid(e.to_string()))?;
        let organization = PgOrganizations::new(pool.clone())
            .ensure(&slug, &settings.organization.name)
            .await
            .map_err(|e| StartupError::Database(e.to_string()))?;
        let secret_store = Arc::new(PgWebhookSecretStore::new(pool.clone()));
        let secret_store_admin = Arc::clone(&secret_store);
        let configured_secrets: Vec<WebhookSecret> = settings
            .litellm
            .webhook_secrets
            .iter()
            .map(|secret| WebhookSecret {
                organization: organization.id,
                digest: SecretDigest::of(secrecy::ExposeSecret::expose_secret(secret)),
            })
            .collect();
        if configured_secrets.is_empty() {
            webhook_secret::ensure_generated(&settings, organization.id, &secret_store).await?;
        }

        let metrics = Arc::new(
            Metrics::new(&settings.delivery_targets())
                .map_err(|e| StartupError::Invalid(e.to_string()))?,
        );
        let group_commit = Arc::new(GroupCommit::start_observed(
            Arc::new(PgUsageEventStore::new(
                pool.clone(),
                settings.delivery_targets(),
            )),
            settings.group_commit(),
            Arc::clone(&metrics) as Arc<dyn CommitObserver>,
        ));
        let webhooks = Arc::new(WebhookService::new(
            group_commit.clone(),
            Arc::new(PgBudgetAlertStore::new(pool.clone())),
            secret_store.clone(),
            WebhookSettings {
                configured_secrets,
                secret_refresh: Duration::from_secs(settings.litellm.secret_refresh_secs),
                recent_keys: settings.ingest.recent_keys,
            },
        ));
        let dispatch_pool = pool.clone();
        let identity = identity::wire(&settings, &pool).await?;
        if organization.created_now && identity.embedded_issuer.is_some() {
            print_first_start_help(&settings);
        }
        let address_salt = postgres::installation_secret(&pool, "audit_address_salt")
            .await
            .map_err(|e| StartupError::Database(e.to_string()))?;
        let webhook_sealer = outbound_webhooks::sealer(&pool).await?;
        let usage_readers = usage_readers(&settings, &pool)?;
        let billing = billing::wire(
            &settings,
            &pool,
            organization.id,
            Arc::new(PgAuditTrail::new(pool.clone())),
        )?
        .with_engine_webhooks(lago_webhooks::wire(&settings, &pool, organization.id)?);
        // Configured but unreachable systems are named at start (a warning, not a refusal:
        // events wait in the outbox for them) and on /readyz.
        let payments = payments::wire(&settings, &pool)?;
        let upstreams = Arc::new(Upstreams::configured(&settings)?);
        upstreams.check().await;
        Upstreams::keep_checking(&upstreams);
        let probes = Arc::new(
            Probes::new(
                pool.clone(),
                Arc::clone(&metrics),
                upstreams,
                Arc::new(PgOutboxAdmin::new(pool.clone())),
                Duration::from_secs(settings.metrics.outbox_refresh_secs),
            )
            .with_ingest(Arc::clone(&group_commit)),
        );
        let draining = Arc::clone(&probes.draining);
        let listener =
            TcpListener::bind(settings.server.bind).map_err(|source| StartupError::Bind {
                address: settings.server.bind.to_string(),
                source,
            })?;
        let bound = listener.local_addr()?;
        let web_state =
            dashboard::wire(&settings, &pool, bound, identity.embedded_issuer.is_some()).await?;
        let state = AppState {
            web: Arc::new(web_state),
            stripe_webhooks: payments.as_ref().map(|p| p.webhooks.clone()),
            payments: payments.map(|p| p.service),
            access: Arc::new(identity.access),
            memberships: Arc::new(MembershipService::with_directory(
                identity.memberships,
                identity.directory,
            )),
            api_keys: Arc::new(ApiKeyService::new(Arc::new(PgApiKeyStore::new(
                pool.clone(),
            )))),
            billing: Arc::new(billing),
            settings: Arc::new(SettingsService::new(
                Arc::new(PgSettingsStore::new(pool.clone())),
                secret_store_admin,
            )),
            outbound_webhooks: Arc::new(outbound_webhooks::service(
                &settings,
                &pool,
                Arc::clone(&webhook_sealer),
            )),
            idempotency: Arc::new(IdempotencyService::new(Arc::new(PgIdempotencyStore::new(
                pool.clone(),
            )))),
            audit: Arc::new(PgAuditTrail::new(pool.clone())),
            audit_chain: Arc::new(PgAuditTrail::new(pool.clone())),
            consents: Arc::new(privacy::consents(&settings, &pool)?),
            exports: Arc::new(privacy::exports(&pool)),
            processing_record: Arc::new(ProcessingRecordService::new(
                Arc::new(PgSettingsStore::new(pool.clone())),
                recipients,
            )),
            metering: Arc::new(MeteringService::new(
                usage_readers,
                Arc::new(PgUsageExport::new(pool.clone())),
                Arc::new(PgUsageExport::new(pool.clone())),
                Arc::new(PgKeyAliases::new(pool.clone())),
                Arc::new(SystemClock),
            )),
            export_page_rows: settings.server.export_page_rows,
            auth_limiter: Arc::new(FailedAuthLimiter::new(
                settings.identity.max_failed_auth_per_minute,
                Duration::from_secs(60),
            )),
            address_salt: address_salt.into(),
            embedded_issuer: identity.embedded_issuer,
            webhooks,
            metrics: Arc::clone(&metrics),
            outbox: Arc::new(PgOutboxAdmin::new(pool.clone())),
            pool,
            decode_options: DecodeOptions {
                max_event_age: TimeDelta::days(i64::from(settings.ingest.max_event_age_days)),
                max_clock_skew: TimeDelta::seconds(i64::from(settings.ingest.max_clock_skew_secs)),
                ..DecodeOptions::new(settings.litellm.customer_fallback, chrono::Utc::now())
            },
            body_limit_bytes: settings.server.body_limit_bytes,
            bodies: BodyReader::new(
                Duration::from_secs(settings.server.body_timeout_secs),
                settings.server.max_inflight_body_bytes,
            ),
        };

        let port = bound.port();
        let server = serve(listener, state, probes, &settings)?;
        let workers = settings
            .delivery
            .run_in_server
            .then(|| workers::Workers::start(&settings, &dispatch_pool, metrics, webhook_sealer));
        Ok(Self {
            port,
            server,
            group_commit,
            workers,
            draining,
            shutdown_delay: Duration::from_secs(settings.server.shutdown_delay_secs),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// What SIGTERM sets off: `begin` it to drain and stop as the signal would.
    pub fn draining(&self) -> Arc<Draining> {
        Arc::clone(&self.draining)
    }

    /// Serves until SIGINT / SIGTERM (or a drain begun, or the handle's stop). After the
    /// signal `/readyz` answers 503 `shutting_down` for `server.shutdown_delay_secs` while
    /// everything is still served, so balancers route elsewhere before the listener closes;
    /// then in-flight requests finish and the group-commit writers store what they hold.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let server = tokio::spawn(self.server);
        tokio::select! {
            result = server => {
                self.group_commit.shutdown().await;
                if let Some(workers) = self.workers {
                    workers.stop().await;
                }
                return result.map_err(std::io::Error::other)?;
            }
            signal = shutdown_signal() => {
                self.draining.begin();
                tracing::info!(%signal, delay_secs = self.shutdown_delay.as_secs(),
                    "draining: /readyz answers 503 shutting_down, requests are still served");
            }
            () = self.draining.begun() => {
                tracing::info!(delay_secs = self.shutdown_delay.as_secs(),
                    "draining: /readyz answers 503 shutting_down, requests are still served");
            }
        }
        tokio::time::sleep(self.shutdown_delay).await;
        tracing::info!("stopping: the listener closes, in-flight requests finish");
        handle.stop(true).await;
        self.group_commit.shutdown().await;
        if let Some(workers) = self.workers {
            workers.stop().await;
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Where usage is read back: OpenMeter when it meters, the embedded rollups otherwise. With
/// OpenMeter and no Lago every event also goes to the embedded meters (the embedded period
/// close bills from them), so their rollups are current and answer when OpenMeter cannot;
/// with Lago too nothing writes them, so there is nothing to fall back to.
fn usage_readers(settings: &Settings, pool: &PgPool) -> Result<UsageReaders, StartupError> {
    let embedded: Arc<dyn UsageReader> = Arc::new(PgUsageReader::new(pool.clone()));
    if !settings.openmeter.is_enabled() {
        return Ok(UsageReaders::embedded(embedded));
    }
    let url = url::Url::parse(&settings.openmeter.url)
        .map_err(|e| StartupError::Invalid(format!("openmeter.url: {e}")))?;
    let mut config = OpenMeterConfig::new(url);
    config.api_key = settings.openmeter.api_key.clone();
    config.timeout = Duration::from_millis(settings.openmeter.request_timeout_ms);
    let query = OpenMeterQuery::new(&config).map_err(|e| StartupError::Invalid(e.to_string()))?;
    let rollups_current = settings
        .delivery_targets()
        .iter()
        .any(|target| target == EMBEDDED_METER_TARGET);
    Ok(UsageReaders {
        primary: Arc::new(OpenMeterUsageReader::new(query)),
        primary_source: UsageSource::OpenMeter,
        embedded_fallback: rollups_current.then_some(embedded),
    })
}

/// On the first start with the embedded identity: how to reach the API.
fn print_first_start_help(settings: &Settings) {
    use std::io::Write;
    let _ = std::io::stdout().write_all(first_start_help(settings).as_bytes());
}

/// What to run next, as it works from this checkout: `make token` uses the same release build
/// and database as `make run` (a `tollgate` on the PATH would be another build, and a bare
/// `cargo run` a debug one against the default database).
fn first_start_help(settings: &Settings) -> String {
    use secrecy::ExposeSecret;
    let slug = &settings.organization.slug;
    let base = format!("http://{}", settings.server.bind);
    let database = url::Url::parse(settings.database.url.expose_secret())
        .ok()
        .map(|url| url.path().trim_start_matches('/').to_owned())
        .filter(|name| !name.is_empty() && name != "tollgate");
    let mut make_args = format!("ROLE=owner ORG={slug}");
    if let Some(database) = database {
        make_args.push_str(&format!(" DB={database}"));
    }
    format!(
        "\n# Organization `{slug}` is ready. Call the API with a token from the embedded issuer:\n\
TOKEN=$(make token {make_args})   # or: target/release/tollgate dev-token --org {slug} --role owner\n\
curl -H \"Authorization: Bearer $TOKEN\" {base}/api/me\n"
    )
}

fn serve(
    listener: TcpListener,
    state: AppState,
    probes: Arc<Probes>,
    settings: &Settings,
) -> Result<Server, StartupError> {
    let address = listener.local_addr()?;
    let data = web::Data::new(state);
    let probes = web::Data::from(probes);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(probes.clone())
            .app_data(extractor_errors::query())
            .app_data(extractor_errors::path())
            .wrap(from_fn(middleware::idempotent))
            .wrap(from_fn(crate::web::secure_headers))
            .wrap(from_fn(middleware::record_latency))
            .wrap(from_fn(middleware::echo_request_id))
            .wrap(actix_web::middleware::Compress::default())
            .wrap(from_fn(middleware::uncompressed_ingest))
            .wrap(TracingLogger::<middleware::RedactedRootSpan>::new())
            .configure(routes::configure)
            .default_service(web::to(routes::not_found))
    })
    .shutdown_timeout(settings.server.shutdown_timeout_secs)
    // Signals are handled in `run_until_stopped`, which also drains the group commit.
    .disable_signals();
    if settings.server.workers > 0 {
        server = server.workers(settings.server.workers);
    }
    let server = server.listen(listener)?.run();
    tracing::info!(%address, "listening on http://{address}");
    Ok(server)
}
