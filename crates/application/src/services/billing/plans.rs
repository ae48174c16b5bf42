//! Managing an organization's billing plans: create, read, list, and new versions.
//!
//! With an outside billing engine configured, every version is pushed to it first and stored
//! only once it accepted, so the engine never lacks a version Tollgate shows. Push and store
//! run with the plan code's [`ChangeLock`] held, from a read made with it held: two changes of
//! one plan take turns, so version `n` is pushed only while Tollgate has not stored it, and an
//! engine plan that already exists under its code is a leftover of an earlier attempt whose
//! store failed (the engine overwrites it, see [`BillingEngine::upsert_plan`]), never another
//! request's version that Tollgate stored.

use std::sync::Arc;

use tollgate_domain::ErrorCode;
use tollgate_domain::{DomainError, billing::PlanCode, organization::OrganizationId};
use uuid::Uuid;

use crate::{
    AppError,
    ports::{
        AuditContext, AuditEntry, BillingEngine, ChangeLock, PlanDraft, PlanRecord, PlanStore,
        PlanVersionRecord, PlanVersionSync,
    },
};

/// Most plans one page lists.
pub const MAX_PAGE: i64 = 1000;

pub struct PlanService {
    store: Arc<dyn PlanStore>,
    engine: Option<Arc<dyn BillingEngine>>,
}

impl PlanService {
    pub fn new(store: Arc<dyn PlanStore>, engine: Option<Arc<dyn BillingEngine>>) -> Self {
        Self { store, engine }
    }

    /// Creates the plan as its version 1.
    ///
    /// # Errors
    /// `Conflict` `plan_exists` when the code is taken; `Port` when the engine refuses or is
    /// down (nothing stored) or the store fails.
    pub async fn create(
        &self,
        organization: OrganizationId,
        draft: PlanDraft,
        context: &AuditContext,
    ) -> Result<PlanRecord, AppError> {
        let code = draft.plan.code().clone();
        let _lock = self.lock(organization, &code).await?;
        // Checked before the engine hears of it, so a taken code does not reach the engine.
        if self.store.get_by_code(organization, &code).await?.is_some() {
            return Err(plan_exists(code.as_str()));
        }
        self.push(&draft, 1).await?;
        let id = Uuid::now_v7();
        let audit = AuditEntry::success(context, "plan.create", Some(target(id)));
        self.store
            .create(organization, id, &draft, &audit)
            .await?
            .ok_or_else(|| plan_exists(code.as_str()))
    }

    /// Adds `draft` as the plan's next version. Running subscriptions keep their version until
    /// they renew (embedded billing; with Lago, until their plan is changed); the code, the
    /// interval and the currency stay as they are, so a renewal onto the new version bills the
    /// same periods in the same currency. `None` when the organization has no such plan.
    ///
    /// # Errors
    /// `Invalid` for a different code (`Invalid`), interval (`Invalid`) or currency
    /// (`CurrencyMismatch`); `Conflict` `plan_changed` when another change made a version
    /// meanwhile; `Port` as [`PlanService::create`].
    pub async fn update(
        &self,
        organization: OrganizationId,
        id: Uuid,
        draft: PlanDraft,
        context: &AuditContext,
    ) -> Result<Option<PlanRecord>, AppError> {
        // Locked by the draft's code: a draft for another code is refused below, before any
        // push, so every push happens under the lock of the plan's own code.
        let _lock = self.lock(organization, draft.plan.code()).await?;
        let Some(current) = self.store.get(organization, id).await? else {
            return Ok(None);
        };
        let (before, after) = (&current.current.draft.plan, &draft.plan);
        if before.code() != after.code() {
            return Err(DomainError::Invalid {
                field: "plan code",
                reason: format!("`{}` is fixed once created", before.code()),
            }
            .into());
        }
        after.ensure_currency(before.currency())?;
        if before.interval() != after.interval() {
            return Err(DomainError::Invalid {
                field: "interval",
                reason: format!(
                    "the plan bills {}: a new version keeps the interval",
                    before.interval().as_str()
                ),
            }
            .into());
        }
        let version = current.current.version.checked_add(1).ok_or_else(|| {
            AppError::from(DomainError::Overflow {
                field: "plan version",
            })
        })?;
        self.push(&draft, version).await?;
        let audit = AuditEntry::success(context, "plan.update", Some(target(id)));
        self.store
            .add_version(organization, id, version, &draft, &audit)
            .await?
            .map(Some)
            .ok_or_else(|| AppError::Conflict {
                code: ErrorCode::PlanChanged,
                message: "the plan changed while this version was being made: read it again"
                    .to_owned(),
            })
    }

