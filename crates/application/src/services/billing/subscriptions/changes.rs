//! Plan changes and termination of a running subscription.

use chrono::{DateTime, Utc};
use tollgate_domain::ErrorCode;
use tollgate_domain::{
    DomainError,
    billing::{Phase, PhaseReason, PlanCode, SubscriptionError, SubscriptionStatus},
    organization::OrganizationId,
};
use uuid::Uuid;

use super::{SubscriptionService, refused, target};
use crate::{
    AppError, PortError,
    ports::{
        AuditContext, AuditEntry, ChangeLock, PhaseChange, SubscriptionChangeKind,
        SubscriptionRecord, SubscriptionSync,
    },
};

/// The longest external id, as the customers' (Lago's own limit is far above).
const MAX_EXTERNAL_ID: usize = 255;

/// A client's external id, trimmed.
///
/// # Errors
/// `Empty` or `TooLong`.
pub(super) fn external_id(text: &str) -> Result<String, DomainError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DomainError::Empty {
            field: "external_id",
        });
    }
    let len = text.chars().count();
    if len > MAX_EXTERNAL_ID {
        return Err(DomainError::TooLong {
            field: "external_id",
            len,
            max: MAX_EXTERNAL_ID,
        });
    }
    Ok(text.to_owned())
}

impl SubscriptionService {
    /// Moves the subscription onto the plan's current version now; the running phase ends
    /// now and both are prorated when invoiced. Drops a scheduled downgrade. `None` when the
    /// organization has no such subscription.
    ///
    /// # Errors
    /// `Unprocessable` `unknown_plan` / `same_plan`; `Invalid` for another interval or
    /// currency; `Conflict` `subscription_terminated`, `subscription_not_started`,
    /// `subscription_changed` (another change got there first); `Port` as
    /// [`SubscriptionService::create`].
    pub async fn upgrade(
        &self,
        organization: OrganizationId,
        id: Uuid,
        plan_code: &PlanCode,
        context: &AuditContext,
    ) -> Result<Option<SubscriptionRecord>, AppError> {
        self.change_plan(organization, id, plan_code, PhaseReason::Upgrade, context)
            .await
    }

    /// Schedules the plan's current version for the end of the current billing period,
    /// replacing a downgrade scheduled before. `None` when there is no such subscription.
    ///
    /// # Errors
    /// As [`SubscriptionService::upgrade`].
    pub async fn downgrade(
        &self,
        organization: OrganizationId,
        id: Uuid,
        plan_code: &PlanCode,
        context: &AuditContext,
    ) -> Result<Option<SubscriptionRecord>, AppError> {
        self.change_plan(organization, id, plan_code, PhaseReason::Downgrade, context)
            .await
    }

    /// Ends the subscription now; scheduled phases are dropped. `None` when there is no such
    /// subscription.
    ///
    /// # Errors
    /// `Conflict` `subscription_terminated` the second time, `subscription_changed`; `Port`
    /// when the engine refuses or is down (nothing stored) or a store fails.
    pub async fn terminate(
        &self,
        organization: OrganizationId,
        id: Uuid,
        context: &AuditContext,
    ) -> Result<Option<SubscriptionRecord>, AppError> {
        let _lock = self.lock_subscription(organization, id).await?;
        let now = self.clock.now();
        let Some(record) = self.subscriptions.get(organization, id).await? else {
            return Ok(None);
        };
        let mut subscription = record.subscription.clone();
        subscription.terminate(now).map_err(refused)?;
        if let Some(engine) = &self.engine {
            engine.terminate_subscription(&record.external_id).await?;
        }
        let change = PhaseChange {
            from: now,
            next: None,
            terminate: true,
            status: SubscriptionStatus::Terminated,
        };
        self.store_change(
            organization,
            &record,
            &change,
            "subscription.terminate",
            context,
        )
        .await
        .map(Some)
    }

