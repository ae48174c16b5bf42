//! The store of billing plans and their immutable versions.
//!
//! Every method that changes state takes the [`AuditEntry`] describing the change and writes
//! it in the same transaction; every query is scoped by organization.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tollgate_domain::{
    billing::{Plan, PlanCode, PlanVersionRef},
    organization::OrganizationId,
};
use uuid::Uuid;

use super::{AuditEntry, ChangeLock};
use crate::PortError;

/// What one version of a plan holds besides its prices: the names shown to people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanDraft {
    pub plan: Plan,
    pub name: String,
    pub description: Option<String>,
}

/// One stored, immutable version of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanVersionRecord {
    pub plan_id: Uuid,
    pub version: u32,
    pub draft: PlanDraft,
    pub created_at: DateTime<Utc>,
}

impl PlanVersionRecord {
    pub fn reference(&self) -> PlanVersionRef {
        PlanVersionRef {
            plan_id: self.plan_id,
            version: self.version,
        }
    }
}

/// A stored plan: its id and its current (latest) version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRecord {
    pub id: Uuid,
    pub organization: OrganizationId,
    pub current: PlanVersionRecord,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Since when the plan takes no new subscriptions; `None` while it does.
    pub archived_at: Option<DateTime<Utc>>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PlanStore: Send + Sync {
    /// Waits for, then holds, the organization's lock on the plan code `code` until the
    /// [`ChangeLock`] is dropped: creating the plan or a version of it with the lock held,
    /// from a read made with the lock held, cannot interleave with another change of it.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached or the wait is too long.
    async fn lock_code(
        &self,
        organization: OrganizationId,
        code: &PlanCode,
    ) -> Result<ChangeLock, PortError>;

    /// Stores the plan `id` with `draft` as its version 1 and the audit record; `None` (and
    /// nothing written) when the organization already has a plan with this code.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn create(
        &self,
        organization: OrganizationId,
        id: Uuid,
        draft: &PlanDraft,
        audit: &AuditEntry,
    ) -> Result<Option<PlanRecord>, PortError>;

    /// Adds `draft` as version `version` of the plan `id` and makes it current, with the audit
    /// record; `None` (and nothing written) unless the current version is `version - 1` (the
    /// plan is missing, or another change got there first).
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn add_version(
        &self,
        organization: OrganizationId,
        id: Uuid,
        version: u32,
        draft: &PlanDraft,
        audit: &AuditEntry,
    ) -> Result<Option<PlanRecord>, PortError>;

    /// Archives the plan `id` with the audit record (the first archiving's time stays);
    /// `None` (and nothing written) for another organization's or a missing plan.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn archive(
        &self,
        organization: OrganizationId,
        id: Uuid,
        audit: &AuditEntry,
    ) -> Result<Option<PlanRecord>, PortError>;

    /// The organization's plan `id`; `None` for another organization's.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<PlanRecord>, PortError>;

    /// The organization's plan with this code.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn get_by_code(
        &self,
        organization: OrganizationId,
        code: &PlanCode,
    ) -> Result<Option<PlanRecord>, PortError>;

    /// One version of one of the organization's plans.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn version(
        &self,
        organization: OrganizationId,
        version: PlanVersionRef,
    ) -> Result<Option<PlanVersionRecord>, PortError>;

    /// Every version of the plan `id`, oldest first; empty for another organization's.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn versions(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Vec<PlanVersionRecord>, PortError>;

    /// At most `limit` versions of the plan `id` numbered after `after`, oldest first; empty
    /// for another organization's.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn version_page(
        &self,
        organization: OrganizationId,
        id: Uuid,
        after: Option<u32>,
        limit: i64,
    ) -> Result<Vec<PlanVersionRecord>, PortError>;

    /// At most `limit` plans with ids after `after` (from the first when `None`), by id.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn list(
        &self,
        organization: OrganizationId,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<PlanRecord>, PortError>;
}