    /// Archives the plan: it takes no new subscriptions (`plan_archived`), its running ones
    /// keep going. Archiving again keeps the first time. `None` when there is no such plan.
    ///
    /// # Errors
    /// `Unprocessable` `archive_unsupported` with an outside billing engine (Lago): its only
    /// way to retire a plan, deleting it, terminates the subscriptions on it; `Port` when the
    /// store fails.
    pub async fn archive(
        &self,
        organization: OrganizationId,
        id: Uuid,
        context: &AuditContext,
    ) -> Result<Option<PlanRecord>, AppError> {
        if self.engine.is_some() {
            return Err(AppError::Unprocessable {
                code: ErrorCode::ArchiveUnsupported,
                message: "plans cannot be archived with Lago as the billing engine: Lago has \
                          no archived plans, and deleting one terminates its subscriptions"
                    .to_owned(),
            });
        }
        let audit = AuditEntry::success(context, "plan.archive", Some(target(id)));
        Ok(self.store.archive(organization, id, &audit).await?)
    }

    /// # Errors
    /// `Port` when the store fails.
    pub async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<PlanRecord>, AppError> {
        Ok(self.store.get(organization, id).await?)
    }

    /// The plan with this code.
    ///
    /// # Errors
    /// `Port` when the store fails.
    pub async fn get_by_code(
        &self,
        organization: OrganizationId,
        code: &PlanCode,
    ) -> Result<Option<PlanRecord>, AppError> {
        Ok(self.store.get_by_code(organization, code).await?)
    }

    /// Every version of the plan, oldest first.
    ///
    /// # Errors
    /// `Port` when the store fails.
    pub async fn versions(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Vec<PlanVersionRecord>, AppError> {
        Ok(self.store.versions(organization, id).await?)
    }

    /// At most `limit` (1 to [`MAX_PAGE`]) versions of the plan numbered after `after`, oldest
    /// first.
    ///
    /// # Errors
    /// `Port` when the store fails.
    pub async fn version_page(
        &self,
        organization: OrganizationId,
        id: Uuid,
        after: Option<u32>,
        limit: i64,
    ) -> Result<Vec<PlanVersionRecord>, AppError> {
        Ok(self
            .store
            .version_page(organization, id, after, limit.clamp(1, MAX_PAGE))
            .await?)
    }

    /// At most `limit` (1 to [`MAX_PAGE`]) plans after `after`, by id.
    ///
    /// # Errors
    /// `Port` when the store fails.
    pub async fn list(
        &self,
        organization: OrganizationId,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<PlanRecord>, AppError> {
        Ok(self
            .store
            .list(organization, after, limit.clamp(1, MAX_PAGE))
            .await?)
    }

    /// The plan code's lock, when there is an engine to keep in step with the store (without
    /// one, the store's own checks settle races: there is nothing outside to diverge).
    async fn lock(
        &self,
        organization: OrganizationId,
        code: &PlanCode,
    ) -> Result<Option<ChangeLock>, AppError> {
        if self.engine.is_none() {
            return Ok(None);
        }
        Ok(Some(self.store.lock_code(organization, code).await?))
    }

    async fn push(&self, draft: &PlanDraft, version: u32) -> Result<(), AppError> {
        let Some(engine) = &self.engine else {
            return Ok(());
        };
        engine
            .upsert_plan(&PlanVersionSync {
                plan: draft.plan.clone(),
                name: draft.name.clone(),
                description: draft.description.clone(),
                version,
            })
            .await?;
        Ok(())
    }
}

fn plan_exists(code: &str) -> AppError {
    AppError::Conflict {
        code: ErrorCode::PlanExists,
        message: format!("a plan with the code `{code}` already exists"),
    }
}

fn target(id: Uuid) -> String {
    format!("plan:{id}")
}

#[cfg(test)]
mod tests;
