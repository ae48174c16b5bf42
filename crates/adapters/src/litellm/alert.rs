//! LiteLLM's budget alert webhook (`alerting: ["webhook"]`): one `WebhookEvent` per request.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tollgate_domain::{
    alert::{BudgetAlert, BudgetAlertKind},
    money::UsdAmount,
    usage::Label,
};

use super::wire::Raw;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    #[error("the body is not a JSON object: {message}")]
    InvalidJson {
        message: String,
        line: usize,
        column: usize,
    },
    #[error("`event` is missing")]
    MissingEvent,
    #[error("unknown alert event {0:?}")]
    UnknownEvent(String),
}

impl AlertError {
    pub fn code(&self) -> tollgate_domain::ErrorCode {
        use tollgate_domain::ErrorCode;
        match self {
            Self::InvalidJson { .. } => ErrorCode::InvalidJson,
            Self::MissingEvent => ErrorCode::MissingEvent,
            Self::UnknownEvent(_) => ErrorCode::UnknownEvent,
        }
    }
}

/// Fields of `WebhookEvent` Tollgate keeps; e-mail addresses are left out on purpose.
#[derive(Debug, Default, Deserialize)]
struct WireAlert<'a> {
    #[serde(borrow, default)]
    event: Raw<'a>,
    #[serde(borrow, default)]
    event_group: Raw<'a>,
    #[serde(borrow, default)]
    event_message: Raw<'a>,
    #[serde(borrow, default)]
    spend: Raw<'a>,
    #[serde(borrow, default)]
    max_budget: Raw<'a>,
    #[serde(borrow, default)]
    soft_budget: Raw<'a>,
    #[serde(borrow, default)]
    projected_spend: Raw<'a>,
    #[serde(borrow, default)]
    projected_exceeded_date: Raw<'a>,
    #[serde(borrow, default)]
    token: Raw<'a>,
    #[serde(borrow, default)]
    key_alias: Raw<'a>,
    #[serde(borrow, default)]
    customer_id: Raw<'a>,
    #[serde(borrow, default)]
    user_id: Raw<'a>,
    #[serde(borrow, default)]
    team_id: Raw<'a>,
    #[serde(borrow, default)]
    organization_id: Raw<'a>,
}

/// Decodes one alert; `received_at` decides the day it is deduplicated within.
///
/// # Errors
/// [`AlertError`] when the body is not a JSON object or names no known alert event.
pub fn decode_alert(body: &[u8], received_at: DateTime<Utc>) -> Result<BudgetAlert, AlertError> {
    let wire: WireAlert<'_> =
        serde_json::from_slice(body).map_err(|e| AlertError::InvalidJson {
            message: e.to_string(),
            line: e.line(),
            column: e.column(),
        })?;
    let event = string(wire.event).ok_or(AlertError::MissingEvent)?;
    let Some(kind) = BudgetAlertKind::parse(&event) else {
        return Err(AlertError::UnknownEvent(event));
    };
    let group = string(wire.event_group).unwrap_or_else(|| "unknown".to_owned());
    let id_for_group = match group.as_str() {
        "key" => wire.token,
        "user" | "team_member" => wire.user_id,
        "team" => wire.team_id,
        "end_user" | "customer" => wire.customer_id,
        "organization" => wire.organization_id,
        _ => None,
    };
    let entity = string(id_for_group)
        .or_else(|| {
            [
                wire.token,
                wire.customer_id,
                wire.user_id,
                wire.team_id,
                wire.organization_id,
            ]
            .into_iter()
            .find_map(string)
        })
        .unwrap_or_else(|| group.clone());
    Ok(BudgetAlert {
        kind,
        entity_group: Label::new_or_unknown(&group),
        entity_id: Label::new_or_unknown(&entity),
        day: received_at.date_naive(),
        spend: amount(wire.spend),
        max_budget: amount(wire.max_budget),
        soft_budget: amount(wire.soft_budget),
        projected_spend: amount(wire.projected_spend),
        projected_exceeded_date: string(wire.projected_exceeded_date).and_then(|d| Label::new(&d)),
        message: string(wire.event_message).map(|m| m.chars().take(1_000).collect()),
        api_key_hash: string(wire.token).and_then(|t| Label::new(&t)),
        api_key_alias: string(wire.key_alias).and_then(|t| Label::new(&t)),
        customer_id: string(wire.customer_id).and_then(|t| Label::new(&t)),
        user_id: string(wire.user_id).and_then(|t| Label::new(&t)),
        team_id: string(wire.team_id).and_then(|t| Label::new(&t)),
        org_id: string(wire.organization_id).and_then(|t| Label::new(&t)),
    })
}

fn string(raw: Raw<'_>) -> Option<String> {
    serde_json::from_str::<String>(raw?.get())
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// Budgets arrive as JSON numbers; anything else (or a negative) is treated as not given.
fn amount(raw: Raw<'_>) -> Option<UsdAmount> {
    UsdAmount::parse_json_number("amount", raw?.get()).ok()
}
