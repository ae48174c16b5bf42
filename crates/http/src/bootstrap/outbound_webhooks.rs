//! Outbound webhooks: the key sealing endpoint secrets, the endpoint service behind the API,
//! and the delivery worker of `tollgate serve` and `tollgate worker`.

use std::{sync::Arc, time::Duration};

use tokio::sync::watch;
use tollgate_adapters::{
    dns::SystemResolver,
    outbound_webhooks::HttpWebhookSender,
    postgres::{
        self, PgPool, PgWebhookDeliveryQueue, PgWebhookEndpointStore,
        outbound_webhooks::{
            adopt_settings_urls,
            sealing::{KEY_NAME, SecretSealer},
        },
    },
};
use tollgate_application::{
    ports::{HostResolver, SystemClock},
    services::outbound_webhooks::{
        OutboundWebhookService,
        worker::{WebhookWorker, WebhookWorkerSettings},
    },
};

use super::StartupError;
use crate::settings::Settings;

/// The sealer under the installation's key, made by whichever replica starts first; the
/// settings' old `webhook_urls` become endpoints with it.
///
/// # Errors
/// `StartupError::Database` when the key cannot be read or made, or the URLs moved.
pub async fn sealer(pool: &PgPool) -> Result<Arc<SecretSealer>, StartupError> {
    let key = postgres::installation_secret(pool, KEY_NAME)
        .await
        .map_err(|e| StartupError::Database(e.to_string()))?;
    let sealer = SecretSealer::new(&key)
        .map(Arc::new)
        .map_err(|e| StartupError::Database(e.to_string()))?;
    let adopted = adopt_settings_urls(pool, Arc::clone(&sealer))
        .await
        .map_err(|e| StartupError::Database(e.to_string()))?;
    if adopted > 0 {
        tracing::info!(
            endpoints = adopted,
            "the settings' webhook_urls are webhook endpoints now (GET /api/settings/webhooks)"
        );
    }
    Ok(sealer)
}

fn announce(settings: &Settings) {
    if settings.outbound_webhooks.allow_private_targets {
        tracing::warn!(
            "outbound_webhooks.allow_private_targets is on: webhook endpoints may be http:// or \
             private addresses inside this network; never set it in production"
        );
    }
}

pub fn service(
    settings: &Settings,
    pool: &PgPool,
    sealer: Arc<SecretSealer>,
) -> OutboundWebhookService {
    announce(settings);
    OutboundWebhookService::new(
        Arc::new(PgWebhookEndpointStore::new(pool.clone(), sealer)),
        Arc::new(SystemResolver),
        Arc::new(SystemClock),
        settings.outbound_webhooks.allow_private_targets,
    )
}

/// The delivery worker's task, resolving names with `resolver` at each send.
pub fn worker(
    settings: &Settings,
    pool: &PgPool,
    sealer: Arc<SecretSealer>,
    resolver: Arc<dyn HostResolver>,
    shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let hooks = &settings.outbound_webhooks;
    announce(settings);
    let worker = Arc::new(WebhookWorker::new(
        Arc::new(PgWebhookDeliveryQueue::new(pool.clone(), sealer)),
        Arc::new(HttpWebhookSender::new(
            resolver,
            hooks.allow_private_targets,
        )),
        Arc::new(SystemClock),
    ));
    let worker_settings = WebhookWorkerSettings {
        lease: Duration::from_secs(hooks.lease_secs),
        idle_poll: Duration::from_millis(hooks.idle_poll_ms),
        batch: hooks.batch,
    };
    tracing::info!("outbound webhook worker started");
    tokio::spawn(worker.run(worker_settings, shutdown))
}
