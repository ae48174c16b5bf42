//! The outbox dispatchers (one per enabled delivery target), the embedded period close and the
//! export runner, inside `tollgate serve` or alone in `tollgate worker`.

use std::{sync::Arc, time::Duration};

use tokio::{sync::watch, task::JoinHandle};
use tollgate_adapters::{
    dns::SystemResolver,
    lago::{LagoConfig, LagoEventsTarget, PgSubscriptionLookup, StaticSubscriptions},
    openmeter::{OpenMeterConfig, OpenMeterTarget},
    postgres::outbound_webhooks::sealing::SecretSealer,
    postgres::{EMBEDDED_METER_TARGET, PgEmbeddedMeter, PgOutboxQueue, PgPool},
};
use tollgate_application::{
    ports::{DeliveryTarget, SystemClock},
    services::{
        compliance::exports::ExportRunnerSettings,
        metering::dispatcher::{Dispatcher, DispatcherSettings, RoundReport},
    },
};

use crate::{metrics::Metrics, settings::Settings};

pub struct Workers {
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts a dispatcher for every enabled target Tollgate can deliver to, and the
    /// outbound webhook worker (signing with secrets opened by `webhook_sealer`).
    pub fn start(
        settings: &Settings,
        pool: &PgPool,
        metrics: Arc<Metrics>,
        webhook_sealer: Arc<SecretSealer>,
    ) -> Self {
        let (shutdown, receiver) = watch::channel(false);
        let delivery = &settings.delivery;
        let dispatcher_settings = DispatcherSettings {
            lease: Duration::from_secs(delivery.lease_secs),
            idle_poll: Duration::from_millis(delivery.idle_poll_ms),
            max_backoff: Duration::from_secs(delivery.max_backoff_secs),
            give_up_after: Duration::from_secs(delivery.give_up_after_secs),
            probe_interval: Duration::from_millis(delivery.probe_interval_ms),
            ..DispatcherSettings::default()
        };
        let queue = Arc::new(PgOutboxQueue::new(pool.clone()));
        let mut tasks = Vec::new();
        for target in settings.delivery_targets() {
            let deliverer: Arc<dyn DeliveryTarget> = match deliverer(settings, pool, &target) {
                Ok(deliverer) => deliverer,
                Err(error) => {
                    // Events stay pending (nothing is lost) until the setting is fixed.
                    tracing::error!(delivery_target = target, %error, "cannot deliver to this target");
                    continue;
                }
            };
            let dispatcher = Dispatcher::new(
                queue.clone(),
                deliverer,
                Arc::new(SystemClock),
                dispatcher_settings.clone(),
            );
            tracing::info!(
                delivery_target = dispatcher.target(),
                "outbox dispatcher started"
            );
            let metrics = Arc::clone(&metrics);
            let observe = Arc::new(move |target: &'static str, report: &RoundReport| {
                metrics.observe_round(target, report);
            });
            tasks.push(tokio::spawn(dispatcher.run(receiver.clone(), observe)));
        }
        let exports = Arc::new(super::privacy::exports(pool));
        tasks.push(tokio::spawn(exports.run(
            ExportRunnerSettings {
                lease: Duration::from_secs(settings.privacy.export_lease_secs),
                idle_poll: Duration::from_millis(settings.privacy.export_idle_poll_ms),
            },
            receiver.clone(),
        )));
        match super::payments::wire(settings, pool) {
            Ok(Some(payments)) => {
                tracing::info!("payment collector started");
                tasks.push(tokio::spawn(payments.service.run(
                    Duration::from_secs(settings.payments.collect_every_secs.max(1)),
                    settings.payments.collect_batch,
                    receiver.clone(),
                )));
            }
            Ok(None) => {}
            // The server refused to start on the same settings; `tollgate worker` says why.
            Err(error) => tracing::error!(%error, "the payment collector cannot start"),
        }
        tasks.push(super::outbound_webhooks::worker(
            settings,
            pool,
            webhook_sealer,
            Arc::new(SystemResolver),
            receiver.clone(),
        ));
        if let Some(close) =
            period_close(settings, pool).filter(|_| settings.billing.close_every_secs > 0)
        {
            tracing::info!("embedded period close scheduled");
            tasks.push(tokio::spawn(close.run(receiver.clone())));
        }
        Self { shutdown, tasks }
    }

    /// Lets each dispatcher finish its round and stop; claims it did not settle come back when
    /// their lease ends.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            if let Err(error) = task.await {
                tracing::error!(%error, "an outbox dispatcher ended abnormally");
            }
        }
    }
}

fn deliverer(
    settings: &Settings,
    pool: &PgPool,
    target: &str,
) -> Result<Arc<dyn DeliveryTarget>, String> {
    Ok(match target {
        EMBEDDED_METER_TARGET => {
            Arc::new(PgEmbeddedMeter::new(pool.clone(), settings.delivery.batch))
        }
        "openmeter" => {
            let om = &settings.openmeter;
            let url = url::Url::parse(&om.url).map_err(|e| e.to_string())?;
            let mut config = OpenMeterConfig::new(url);
            config.api_key = om.api_key.clone();
            config.source = om.source.clone();
            config.event_type = om.event_type.clone();
            config.batch_size = om.batch_size;
            config.timeout = Duration::from_millis(om.request_timeout_ms);
            Arc::new(OpenMeterTarget::new(config).map_err(|e| e.to_string())?)
        }
        "lago" => {
            let lago = &settings.lago;
            let url = url::Url::parse(&lago.url).map_err(|e| e.to_string())?;
            let api_key = lago
                .api_key
                .clone()
                .ok_or("TOLLGATE__LAGO__API_KEY is not set")?;
            let mut subscriptions = StaticSubscriptions::new(lago.subscriptions.clone());
            if lago.customer_id_as_subscription {
                subscriptions = subscriptions.customer_id_as_subscription_id();
            }
            // Tollgate's own subscriptions name each customer's; the configured map overrides.
            let subscriptions = PgSubscriptionLookup::new(pool.clone(), subscriptions);
            let mut config = LagoConfig::new(url, api_key, Arc::new(subscriptions));
            config.billable_metric_code = lago.billable_metric_code.clone();
            Arc::new(LagoEventsTarget::new(config).map_err(|e| e.to_string())?)
        }
        other => return Err(format!("unknown delivery target {other}")),
    })
}

/// The embedded period close; `None` when Lago bills (Lago closes its periods itself).
/// `billing.close_every_secs = 0` leaves it to `tollgate billing close` (never scheduled).
pub fn period_close(
    settings: &Settings,
    pool: &PgPool,
) -> Option<tollgate_application::services::billing::period_close::PeriodCloseService> {
    if settings.lago.is_enabled() {
        return None;
    }
    Some(
        tollgate_application::services::billing::period_close::PeriodCloseService::new(
            Arc::new(tollgate_adapters::postgres::PgPeriodCloseStore::new(
                pool.clone(),
            )),
            Arc::new(SystemClock),
            settings.billing.period_close(),
        ),
    )
}
