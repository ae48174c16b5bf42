//! What `/readyz` says about the configured outside systems, and the start-up warning.
//!
//! An unreachable OpenMeter or Lago does not make Tollgate unready: events are still stored
//! and wait in the outbox, and usage reads fall back where they can. `/readyz` says
//! `degraded` and names the system, so an operator sees it before a customer does.

use std::{
    collections::BTreeSet,
    sync::{Arc, Mutex, PoisonError, Weak},
    time::Duration,
};

use futures_util::future::join_all;
use tollgate_adapters::probe::HttpProbe;
use tollgate_application::ports::UpstreamProbe;

use crate::{bootstrap::StartupError, settings::Settings};

/// How long one probe may take: short, since start-up waits for it.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// How often the systems are probed again while the process runs.
const REFRESH_EVERY: Duration = Duration::from_secs(15);

pub struct Upstreams {
    probes: Vec<Arc<dyn UpstreamProbe>>,
    unreachable: Mutex<BTreeSet<&'static str>>,
}

impl Upstreams {
    pub fn new(probes: Vec<Arc<dyn UpstreamProbe>>) -> Self {
        Self {
            probes,
            unreachable: Mutex::new(BTreeSet::new()),
        }
    }

    /// OpenMeter and Lago, each when configured.
    ///
    /// # Errors
    /// `Invalid` for a URL that does not parse.
    pub fn configured(settings: &Settings) -> Result<Self, StartupError> {
        let mut probes: Vec<Arc<dyn UpstreamProbe>> = Vec::new();
        for (name, url, enabled) in [
            (
                "openmeter",
                &settings.openmeter.url,
                settings.openmeter.is_enabled(),
            ),
            ("lago", &settings.lago.url, settings.lago.is_enabled()),
        ] {
            if !enabled {
                continue;
            }
            let url = url::Url::parse(url.trim())
                .map_err(|e| StartupError::Invalid(format!("{name}.url: {e}")))?;
            let probe = HttpProbe::new(name, url, PROBE_TIMEOUT)
                .map_err(|e| StartupError::Invalid(e.to_string()))?;
            probes.push(Arc::new(probe));
        }
        Ok(Self::new(probes))
    }

    /// Probes every system at once; the names of those that cannot be reached. A change from
    /// reachable to not (or back) is logged once.
    pub async fn check(&self) -> Vec<&'static str> {
        let outcomes = join_all(
            self.probes
                .iter()
                .map(|probe| async { (probe.name(), probe.probe().await) }),
        )
        .await;
        let mut unreachable = self
            .unreachable
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for (name, outcome) in outcomes {
            match outcome {
                Ok(()) => {
                    if unreachable.remove(name) {
                        tracing::info!(upstream = name, "{name} can be reached again");
                    }
                }
                Err(error) => {
                    if unreachable.insert(name) {
                        tracing::warn!(
                            upstream = name,
                            %error,
                            "{name} is configured but cannot be reached: events wait in the \
                             outbox for it; /readyz reports degraded"
                        );
                    }
                }
            }
        }
        unreachable.iter().copied().collect()
    }

    /// The systems the last check could not reach.
    pub fn unreachable(&self) -> Vec<&'static str> {
        self.unreachable
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .copied()
            .collect()
    }

    /// Probes again every few seconds for as long as `this` is alive.
    pub fn keep_checking(this: &Arc<Self>) {
        if this.probes.is_empty() {
            return;
        }
        let weak: Weak<Self> = Arc::downgrade(this);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(REFRESH_EVERY).await;
                let Some(upstreams) = weak.upgrade() else {
                    return;
                };
                upstreams.check().await;
            }
        });
    }
}