    async fn change_plan(
        &self,
        organization: OrganizationId,
        id: Uuid,
        plan_code: &PlanCode,
        reason: PhaseReason,
        context: &AuditContext,
    ) -> Result<Option<SubscriptionRecord>, AppError> {
        // Held across the read, the push and the store: two plan changes of one subscription
        // take turns, so the engine cannot end on a change Tollgate refused as the loser.
        let _lock = self.lock_subscription(organization, id).await?;
        let now = self.clock.now();
        let Some(record) = self.subscriptions.get(organization, id).await? else {
            return Ok(None);
        };
        let target_plan = self.plan_by_code(organization, plan_code).await?;
        let running = self.running_phase(&record, now)?;
        let running_plan = self
            .plans
            .version(organization, running.plan)
            .await?
            .ok_or_else(|| broken(format!("subscription {id} is on a missing plan version")))?;
        let mut subscription = record.subscription.clone();
        let (to, to_plan) = (
            target_plan.current.reference(),
            &target_plan.current.draft.plan,
        );
        let (phase, kind, action) = match reason {
            PhaseReason::Downgrade => (
                subscription.downgrade(now, &running_plan.draft.plan, to, to_plan),
                SubscriptionChangeKind::Downgrade,
                "subscription.downgrade",
            ),
            _ => (
                subscription.upgrade(now, &running_plan.draft.plan, to, to_plan),
                SubscriptionChangeKind::Upgrade,
                "subscription.upgrade",
            ),
        };
        let phase = *phase.map_err(refused)?;
        if let Some(engine) = &self.engine {
            let customer = self
                .customers
                .get(organization, record.customer_id)
                .await?
                .ok_or_else(|| broken(format!("subscription {id} has no customer")))?;
            engine
                .apply_subscription(&SubscriptionSync {
                    external_id: record.external_id.clone(),
                    external_customer_id: customer.customer.external_id().as_str().to_owned(),
                    plan_engine_code: engine
                        .plan_engine_code(plan_code.as_str(), target_plan.current.version),
                    starts_at: phase.starts_at,
                    kind,
                })
                .await?;
        }
        let change = PhaseChange {
            from: phase.starts_at,
            next: Some((to, reason)),
            terminate: false,
            status: SubscriptionStatus::Active,
        };
        self.store_change(organization, &record, &change, action, context)
            .await
            .map(Some)
    }

    /// The phase running now, or why there is none.
    fn running_phase(
        &self,
        record: &SubscriptionRecord,
        now: DateTime<Utc>,
    ) -> Result<Phase, AppError> {
        let subscription = &record.subscription;
        if subscription.terminated_at().is_some() {
            return Err(refused(SubscriptionError::Terminated));
        }
        if now < subscription.started_at() {
            return Err(refused(SubscriptionError::NotStarted {
                starts_at: subscription.started_at(),
            }));
        }
        subscription
            .phase_at(now)
            .copied()
            .ok_or_else(|| broken(format!("subscription {} has no running phase", record.id)))
    }

    async fn store_change(
        &self,
        organization: OrganizationId,
        record: &SubscriptionRecord,
        change: &PhaseChange,
        action: &'static str,
        context: &AuditContext,
    ) -> Result<SubscriptionRecord, AppError> {
        let audit = AuditEntry::success(context, action, Some(target(record.id)));
        let stored = self
            .subscriptions
            .change(organization, record.id, record.updated_at, change, &audit)
            .await?;
        if let Some(stored) = stored {
            return Ok(stored);
        }
        if self.engine.is_some() {
            // The engine has made the change already: what moved the record meanwhile decides
            // whether it is stored after all rather than refused.
            if let Some(fresh) = self.subscriptions.get(organization, record.id).await? {
                if change.terminate && fresh.stored_status == SubscriptionStatus::Terminated {
                    // The engine's `subscription.terminated` came in first: done.
                    return Ok(fresh);
                }
                // Plan changes take turns under the lock, so a record with the same phases was
                // moved by something else (a status from the engine, the period close's
                // cursor): the change still applies to it.
                if fresh.subscription == record.subscription {
                    let stored = self
                        .subscriptions
                        .change(organization, record.id, fresh.updated_at, change, &audit)
                        .await?;
                    if let Some(stored) = stored {
                        return Ok(stored);
                    }
                }
            }
        }
        Err(AppError::Conflict {
            code: ErrorCode::SubscriptionChanged,
            message: "the subscription changed meanwhile: read it again".to_owned(),
        })
    }

    /// The lock on changing the subscription, when there is an engine to keep in step.
    async fn lock_subscription(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<ChangeLock>, AppError> {
        if self.engine.is_none() {
            return Ok(None);
        }
        Ok(Some(
            self.subscriptions
                .lock_subscription(organization, id)
                .await?,
        ))
    }
}

fn broken(reason: String) -> AppError {
    PortError::Internal {
        service: "subscriptions",
        reason,
    }
    .into()
}
