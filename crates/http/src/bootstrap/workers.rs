//! The outbox dispatchers: one per enabled delivery target, inside `tollgate serve` or alone
//! in `tollgate worker`.

use std::{sync::Arc, time::Duration};

use tokio::{sync::watch, task::JoinHandle};
use tollgate_adapters::postgres::{EMBEDDED_METER_TARGET, PgEmbeddedMeter, PgOutboxQueue, PgPool};
use tollgate_application::{
    ports::{DeliveryTarget, SystemClock},
    services::dispatcher::{Dispatcher, DispatcherSettings, RoundReport},
};

use crate::{metrics::Metrics, settings::Settings};

pub struct Workers {
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts a dispatcher for every enabled target Tollgate can deliver to.
    pub fn start(settings: &Settings, pool: &PgPool, metrics: Arc<Metrics>) -> Self {
        let (shutdown, receiver) = watch::channel(false);
        let delivery = &settings.delivery;
        let dispatcher_settings = DispatcherSettings {
            lease: Duration::from_secs(delivery.lease_secs),
            idle_poll: Duration::from_millis(delivery.idle_poll_ms),
            max_attempts: delivery.max_attempts,
            ..DispatcherSettings::default()
        };
        let queue = Arc::new(PgOutboxQueue::new(pool.clone()));
        let mut tasks = Vec::new();
        for target in settings.delivery_targets() {
            let deliverer: Arc<dyn DeliveryTarget> = match target.as_str() {
                EMBEDDED_METER_TARGET => {
                    Arc::new(PgEmbeddedMeter::new(pool.clone(), delivery.batch))
                }
                other => {
                    tracing::warn!(
                        target = other,
                        "no deliverer for this target in this build: its events wait in the outbox"
                    );
                    continue;
                }
            };
            let dispatcher = Dispatcher::new(
                queue.clone(),
                deliverer,
                Arc::new(SystemClock),
                dispatcher_settings.clone(),
            );
            tracing::info!(target = dispatcher.target(), "outbox dispatcher started");
            let metrics = Arc::clone(&metrics);
            let observe = Arc::new(move |target: &'static str, report: &RoundReport| {
                metrics.observe_round(target, report);
            });
            tasks.push(tokio::spawn(dispatcher.run(receiver.clone(), observe)));
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
