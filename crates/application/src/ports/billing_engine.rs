//! The outside billing engine Tollgate drives when one is configured (Lago).
//!
//! In embedded mode there is none: Tollgate's own tables are the system of record. With one,
//! every change of customers, plans and subscriptions is sent to it first and recorded by
//! Tollgate only once it accepted, so the engine is never behind what Tollgate shows. Every
//! call is an upsert or keyed by an id chosen by Tollgate, so a retry after a failure (ours or
//! the engine's) converges instead of duplicating.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tollgate_domain::billing::{Customer, Plan};

use crate::PortError;

/// One version of a plan as the engine must know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanVersionSync {
    pub plan: Plan,
    pub name: String,
    pub description: Option<String>,
    /// 1 for a new plan; each update makes the next. Versions are distinct plans in the
    /// engine (running subscriptions keep theirs), see [`BillingEngine::plan_engine_code`].
    pub version: u32,
}

/// What a subscription call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionChangeKind {
    Create,
    /// Onto a dearer plan, at once (prorated).
    Upgrade,
    /// Onto a cheaper plan, at the end of the current period.
    Downgrade,
    /// Onto a newer version of the same plan, at renewal.
    Renewal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSync {
    /// The subscription's external id (Lago's `external_id`, events' `external_subscription_id`).
    pub external_id: String,
    /// The customer's external id.
    pub external_customer_id: String,
    /// The engine code of the plan version the subscription is (or will be) on.
    pub plan_engine_code: String,
    pub starts_at: DateTime<Utc>,
    pub kind: SubscriptionChangeKind,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait BillingEngine: Send + Sync {
    /// The engine's name in errors and logs (`lago`).
    fn name(&self) -> &'static str;

    /// The code the engine knows `version` of the plan `code` by.
    fn plan_engine_code(&self, code: &str, version: u32) -> String;

    /// Creates or updates the customer, keyed by its external id.
    ///
    /// # Errors
    /// `Unavailable` when the engine cannot be reached (retry later), `Refused` when it
    /// rejects the customer, `Internal` otherwise.
    async fn upsert_customer(&self, customer: &Customer) -> Result<(), PortError>;

    /// Creates the plan version, or updates it when it exists (a retry).
    ///
    /// # Errors
    /// As [`BillingEngine::upsert_customer`].
    async fn upsert_plan(&self, plan: &PlanVersionSync) -> Result<(), PortError>;

    /// Creates the subscription or moves it to another plan, keyed by its external id.
    ///
    /// # Errors
    /// As [`BillingEngine::upsert_customer`].
    async fn apply_subscription(&self, change: &SubscriptionSync) -> Result<(), PortError>;

    /// Terminates the subscription now (its final invoice is the engine's to issue). Already
    /// terminated counts as done.
    ///
    /// # Errors
    /// As [`BillingEngine::upsert_customer`].
    async fn terminate_subscription(&self, external_id: &str) -> Result<(), PortError>;
}
