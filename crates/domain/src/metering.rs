//! Meters: the quantities a usage event adds to, defined once here. OpenMeter's own meter
//! definitions (`deploy/openmeter/meters.yaml`) declare the same set.

use rust_decimal::Decimal;

use crate::usage::EventPayload;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Meter {
    InputTokens,
    OutputTokens,
    CachedTokens,
    ReasoningTokens,
    Requests,
    CostUsd,
    /// Calls answered from LiteLLM's cache (cost nothing; their savings are estimated).
    CacheHits,
}

impl Meter {
    pub const ALL: [Self; 7] = [
        Self::InputTokens,
        Self::OutputTokens,
        Self::CachedTokens,
        Self::ReasoningTokens,
        Self::Requests,
        Self::CostUsd,
        Self::CacheHits,
    ];

    /// The meter's slug, also the property name in OpenMeter events and Lago properties.
    pub fn slug(&self) -> &'static str {
        match self {
            Self::InputTokens => "input_tokens",
            Self::OutputTokens => "output_tokens",
            Self::CachedTokens => "cached_tokens",
            Self::ReasoningTokens => "reasoning_tokens",
            Self::Requests => "requests",
            Self::CostUsd => "cost_usd",
            Self::CacheHits => "cache_hits",
        }
    }

    pub fn parse(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.slug() == slug)
    }
}

/// What a meter is broken down by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Dimensions {
    pub model: Option<String>,
    pub provider: Option<String>,
    pub key: Option<String>,
    pub team: Option<String>,
    pub status: String,
}

/// One meter's increment from one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterUpdate {
    pub meter: Meter,
    pub quantity: Decimal,
    pub dimensions: Dimensions,
}

/// Every meter an event adds to, zero quantities included (a failed call still counts as a
/// request, with its status as a dimension, so error rates come from the same meters).
pub fn meter_updates(event: &EventPayload) -> Vec<MeterUpdate> {
    let dimensions = Dimensions {
        model: event.model_group.as_ref().map(|l| l.as_str().to_owned()),
        provider: event.provider.as_ref().map(|l| l.as_str().to_owned()),
        key: event.api_key_hash.as_ref().map(|l| l.as_str().to_owned()),
        team: event.team_id.as_ref().map(|l| l.as_str().to_owned()),
        status: event.status.as_str().to_owned(),
    };
    Meter::ALL
        .into_iter()
        .map(|meter| MeterUpdate {
            meter,
            quantity: quantity(event, meter),
            dimensions: dimensions.clone(),
        })
        .collect()
}

pub fn quantity(event: &EventPayload, meter: Meter) -> Decimal {
    match meter {
        Meter::InputTokens => Decimal::from(event.tokens.prompt),
        Meter::OutputTokens => Decimal::from(event.tokens.completion),
        Meter::CachedTokens => Decimal::from(event.tokens.cached),
        Meter::ReasoningTokens => Decimal::from(event.tokens.reasoning),
        Meter::Requests => Decimal::ONE,
        Meter::CostUsd => event.cost.amount(),
        Meter::CacheHits => Decimal::from(u8::from(event.cache_hit)),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::{
        money::UsdAmount,
        usage::{CallStatus, IdempotencyKey, Label, TokenUsage},
    };

    #[test]
    fn every_meter_gets_its_quantity_and_the_shared_dimensions() {
        let event = EventPayload {
            idempotency_key: IdempotencyKey::parse("k").unwrap(),
            occurred_at: Utc::now(),
            customer: None,
            api_key_hash: Label::new("abc"),
            api_key_alias: None,
            user_id: None,
            team_id: Label::new("t1"),
            org_id: None,
            model_group: Label::new("gpt-4o"),
            provider_model: None,
            provider: Label::new("openai"),
            call_type: None,
            status: CallStatus::Success,
            tokens: TokenUsage::from_signed(10, 20, 30, 4, 5).unwrap(),
            cost: UsdAmount::new(Decimal::new(88, 6)).unwrap(),
            cache_hit: false,
            stream: false,
            trace_id: None,
            request_tags: vec![],
        };
        let updates = meter_updates(&event);
        let by_meter = |m: Meter| updates.iter().find(|u| u.meter == m).unwrap().quantity;
        assert_eq!(updates.len(), Meter::ALL.len());
        assert_eq!(by_meter(Meter::InputTokens), Decimal::from(10));
        assert_eq!(by_meter(Meter::OutputTokens), Decimal::from(20));
        assert_eq!(by_meter(Meter::CachedTokens), Decimal::from(4));
        assert_eq!(by_meter(Meter::ReasoningTokens), Decimal::from(5));
        assert_eq!(by_meter(Meter::Requests), Decimal::ONE);
        assert_eq!(by_meter(Meter::CostUsd), Decimal::new(88, 6));
        assert!(
            updates
                .iter()
                .all(|u| u.dimensions.model.as_deref() == Some("gpt-4o")
                    && u.dimensions.status == "success")
        );
        for meter in Meter::ALL {
            assert_eq!(Meter::parse(meter.slug()), Some(meter));
        }
    }
}
