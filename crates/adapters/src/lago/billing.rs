//! Lago as the system of record for billing: the [`BillingEngine`] Tollgate pushes customers,
//! plans and subscriptions to, and the [`InvoiceBook`](tollgate_application::ports::InvoiceBook)
//! that reads and changes Lago's invoices ([`LagoInvoiceBook`]).
//!
//! | Tollgate | Lago |
//! |---|---|
//! | customer | `POST /customers` (upsert by `external_id`): name, email, currency, address, tax id, timezone, metadata |
//! | plan version `v` of `code` | its own plan, code `code` (v1) or `code__v<v>`: `POST /plans`, `PUT /plans/{code}` when it exists |
//! | interval monthly / yearly | `interval` `monthly` / `yearly` |
//! | base fee, in advance / in arrears | `amount_cents` (minor units, exact), `pay_in_advance` true / false; none: 0 |
//! | trial days | `trial_period` |
//! | minimum commitment (usage only) | `minimum_commitment.amount_cents` = commitment + base fee (Lago's counts the base fee) |
//! | meter | billable metric `code` = the meter's slug: `sum_agg` over `field_name` = the slug, `count_agg` for `requests` |
//! | per-unit price | `standard`, `amount` = the unit price as a decimal string (sub-cent prices kept) |
//! | per-unit price with free units | `graduated`: `[0, free]` at 0, then the unit price |
//! | graduated tiers (+ free units) | `graduated_ranges`, tiers `(a, b]` as `from_value` a (+1 unless 0), `to_value` b, shifted up by the free units after a free first range |
//! | volume tiers | `volume_ranges` as above; free units refused (Lago prices all units at the total's tier) |
//! | package | `package`: `amount`, `package_size`, `free_units` |
//! | percentage markup `m` on `cost_usd` | `percentage`, `rate` = 100 + m (cost plus markup), free units as `free_units_per_total_aggregation` |
//! | charge minimum | `min_amount_cents` |
//! | usage charges | billed in arrears, never prorated: `pay_in_advance: false`, `prorated: false`, `invoiceable: true` |
//! | subscription create | `POST /subscriptions` `{external_customer_id, plan_code, external_id, billing_time: anniversary, subscription_at}` |
//! | upgrade / downgrade | `POST /subscriptions`, same `external_id`, new `plan_code` (see [`subscriptions`]); no move onto a newer version at renewal: a subscription keeps its version until changed |
//! | terminate | `DELETE /subscriptions/{external_id}` (a pending one: `?status=pending`); already ended is done |
//!
//! Amounts are never rounded on the way: a price Lago cannot hold exactly (a base fee or a
//! minimum with sub-cent digits, fractional tier bounds, package sizes or free units where
//! Lago counts whole units) is refused with the reason (`PortError::Refused`, the API's 422
//! `billing_engine_refused`). Unit prices, tier prices and rates are decimal strings and keep
//! every digit. Usage events must reach each meter's metric: their `code` has to be the
//! meter's slug for Lago to aggregate them into these charges.

mod client;
mod customers;
mod invoice_book;
mod invoices;
mod metrics;
mod plans;
mod subscriptions;

use std::{fmt, sync::Arc, time::Duration};

use async_trait::async_trait;
use reqwest::Method;
use secrecy::SecretString;
use tollgate_application::{
    PortError,
    ports::{AuditTrail, BillingEngine, Clock, PlanVersionSync, SubscriptionSync, SystemClock},
};
use tollgate_domain::{
    billing::{Customer, Plan},
    organization::OrganizationId,
};
use url::Url;

pub use invoice_book::LagoInvoiceBook;

use client::{ClientSettings, LagoClient, Repeat, Reply, SERVICE, encode, refused};
use metrics::MetricIds;

#[derive(Clone)]
pub struct LagoBillingConfig {
    /// Lago's API host (`https://api.getlago.com`, or the self-hosted API): requests go to
    /// `{url}/api/v1/...`.
    pub url: Url,
    /// The organization's API key, sent as `Authorization: Bearer`.
    pub api_key: SecretString,
    /// Per request, connection included.
    pub timeout: Duration,
    /// Tries of a request that is safe to repeat, the first included.
    pub max_attempts: u32,
    /// Longest pause before a retry within one call (a longer `Retry-After` answers 503).
    pub max_retry_wait: Duration,
}

impl LagoBillingConfig {
    /// 10 s per request, 3 tries, pauses of at most 2 s.
    pub fn new(url: Url, api_key: SecretString) -> Self {
        Self {
            url,
            api_key,
            timeout: Duration::from_secs(10),
            max_attempts: 3,
            max_retry_wait: Duration::from_secs(2),
        }
    }
}

impl fmt::Debug for LagoBillingConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LagoBillingConfig")
            .field("url", &self.url.as_str())
            .field("api_key", &self.api_key)
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .field("max_retry_wait", &self.max_retry_wait)
            .finish()
    }
}

/// The configuration cannot make a Lago client (at startup, never per call).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("lago: {0}")]
pub struct LagoSetupError(String);

