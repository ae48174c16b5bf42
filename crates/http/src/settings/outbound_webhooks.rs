//! `[outbound_webhooks]`: the events Tollgate sends operators' endpoints.

use serde::Deserialize;

#[derive(Debug, Deserialize, Clone)]
#[serde(default)]
pub struct OutboundWebhookSettings {
    /// Accepts `http://` endpoints and private, loopback and link-local addresses, and sends
    /// to them (logged at each send). For tests and labs only: in production it lets anyone
    /// who may add an endpoint make Tollgate call inside its own network.
    pub allow_private_targets: bool,
    /// How long a worker holds the deliveries it claimed: longer than one round's sends.
    pub lease_secs: u64,
    pub idle_poll_ms: u64,
    /// Deliveries claimed per round.
    pub batch: i64,
}

impl Default for OutboundWebhookSettings {
    fn default() -> Self {
        Self {
            allow_private_targets: false,
            lease_secs: 300,
            idle_poll_ms: 500,
            batch: 10,
        }
    }
}
