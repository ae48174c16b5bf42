//! The store of subscriptions and their phases.
//!
//! Every method that changes state takes the [`AuditEntry`] describing the change and writes
//! it in the same transaction; every query is scoped by organization.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tollgate_domain::{
    billing::{PhaseReason, PlanVersionRef, Subscription, SubscriptionStatus},
    organization::OrganizationId,
};
use uuid::Uuid;

use super::{AuditEntry, ChangeLock};
use crate::PortError;

/// A stored subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRecord {
    pub id: Uuid,
    pub organization: OrganizationId,
    pub customer_id: Uuid,
    /// The id the billing engine and usage events know the subscription by.
    pub external_id: String,
    /// As stored: `pending` stays stored until a change touches it, so ask the subscription
    /// ([`Subscription::status_at`]) for the status at a given time.
    pub stored_status: SubscriptionStatus,
    pub subscription: Subscription,
    /// The code of every plan a phase is on, by plan id (for showing them).
    pub plan_codes: BTreeMap<Uuid, String>,
    /// The end of the last invoiced billing period (the period close's cursor).
    pub invoiced_through: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A subscription to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscription {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub external_id: String,
    pub status: SubscriptionStatus,
    pub subscription: Subscription,
}

/// Why a subscription was not created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionConflict {
    /// The customer already has a pending or active subscription.
    LiveSubscriptionExists,
    /// The organization already has a subscription with this external id.
    ExternalIdTaken,
}

/// A change of phases, as [`Subscription::rewrite_from`] makes it: every phase from `from` on
/// goes, the phase running across `from` ends there, `next` (if any) starts there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseChange {
    pub from: DateTime<Utc>,
    pub next: Option<(PlanVersionRef, PhaseReason)>,
    /// Set when the change terminates the subscription (at `from`).
    pub terminate: bool,
    /// The status to store (a pending subscription that started becomes active).
    pub status: SubscriptionStatus,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SubscriptionStore: Send + Sync {
    /// Waits for, then holds, the lock on subscribing the customer `customer` until the
    /// [`ChangeLock`] is dropped, so that two creations for one customer take turns.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached or the wait is too long.
    async fn lock_customer(
        &self,
        organization: OrganizationId,
        customer: Uuid,
    ) -> Result<ChangeLock, PortError>;

    /// Waits for, then holds, the lock on changing the subscription `id` (plan changes,
    /// termination) until the [`ChangeLock`] is dropped.
    ///
    /// # Errors
    /// As [`SubscriptionStore::lock_customer`].
    async fn lock_subscription(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<ChangeLock, PortError>;

    /// Stores the subscription, its first phase and the audit record, with the period close's
    /// cursor at its start; the conflict (and nothing written) when the customer already has a
    /// live subscription or the external id is taken.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn create(
        &self,
        organization: OrganizationId,
        subscription: &NewSubscription,
        audit: &AuditEntry,
    ) -> Result<Result<SubscriptionRecord, SubscriptionConflict>, PortError>;

    /// The organization's subscription `id`; `None` for another organization's.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<SubscriptionRecord>, PortError>;

    /// At most `limit` subscriptions (of `customer` when given) with ids after `after`, by id.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn list(
        &self,
        organization: OrganizationId,
        customer: Option<Uuid>,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<SubscriptionRecord>, PortError>;

    /// Applies `change` with its audit record; `None` (and nothing written) unless the
    /// subscription is still as it was when read (`updated_at` unchanged), so two changes
    /// decided on the same state cannot both apply.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn change(
        &self,
        organization: OrganizationId,
        id: Uuid,
        read_at: DateTime<Utc>,
        change: &PhaseChange,
        audit: &AuditEntry,
    ) -> Result<Option<SubscriptionRecord>, PortError>;
}
