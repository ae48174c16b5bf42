//! Subscriptions: a customer on a plan over time, as a list of phases.
//!
//! Each phase is `[starts_at, ends_at)` on one plan version. Every change rewrites the phases
//! from one instant on ([`Subscription::rewrite_from`]): phases that start at or after it go,
//! the phase running across it ends there, and the new phase (if any) starts there. So:
//!
//! - an **upgrade** at `t` ends the running phase at `t` and opens the new plan at `t`: the
//!   period is then billed in two parts, each prorated by its calendar days, the day of the
//!   change on the new plan ([`Proration::Partial`](super::Proration)). It drops any downgrade that was scheduled;
//! - a **downgrade** opens the new plan at the end of the current billing period: the customer
//!   keeps what was paid for until then. A second downgrade replaces the scheduled one;
//! - **terminating** at `t` ends the running phase at `t` and drops every later one.
//!
//! Every phase of a subscription bills the same periods in the same currency: a plan change
//! must keep the interval and the currency.

mod phase;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Datelike, Utc};
use rust_decimal::Decimal;

pub use phase::{Phase, PhaseReason, PlanVersionRef, SubscriptionStatus};

use super::{BillingPeriod, Interval, Plan};
use crate::DomainError;

/// Why a subscription refuses a change; [`SubscriptionError::Invalid`] is bad input, the rest
/// are about the subscription's state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    #[error(transparent)]
    Invalid(#[from] DomainError),
    #[error("the subscription is terminated")]
    Terminated,
    #[error("the subscription starts at {starts_at}: it cannot change plan before it starts")]
    NotStarted { starts_at: DateTime<Utc> },
    #[error("the subscription is already on this plan")]
    SamePlan,
    #[error(
        "`{to}` costs {to_yearly} {currency} a year in base fees, less than `{from}` ({from_yearly}): \
         a cheaper plan is a downgrade, which applies at the end of the period"
    )]
    NotAnUpgrade {
        from: String,
        to: String,
        from_yearly: Decimal,
        to_yearly: Decimal,
        currency: String,
    },
}

/// A subscription's dates and phases, as the rules need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    billing_anchor: DateTime<Utc>,
    started_at: DateTime<Utc>,
    trial_ends_at: Option<DateTime<Utc>>,
    terminated_at: Option<DateTime<Utc>>,
    interval: Interval,
    /// By start, never overlapping, never empty except for one terminated before it started.
    phases: Vec<Phase>,
}

impl Subscription {
    /// A new subscription on `plan` (stored as `version`) from `starts_at`: its periods are
    /// counted from its start, and a plan with trial days gives it a trial from there.
    pub fn start(version: PlanVersionRef, plan: &Plan, starts_at: DateTime<Utc>) -> Self {
        Self {
            billing_anchor: starts_at,
            started_at: starts_at,
            trial_ends_at: (plan.trial_days() > 0).then(|| plan.trial_end(starts_at)),
            terminated_at: None,
            interval: plan.interval(),
            phases: vec![Phase {
                starts_at,
                ends_at: None,
                plan: version,
                reason: PhaseReason::Created,
            }],
        }
    }

    /// A stored subscription back; `interval` is its plans' (they all share it).
    ///
    /// # Errors
    /// `Invalid` for phases that overlap, leave a gap, or end before they start.
    pub fn restore(
        billing_anchor: DateTime<Utc>,
        started_at: DateTime<Utc>,
        trial_ends_at: Option<DateTime<Utc>>,
        terminated_at: Option<DateTime<Utc>>,
        interval: Interval,
        mut phases: Vec<Phase>,
    ) -> Result<Self, DomainError> {
        phases.sort_by_key(|phase| phase.starts_at);
        for pair in phases.windows(2) {
            if pair[0].ends_at != Some(pair[1].starts_at) {
                return Err(DomainError::Invalid {
                    field: "subscription phases",
                    reason: format!(
                        "the phase from {} must end where the next one starts ({})",
                        pair[0].starts_at, pair[1].starts_at
                    ),
                });
            }
        }
        if let Some(phase) = phases
            .iter()
            .find(|phase| phase.ends_at.is_some_and(|end| end <= phase.starts_at))
        {
            return Err(DomainError::Invalid {
                field: "subscription phases",
                reason: format!("the phase from {} ends before it starts", phase.starts_at),
            });
        }
        Ok(Self {
            billing_anchor,
            started_at,
            trial_ends_at,
            terminated_at,
            interval,
            phases,
        })
    }

