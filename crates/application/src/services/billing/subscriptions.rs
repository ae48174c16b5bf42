//! Subscriptions: a customer on a plan, created, upgraded at once, downgraded at the period's
//! end, terminated.
//!
//! The rules are the domain's ([`Subscription`]); this service finds the customer and the
//! plans, pushes the change to the outside billing engine when one is configured (and stores
//! it only once the engine accepted), and stores it with its audit record. Refusals write
//! nothing.

mod changes;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta};
use tollgate_domain::ErrorCode;
use tollgate_domain::{
    billing::{PlanCode, Subscription, SubscriptionError},
    organization::OrganizationId,
};
use uuid::Uuid;

use crate::{
    AppError, PortError,
    ports::{
        AuditContext, AuditEntry, BillingEngine, ChangeLock, Clock, CustomerStore, NewSubscription,
        PlanRecord, PlanStore, SubscriptionChangeKind, SubscriptionConflict, SubscriptionRecord,
        SubscriptionStore, SubscriptionSync,
    },
};

/// Most subscriptions one page lists.
pub const MAX_PAGE: i64 = 1000;

/// A start this close to now is a client's clock and the request's travel, not a backdated
/// subscription.
pub const START_TOLERANCE: TimeDelta = TimeDelta::minutes(1);

/// How far in the past a subscription may start unless configured otherwise
/// (`billing.max_backdate_days`): a year of history for teams moving onto Tollgate, as Lago's
/// `subscription_at` and Stripe's `backdate_start_date` allow.
pub const DEFAULT_MAX_BACKDATE: TimeDelta = TimeDelta::days(366);

/// What a new subscription needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRequest {
    pub customer_id: Uuid,
    pub plan_code: PlanCode,
    /// Defaults to the subscription's id.
    pub external_id: Option<String>,
    /// Defaults to now. In the past (backdated, at most the service's `max_backdate`), the
    /// next period close invoices the periods already ended from the usage already metered.
    pub starts_at: Option<DateTime<chrono::Utc>>,
}

pub struct SubscriptionService {
    subscriptions: Arc<dyn SubscriptionStore>,
    plans: Arc<dyn PlanStore>,
    customers: Arc<dyn CustomerStore>,
    engine: Option<Arc<dyn BillingEngine>>,
    clock: Arc<dyn Clock>,
    max_backdate: TimeDelta,
}

