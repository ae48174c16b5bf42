//! Budget alerts that LiteLLM raises (spend crossed a budget or a threshold).

use chrono::NaiveDate;

use crate::{money::UsdAmount, usage::Label};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetAlertKind {
    BudgetCrossed,
    ThresholdCrossed,
    SoftBudgetCrossed,
    ProjectedLimitExceeded,
    SpendTracked,
}

impl BudgetAlertKind {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "budget_crossed" => Self::BudgetCrossed,
            "threshold_crossed" => Self::ThresholdCrossed,
            "soft_budget_crossed" => Self::SoftBudgetCrossed,
            "projected_limit_exceeded" => Self::ProjectedLimitExceeded,
            "spend_tracked" => Self::SpendTracked,
            _ => return None,
        })
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::BudgetCrossed => "budget_crossed",
            Self::ThresholdCrossed => "threshold_crossed",
            Self::SoftBudgetCrossed => "soft_budget_crossed",
            Self::ProjectedLimitExceeded => "projected_limit_exceeded",
            Self::SpendTracked => "spend_tracked",
        }
    }
}

/// One alert, without the e-mail addresses LiteLLM routes it to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetAlert {
    pub kind: BudgetAlertKind,
    /// Which kind of entity crossed its budget: `key`, `user`, `team`, `end_user`...
    pub entity_group: Label,
    /// The entity's id within its group; with `kind` and the day it deduplicates the alert.
    pub entity_id: Label,
    pub day: NaiveDate,
    pub spend: Option<UsdAmount>,
    pub max_budget: Option<UsdAmount>,
    pub soft_budget: Option<UsdAmount>,
    pub projected_spend: Option<UsdAmount>,
    pub projected_exceeded_date: Option<Label>,
    pub message: Option<String>,
    pub api_key_hash: Option<Label>,
    pub api_key_alias: Option<Label>,
    pub customer_id: Option<Label>,
    pub user_id: Option<Label>,
    pub team_id: Option<Label>,
    pub org_id: Option<Label>,
}
