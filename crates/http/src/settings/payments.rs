//! Card payments: Stripe (switched on by its secret key) and the collector's schedule.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tollgate_domain::payment::{AfterLastAttempt, DunningPolicy};

/// Stripe, on exactly when `secret_key` is set (`TOLLGATE__STRIPE__SECRET_KEY`).
#[derive(Debug, Deserialize, Clone)]
pub struct StripeSettings {
    #[serde(default)]
    pub secret_key: Option<SecretString>,
    /// The signing secrets of Tollgate's webhook endpoint (`whsec_…`), comma-separated in
    /// `TOLLGATE__STRIPE__WEBHOOK_SECRETS`: the old and the new one while a secret is rolled.
    #[serde(default)]
    pub webhook_secrets: Vec<SecretString>,
    /// `Stripe-Version` on every call, and the version `tollgate stripe register-webhook`
    /// creates the endpoint with (events are rendered in it).
    pub api_version: String,
    /// Stripe's API, or a stand-in for tests.
    pub url: String,
    /// Requests a second at most, retries included (Stripe allows 100 live, 25 in test mode).
    pub requests_per_second: u32,
    pub request_timeout_ms: u64,
}

impl StripeSettings {
    pub fn is_enabled(&self) -> bool {
        self.secret_key
            .as_ref()
            .is_some_and(|key| !key.expose_secret().trim().is_empty())
    }

    /// Whether the key is a live one (`sk_live_…`, `rk_live_…`): events of the other mode are
    /// acknowledged and change nothing.
    pub fn livemode(&self) -> bool {
        self.secret_key.as_ref().is_some_and(|key| {
            let key = key.expose_secret();
            key.starts_with("sk_live_") || key.starts_with("rk_live_")
        })
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}

/// The collector: how often it looks for invoices to charge, and the dunning schedule.
#[derive(Debug, Deserialize, Clone)]
pub struct PaymentsSettings {
    pub collect_every_secs: u64,
    /// Invoices charged per pass at most.
    pub collect_batch: u32,
    /// When each attempt is made, from the first (`0, 1d, 3d, 7d, 14d`): 1 to 10 attempts
    /// within 60 days.
    pub dunning_offsets: String,
    /// What happens once the last attempt failed. Only `none` (the invoice is uncollectible and
    /// the customer delinquent) is implemented; `suspend` and `terminate` are refused at start
    /// rather than accepted and ignored.
    pub dunning_after_last: String,
}

impl PaymentsSettings {
    /// # Errors
    /// The setting's problem, for the start to refuse.
    pub fn dunning(&self) -> Result<DunningPolicy, String> {
        let policy = DunningPolicy::parse(&self.dunning_offsets, &self.dunning_after_last)
            .map_err(|e| format!("payments.dunning_offsets / dunning_after_last: {e}"))?;
        if policy.after_last() != AfterLastAttempt::None {
            return Err(format!(
                "payments.dunning_after_last = {:?} is not implemented yet: use \"none\"",
                self.dunning_after_last
            ));
        }
        Ok(policy)
    }
}
