//! Structured logs: pretty for people, JSON for machines (`TOLLGATE__LOG__FORMAT=json`), on
//! stderr. Every line logged while serving a request carries that request's id
//! (tracing-actix-web's root span), and the id is echoed in the `x-request-id` response header.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::settings::{LogFormat, LogSettings};

/// Installs the global subscriber; `RUST_LOG` wins over the configured level when set.
/// `quiet` (commands whose stdout is their answer) logs warnings only.
pub fn init(settings: &LogSettings, quiet: bool) {
    let level = if quiet {
        "warn"
    } else {
        settings.level.as_str()
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{level},actix_server=warn")));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match settings.format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(true)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(fmt::layer().with_target(false).with_writer(std::io::stderr))
            .try_init(),
    };
    // A second init (tests start many apps in one process) keeps the first subscriber.
    drop(result);
}