impl SubscriptionService {
    pub fn new(
        subscriptions: Arc<dyn SubscriptionStore>,
        plans: Arc<dyn PlanStore>,
        customers: Arc<dyn CustomerStore>,
        engine: Option<Arc<dyn BillingEngine>>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            subscriptions,
            plans,
            customers,
            engine,
            clock,
            max_backdate: DEFAULT_MAX_BACKDATE,
        }
    }

    /// How far in the past a new subscription may start.
    #[must_use]
    pub fn with_max_backdate(mut self, max_backdate: TimeDelta) -> Self {
        self.max_backdate = max_backdate;
        self
    }

    /// Subscribes the customer to the plan's current version.
    ///
    /// # Errors
    /// `Unprocessable` `unknown_customer` / `unknown_plan`; `Invalid` (`CurrencyMismatch`)
    /// when the customer pays in another currency than the plan's, `Invalid` for a start more
    /// than the service's `max_backdate` in the past or an external id that is blank or too
    /// long; `Conflict` `subscription_exists` when the customer has a live subscription,
    /// `overlaps_previous_subscription` for a start before the end of the customer's earlier
    /// subscription (its usage is billed there), `external_id_taken` when the external id is;
    /// `Port` when the engine refuses or is down (nothing stored) or a store fails.
    pub async fn create(
        &self,
        organization: OrganizationId,
        request: SubscriptionRequest,
        context: &AuditContext,
    ) -> Result<SubscriptionRecord, AppError> {
        let now = self.clock.now();
        let starts_at = request.starts_at.unwrap_or(now);
        let backdated = starts_at < now - START_TOLERANCE;
        if starts_at < now - self.max_backdate {
            return Err(tollgate_domain::DomainError::Invalid {
                field: "starts_at",
                reason: format!(
                    "{starts_at} is more than {} days in the past (billing.max_backdate_days)",
                    self.max_backdate.num_days()
                ),
            }
            .into());
        }
        let customer = self
            .customers
            .get(organization, request.customer_id)
            .await?
            .ok_or_else(|| unknown(ErrorCode::UnknownCustomer, "customer", request.customer_id))?;
        let plan = self.plan_by_code(organization, &request.plan_code).await?;
        plan.current
            .draft
            .plan
            .ensure_currency(customer.customer.currency())?;
        // Creations for one customer take turns, so this check and the store cannot
        // interleave with another creation's; the store's constraint settles the rest.
        let _lock = self
            .lock_customer(organization, request.customer_id)
            .await?;
        // Refused before the engine hears of it.
        let live = self
            .subscriptions
            .list(organization, Some(request.customer_id), None, MAX_PAGE)
            .await?;
        if live.iter().any(|record| record.stored_status.is_live()) {
            return Err(conflict(SubscriptionConflict::LiveSubscriptionExists));
        }
        // A backdated start inside an earlier subscription would bill that usage twice.
        let previous_end = live
            .iter()
            .filter_map(|record| record.subscription.terminated_at())
            .max();
        if let Some(end) = previous_end.filter(|end| starts_at < *end) {
            return Err(AppError::Conflict {
                code: ErrorCode::OverlapsPreviousSubscription,
                message: format!(
                    "the customer's previous subscription ran until {end}: a new one starts then \
                     or later"
                ),
            });
        }
        let id = Uuid::now_v7();
        let external_id = match request.external_id {
            Some(external_id) => changes::external_id(&external_id)?,
            None => id.to_string(),
        };
        let subscription = Subscription::start(
            plan.current.reference(),
            &plan.current.draft.plan,
            starts_at,
        );
        let status = subscription.status_at(now);
        if let Some(engine) = &self.engine {
            engine
                .apply_subscription(&SubscriptionSync {
                    external_id: external_id.clone(),
                    external_customer_id: customer.customer.external_id().as_str().to_owned(),
                    plan_engine_code: engine.plan_engine_code(
                        plan.current.draft.plan.code().as_str(),
                        plan.current.version,
                    ),
                    starts_at,
                    kind: SubscriptionChangeKind::Create,
                })
                .await?;
        }
        // A backdated start bills periods that have already ended: recorded as such.
        let action = if backdated {
            "subscription.create_backdated"
        } else {
            "subscription.create"
        };
        let audit = AuditEntry::success(context, action, Some(target(id)));
        let new = NewSubscription {
            id,
            customer_id: request.customer_id,
            external_id,
            status,
            subscription,
        };
        let stored = self.subscriptions.create(organization, &new, &audit).await;
        match stored {
            Ok(Ok(record)) => Ok(record),
            Ok(Err(refusal)) => {
                // A taken external id is a subscription Tollgate holds: ending it in the
                // engine would end that one, so only a subscription new to both is undone.
                if refusal != SubscriptionConflict::ExternalIdTaken {
                    self.undo_create(&new.external_id, "the store refused it")
                        .await;
                }
                Err(conflict(refusal))
            }
            Err(error) => self.after_failed_create(organization, &new, error).await,
        }
    }

    /// # Errors
    /// `Port` when the store fails.
    pub async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<SubscriptionRecord>, AppError> {
        Ok(self.subscriptions.get(organization, id).await?)
    }

    /// At most `limit` (1 to [`MAX_PAGE`]) subscriptions (of `customer` when given) after
    /// `after`, by id.
    ///
    /// # Errors
    /// `Port` when the store fails.
    pub async fn list(
        &self,
        organization: OrganizationId,
        customer: Option<Uuid>,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<SubscriptionRecord>, AppError> {
        Ok(self
            .subscriptions
            .list(organization, customer, after, limit.clamp(1, MAX_PAGE))
            .await?)
    }

    /// The store failed after the engine created the subscription. A failure can hide a
    /// commit (a connection lost mid-commit): when the subscription is stored after all, that
    /// is the answer; otherwise the engine's subscription is ended, since a live one Tollgate
    /// does not know would bill the customer twice. When it cannot be told, it is ended too:
    /// the engine's `subscription.terminated` then brings a stored one in step.
    async fn after_failed_create(
        &self,
        organization: OrganizationId,
        new: &NewSubscription,
        error: PortError,
    ) -> Result<SubscriptionRecord, AppError> {
        if self.engine.is_none() {
            return Err(error.into());
        }
        if let Ok(Some(record)) = self.subscriptions.get(organization, new.id).await {
            return Ok(record);
        }
        self.undo_create(&new.external_id, "storing it failed")
            .await;
        Err(error.into())
    }

    /// Ends, in the engine, a subscription it created but Tollgate did not store.
    async fn undo_create(&self, external_id: &str, why: &str) {
        let Some(engine) = &self.engine else {
            return;
        };
        match engine.terminate_subscription(external_id).await {
            Ok(()) => tracing::warn!(
                engine = engine.name(),
                external_id,
                "subscription created in the engine but not stored ({why}): terminated there"
            ),
            Err(error) => tracing::error!(
                engine = engine.name(),
                external_id,
                %error,
                "subscription created in the engine but not stored ({why}), and terminating it \
                 there failed: it bills until terminated by hand"
            ),
        }
    }

    /// The lock on subscribing the customer, when there is an engine to keep in step.
    async fn lock_customer(
        &self,
        organization: OrganizationId,
        customer: Uuid,
    ) -> Result<Option<ChangeLock>, AppError> {
        if self.engine.is_none() {
            return Ok(None);
        }
        Ok(Some(
            self.subscriptions
                .lock_customer(organization, customer)
                .await?,
        ))
    }

    async fn plan_by_code(
        &self,
        organization: OrganizationId,
        code: &PlanCode,
    ) -> Result<PlanRecord, AppError> {
        let plan = self
            .plans
            .get_by_code(organization, code)
            .await?
            .ok_or_else(|| AppError::Unprocessable {
                code: ErrorCode::UnknownPlan,
                message: format!("no plan has the code `{code}`"),
            })?;
        // Subscriptions already on it keep it; only joining it (a new subscription, a plan
        // change onto it) is refused.
        if let Some(archived_at) = plan.archived_at {
            return Err(AppError::Unprocessable {
                code: ErrorCode::PlanArchived,
                message: format!("the plan `{code}` was archived at {archived_at}"),
            });
        }
        Ok(plan)
    }
}

