//! Whether a configured outside system (OpenMeter, Lago) can be reached at all: for the
//! start-up warning and `/readyz`, never for a request's answer.

use async_trait::async_trait;

use crate::PortError;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UpstreamProbe: Send + Sync {
    /// `openmeter`, `lago`.
    fn name(&self) -> &'static str;

    /// Ok when the system answers HTTP at all (any status: a refusal is a configuration
    /// matter, not an outage).
    ///
    /// # Errors
    /// `PortError::Unavailable` or `TimedOut` when nothing answers.
    async fn probe(&self) -> Result<(), PortError>;
}