    pub fn billing_anchor(&self) -> DateTime<Utc> {
        self.billing_anchor
    }

    pub fn started_at(&self) -> DateTime<Utc> {
        self.started_at
    }

    pub fn trial_ends_at(&self) -> Option<DateTime<Utc>> {
        self.trial_ends_at
    }

    pub fn terminated_at(&self) -> Option<DateTime<Utc>> {
        self.terminated_at
    }

    pub fn interval(&self) -> Interval {
        self.interval
    }

    pub fn phases(&self) -> &[Phase] {
        &self.phases
    }

    /// Terminated once terminated, else pending until it starts and active from then.
    pub fn status_at(&self, at: DateTime<Utc>) -> SubscriptionStatus {
        if self.terminated_at.is_some() {
            SubscriptionStatus::Terminated
        } else if at < self.started_at {
            SubscriptionStatus::Pending
        } else {
            SubscriptionStatus::Active
        }
    }

    /// The phase running at `at`, if any.
    pub fn phase_at(&self, at: DateTime<Utc>) -> Option<&Phase> {
        self.phases.iter().find(|phase| phase.covers(at))
    }

    /// A phase scheduled to start after `at` (a downgrade waiting for the period's end).
    pub fn scheduled_after(&self, at: DateTime<Utc>) -> Option<&Phase> {
        self.phases.iter().find(|phase| phase.starts_at > at)
    }

    /// The billing period `at` falls in: period n is `[anchor + n intervals, anchor + n + 1)`.
    /// Before the anchor, the first period.
    ///
    /// # Errors
    /// `OutOfRange` past the dates chrono can represent.
    pub fn current_period(&self, at: DateTime<Utc>) -> Result<BillingPeriod, DomainError> {
        period_at(self.billing_anchor, self.interval, at)
    }

    /// Moves onto `target` at `at`: the running phase ends at `at`, the new one starts there.
    /// A scheduled downgrade is dropped.
    ///
    /// # Errors
    /// `Terminated`, `NotStarted` before the start, `SamePlan` for the plan already running,
    /// `Invalid` (`CurrencyMismatch`, or `Invalid` on the interval) when `target_plan` does
    /// not bill the same periods in the same currency as `running_plan`, `NotAnUpgrade` when
    /// its base fee over a year ([`Plan::yearly_base_fee`]) is lower than the running plan's.
    pub fn upgrade(
        &mut self,
        at: DateTime<Utc>,
        running_plan: &Plan,
        target: PlanVersionRef,
        target_plan: &Plan,
    ) -> Result<&Phase, SubscriptionError> {
        self.check_change(at, running_plan, target, target_plan)?;
        let (from_yearly, to_yearly) = (
            running_plan.yearly_base_fee(),
            target_plan.yearly_base_fee(),
        );
        // An upgrade is prorated at once: onto a cheaper plan it would give back the
        // difference for the rest of a period the customer chose to pay for.
        if to_yearly < from_yearly {
            return Err(SubscriptionError::NotAnUpgrade {
                from: running_plan.code().to_string(),
                to: target_plan.code().to_string(),
                from_yearly,
                to_yearly,
                currency: target_plan.currency().to_string(),
            });
        }
        self.rewrite_from(at, Some((target, PhaseReason::Upgrade)));
        self.last_phase()
    }

    /// Schedules `target` for the end of the current billing period, replacing a downgrade
    /// scheduled before. Returns the scheduled phase.
    ///
    /// # Errors
    /// As [`Subscription::upgrade`].
    pub fn downgrade(
        &mut self,
        at: DateTime<Utc>,
        running_plan: &Plan,
        target: PlanVersionRef,
        target_plan: &Plan,
    ) -> Result<&Phase, SubscriptionError> {
        self.check_change(at, running_plan, target, target_plan)?;
        let effective = self.current_period(at)?.end();
        self.rewrite_from(effective, Some((target, PhaseReason::Downgrade)));
        self.last_phase()
    }