fn unknown(code: ErrorCode, what: &str, id: Uuid) -> AppError {
    AppError::Unprocessable {
        code,
        message: format!("no {what} has the id {id}"),
    }
}

fn conflict(conflict: SubscriptionConflict) -> AppError {
    match conflict {
        SubscriptionConflict::LiveSubscriptionExists => AppError::Conflict {
            code: ErrorCode::SubscriptionExists,
            message: "the customer already has a live subscription: upgrade, downgrade or \
                      terminate it"
                .to_owned(),
        },
        SubscriptionConflict::ExternalIdTaken => AppError::Conflict {
            code: ErrorCode::ExternalIdTaken,
            message: "another subscription has this external id".to_owned(),
        },
    }
}

fn refused(error: SubscriptionError) -> AppError {
    match error {
        SubscriptionError::Invalid(domain) => domain.into(),
        SubscriptionError::Terminated => AppError::Conflict {
            code: ErrorCode::SubscriptionTerminated,
            message: error.to_string(),
        },
        SubscriptionError::NotStarted { .. } => AppError::Conflict {
            code: ErrorCode::SubscriptionNotStarted,
            message: error.to_string(),
        },
        SubscriptionError::SamePlan => AppError::Unprocessable {
            code: ErrorCode::SamePlan,
            message: error.to_string(),
        },
        SubscriptionError::NotAnUpgrade { .. } => AppError::Unprocessable {
            code: ErrorCode::NotAnUpgrade,
            message: error.to_string(),
        },
    }
}

fn target(id: Uuid) -> String {
    format!("subscription:{id}")
}

#[cfg(test)]
mod tests;