pub struct LagoBilling {
    client: Arc<LagoClient>,
    metrics: MetricIds,
}

impl LagoBilling {
    /// # Errors
    /// When the URL is not an http(s) base URL or the HTTP client cannot be built.
    pub fn new(config: LagoBillingConfig) -> Result<Self, LagoSetupError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// As [`new`](Self::new), with `clock` telling the time for rate-limit resets.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_clock(
        config: LagoBillingConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, LagoSetupError> {
        let settings = ClientSettings {
            url: config.url,
            api_key: config.api_key,
            timeout: config.timeout,
            max_attempts: config.max_attempts,
            max_retry_wait: config.max_retry_wait,
        };
        let client = LagoClient::new(settings, clock).map_err(LagoSetupError)?;
        Ok(Self {
            client: Arc::new(client),
            metrics: MetricIds::default(),
        })
    }

    /// The invoice book of `organization` (the one this Lago organization bills for), writing
    /// its audit records to `audit`.
    pub fn invoice_book(
        &self,
        organization: OrganizationId,
        audit: Arc<dyn AuditTrail>,
    ) -> LagoInvoiceBook {
        LagoInvoiceBook::new(Arc::clone(&self.client), organization, audit)
    }

    async fn post_plan(&self, sync: &PlanVersionSync, code: &str) -> Result<(), PortError> {
        let plan: &Plan = &sync.plan;
        let meters: Vec<_> = plan.charges().iter().map(|charge| charge.meter()).collect();
        // A price Lago cannot hold is refused before anything is created in Lago.
        let placeholders = meters.iter().map(|meter| (*meter, String::new())).collect();
        plans::plan_input(sync, code, &placeholders).map_err(refused)?;
        let metric_ids = self.metrics.resolve(&self.client, &meters).await?;
        let body = plans::plan_input(sync, code, &metric_ids).map_err(refused)?;
        let url = self.client.url(&["plans"], &[])?;
        let refusal = match self
            .client
            .send(Method::POST, url, Some(&body), Repeat::Safe)
            .await?
        {
            Reply::Done(_) => return Ok(()),
            Reply::Refused(refusal) if refusal.has_detail("code", "value_already_exist") => refusal,
            Reply::Refused(refusal) => return Err(refusal.into_port()),
            Reply::NotFound => return Err(not_found("plans")),
        };
        // The code exists: a version whose push succeeded but whose store failed. The plan
        // service pushes a version only while Tollgate has not stored it, with the plan's
        // change lock held from the read to the store (`PlanService`), so no other request
        // can be pushing or storing this version now: overwriting it brings Lago to the
        // version about to be stored, never over one Tollgate stored (a version is immutable
        // once stored). A plan made in Lago by hand under a Tollgate code is overwritten too.
        let url = self.client.url(&["plans", code], &[])?;
        match self
            .client
            .send(Method::PUT, url, Some(&body), Repeat::Safe)
            .await?
        {
            Reply::Done(_) => Ok(()),
            Reply::Refused(refusal) => Err(refusal.into_port()),
            Reply::NotFound => Err(refusal.into_port()),
        }
    }
}

fn not_found(endpoint: &str) -> PortError {
    client::internal(format!("Lago has no /{endpoint} endpoint: check lago.url"))
}

#[async_trait]
impl BillingEngine for LagoBilling {
    fn name(&self) -> &'static str {
        SERVICE
    }

    fn plan_engine_code(&self, code: &str, version: u32) -> String {
        if version <= 1 {
            code.to_owned()
        } else {
            format!("{code}__v{version}")
        }
    }

    #[tracing::instrument(name = "lago.upsert_customer", skip_all)]
    async fn upsert_customer(&self, customer: &Customer) -> Result<(), PortError> {
        let body = encode(&customers::customer_input(customer))?;
        let url = self.client.url(&["customers"], &[])?;
        match self
            .client
            .send(Method::POST, url, Some(&body), Repeat::Safe)
            .await?
        {
            Reply::Done(_) => Ok(()),
            Reply::Refused(refusal) => Err(refusal.into_port()),
            Reply::NotFound => Err(not_found("customers")),
        }
    }

    #[tracing::instrument(name = "lago.upsert_plan", skip_all, fields(version = plan.version))]
    async fn upsert_plan(&self, plan: &PlanVersionSync) -> Result<(), PortError> {
        let code = self.plan_engine_code(plan.plan.code().as_str(), plan.version);
        self.post_plan(plan, &code).await
    }

    #[tracing::instrument(name = "lago.apply_subscription", skip_all, fields(kind = ?change.kind))]
    async fn apply_subscription(&self, change: &SubscriptionSync) -> Result<(), PortError> {
        subscriptions::apply(&self.client, change).await
    }

    #[tracing::instrument(name = "lago.terminate_subscription", skip_all)]
    async fn terminate_subscription(&self, external_id: &str) -> Result<(), PortError> {
        subscriptions::terminate(&self.client, external_id).await
    }
}
