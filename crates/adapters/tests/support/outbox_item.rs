//! Outbox items as the delivery targets receive them, shared by the OpenMeter and Lago
//! contract tests: one successful LiteLLM call with every dimension set.

use std::str::FromStr;

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use tollgate_application::ports::OutboxItem;
use tollgate_domain::{
    money::UsdAmount,
    organization::OrganizationId,
    usage::{CallStatus, CustomerId, EventPayload, IdempotencyKey, Label, TokenUsage},
};

/// A successful call by `customer` with every dimension set.
pub fn item(
    key: &str,
    customer: Option<&str>,
    cost: &str,
) -> Result<OutboxItem, Box<dyn std::error::Error>> {
    Ok(OutboxItem {
        outbox_id: 1,
        event_id: 1,
        organization: OrganizationId::new(),
        attempts: 0,
        queued_at: Utc::now(),
        lease_until: Utc::now(),
        event: EventPayload {
            idempotency_key: IdempotencyKey::parse(key)?,
            occurred_at: Utc
                .timestamp_opt(1_795_608_000, 250_000_000)
                .single()
                .ok_or("time")?,
            customer: customer.map(CustomerId::parse).transpose()?,
            api_key_hash: Label::new("9f86d081884c7d65"),
            api_key_alias: Label::new("ci"),
            user_id: None,
            team_id: Label::new("team-1"),
            org_id: None,
            model_group: Label::new("gpt-4o"),
            provider_model: Label::new("gpt-4o-2024-08-06"),
            provider: Label::new("openai"),
            call_type: None,
            status: CallStatus::Success,
            tokens: TokenUsage::from_signed(1200, 350, 1550, 200, 64)?,
            cost: UsdAmount::new(Decimal::from_str(cost)?)?,
            cache_hit: false,
            stream: false,
            trace_id: None,
            request_tags: vec![],
        },
    })
}
