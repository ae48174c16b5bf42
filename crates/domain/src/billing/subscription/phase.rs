//! A subscription's status and its phases.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Where a subscription stands: pending until it starts, active until terminated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionStatus {
    Pending,
    Active,
    Terminated,
}

impl SubscriptionStatus {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "active" => Some(Self::Active),
            "terminated" => Some(Self::Terminated),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Terminated => "terminated",
        }
    }

    /// Pending and active subscriptions are live: a customer has at most one.
    pub fn is_live(&self) -> bool {
        !matches!(self, Self::Terminated)
    }
}

/// Why a phase began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhaseReason {
    Created,
    Upgrade,
    Downgrade,
    /// Onto a newer version of the same plan at a renewal (the period close's move).
    Renewal,
}

impl PhaseReason {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "created" => Some(Self::Created),
            "upgrade" => Some(Self::Upgrade),
            "downgrade" => Some(Self::Downgrade),
            "renewal" => Some(Self::Renewal),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Upgrade => "upgrade",
            Self::Downgrade => "downgrade",
            Self::Renewal => "renewal",
        }
    }
}

/// One version of one plan, as stored: versions never change, so this names exact prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlanVersionRef {
    pub plan_id: Uuid,
    pub version: u32,
}

/// `[starts_at, ends_at)` on one plan version; `ends_at` is `None` while open-ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phase {
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub plan: PlanVersionRef,
    pub reason: PhaseReason,
}

impl Phase {
    /// Whether the phase runs at `at`.
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        self.starts_at <= at && self.ends_at.is_none_or(|end| at < end)
    }
}
