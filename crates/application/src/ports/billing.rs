//! Stores behind billing: the organization's customers.
//!
//! As everywhere, every method that changes state takes the [`AuditEntry`] describing the
//! change and writes it in the same transaction, and every query is scoped by organization.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tollgate_domain::{billing::Customer, organization::OrganizationId, usage::CustomerId};
use uuid::Uuid;

use super::AuditEntry;
use crate::PortError;

/// A stored customer: Tollgate's id for it, the customer, and when it was created and changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRecord {
    pub id: Uuid,
    pub organization: OrganizationId,
    pub customer: Customer,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CustomerStore: Send + Sync {
    /// Stores `customer` as `id` with its audit record; `None` (and nothing written) when the
    /// organization already has a customer with the same external id.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn create(
        &self,
        organization: OrganizationId,
        id: Uuid,
        customer: &Customer,
        audit: &AuditEntry,
    ) -> Result<Option<CustomerRecord>, PortError>;

    /// The organization's customer `id`; `None` for another organization's.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<CustomerRecord>, PortError>;

    /// At most `limit` customers with ids after `after` (from the first when `None`), by id.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn list(
        &self,
        organization: OrganizationId,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<CustomerRecord>, PortError>;

    /// At most `limit` customers whose external id, name or billing e-mail contains `text`
    /// (any case; `%` and `_` are plain characters), with ids after `after`, by id.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn search(
        &self,
        organization: OrganizationId,
        text: &str,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<CustomerRecord>, PortError>;

    /// The organization's customer that usage events name `external_id`.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn by_external_id(
        &self,
        organization: OrganizationId,
        external_id: &CustomerId,
    ) -> Result<Option<CustomerRecord>, PortError>;

    /// Replaces the organization's customer `id` with `customer` (its external id is kept as
    /// stored) with its audit record; `None` (and nothing written) when there is no such
    /// customer.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn update(
        &self,
        organization: OrganizationId,
        id: Uuid,
        customer: &Customer,
        audit: &AuditEntry,
    ) -> Result<Option<CustomerRecord>, PortError>;
}