    /// Ends the subscription at `at`: the running phase ends there and scheduled ones are
    /// dropped (all of them for a subscription that had not started).
    ///
    /// # Errors
    /// `Terminated` when it already is.
    pub fn terminate(&mut self, at: DateTime<Utc>) -> Result<(), SubscriptionError> {
        if self.terminated_at.is_some() {
            return Err(SubscriptionError::Terminated);
        }
        self.rewrite_from(at, None);
        self.terminated_at = Some(at);
        Ok(())
    }

    /// Every phase from `at` on goes, the phase running across `at` ends there, and `next`
    /// (if any) starts there, open-ended. Stores mirror exactly these three steps.
    pub fn rewrite_from(&mut self, at: DateTime<Utc>, next: Option<(PlanVersionRef, PhaseReason)>) {
        self.phases.retain(|phase| phase.starts_at < at);
        if let Some(running) = self.phases.iter_mut().find(|phase| phase.covers(at)) {
            running.ends_at = Some(at);
        }
        if let Some((plan, reason)) = next {
            self.phases.push(Phase {
                starts_at: at,
                ends_at: None,
                plan,
                reason,
            });
        }
    }

    fn check_change(
        &self,
        at: DateTime<Utc>,
        running_plan: &Plan,
        target: PlanVersionRef,
        target_plan: &Plan,
    ) -> Result<(), SubscriptionError> {
        if self.terminated_at.is_some() {
            return Err(SubscriptionError::Terminated);
        }
        if at < self.started_at {
            return Err(SubscriptionError::NotStarted {
                starts_at: self.started_at,
            });
        }
        if self
            .phase_at(at)
            .is_some_and(|phase| phase.plan.plan_id == target.plan_id)
        {
            return Err(SubscriptionError::SamePlan);
        }
        target_plan.ensure_currency(running_plan.currency())?;
        if target_plan.interval() != running_plan.interval() {
            return Err(DomainError::Invalid {
                field: "interval",
                reason: format!(
                    "the subscription bills {}, the plan `{}` {}: a plan change keeps the interval",
                    running_plan.interval().as_str(),
                    target_plan.code(),
                    target_plan.interval().as_str()
                ),
            }
            .into());
        }
        Ok(())
    }

    fn last_phase(&self) -> Result<&Phase, SubscriptionError> {
        self.phases.last().ok_or_else(|| {
            SubscriptionError::Invalid(DomainError::Invalid {
                field: "subscription phases",
                reason: "no phase after a plan change".to_owned(),
            })
        })
    }
}

/// The period of a subscription anchored at `anchor` that `at` falls in (the first one before
/// the anchor).
///
/// # Errors
/// `OutOfRange` past the dates chrono can represent.
pub fn period_at(
    anchor: DateTime<Utc>,
    interval: Interval,
    at: DateTime<Utc>,
) -> Result<BillingPeriod, DomainError> {
    let months = (i64::from(at.year()) - i64::from(anchor.year())) * 12 + i64::from(at.month())
        - i64::from(anchor.month());
    let per_cycle = match interval {
        Interval::Monthly => 1,
        Interval::Yearly => 12,
    };
    // The calendar estimate is the cycle or the one after it (the anchor's day or time of day
    // may not have come yet): start one earlier and step forward.
    let estimate = (months / per_cycle - 1).max(0);
    let mut cycle = u32::try_from(estimate).map_err(|_| DomainError::OutOfRange {
        field: "billing period",
        text: at.to_string(),
    })?;
    loop {
        let period = BillingPeriod::of_cycle(anchor, interval, cycle)?;
        if at < period.end() {
            return Ok(period);
        }
        cycle = cycle
            .checked_add(1)
            .ok_or_else(|| DomainError::OutOfRange {
                field: "billing period",
                text: at.to_string(),
            })?;
    }
}
