//! One `StandardLoggingPayload` to one domain [`EventPayload`], or the reason it cannot be.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, prelude::ToPrimitive};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use tollgate_application::services::ingest::{DecodedEvent, RejectedEvent};
use tollgate_domain::{
    DomainError,
    money::{UsdAmount, parse_decimal},
    usage::{CallStatus, CustomerId, EventPayload, IdempotencyKey, Label, TokenUsage},
};

use super::{
    quarantine,
    wire::{Lenient, Raw, WireEvent, WireMetadata, WireTokenDetails},
};

/// Who pays for a call when LiteLLM names no end user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerFallback {
    /// Leave the call unattributed.
    None,
    /// The internal user owning the API key.
    #[default]
    User,
    /// The key's team.
    Team,
    /// The key's LiteLLM organization.
    Org,
}

#[derive(Debug, Clone)]
pub struct DecodeOptions {
    pub customer_fallback: CustomerFallback,
    /// When the request arrived: the event time of last resort, for events with neither
    /// `endTime` nor `startTime`.
    pub received_at: DateTime<Utc>,
}

struct Rejection {
    code: &'static str,
    message: String,
}

impl Rejection {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    fn from_domain(code: &'static str, error: &DomainError) -> Self {
        Self::new(code, error.to_string())
    }
}

pub(super) fn decode_event(wire: &WireEvent<'_>, options: &DecodeOptions) -> DecodedEvent {
    match payload(wire, options) {
        Ok(payload) => DecodedEvent::Valid(payload),
        Err(rejection) => DecodedEvent::Rejected(RejectedEvent {
            code: rejection.code,
            message: rejection.message,
            content: quarantine::minimized(wire),
            fingerprint: [0; 32],
        }),
    }
}

fn payload(wire: &WireEvent<'_>, options: &DecodeOptions) -> Result<EventPayload, Rejection> {
    let metadata = nested(&wire.metadata);
    let call_id = text(wire.litellm_call_id)
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| Rejection::new("missing_call_id", "litellm_call_id is missing"))?;
    let status = match text(wire.status).as_deref() {
        Some("success") => CallStatus::Success,
        Some("failure") => CallStatus::Failure {
            error_code: nested(&wire.error_information).and_then(|e| label(e.error_code)),
        },
        Some(other) => {
            return Err(Rejection::new(
                "invalid_status",
                format!("status must be \"success\" or \"failure\", got {other:?}"),
            ));
        }
        None => return Err(Rejection::new("missing_status", "status is missing")),
    };
    let idempotency_key = match status {
        // At most one success per client request, even across fallbacks.
        CallStatus::Success => IdempotencyKey::parse(call_id.as_ref()),
        // Every failed attempt of a request shares its call id: tell them apart by deployment
        // and start time, using the number's exact text so a re-sent body maps to the same key.
        CallStatus::Failure { .. } => IdempotencyKey::parse(format!(
            "{call_id}:{}:{}",
            text(wire.model_id).unwrap_or_default(),
            wire.start_time.map(RawValue::get).unwrap_or_default()
        )),
    }
    .map_err(|e| Rejection::from_domain("invalid_call_id", &e))?;

    let occurred_at = match (wire.end_time, wire.start_time) {
        (Some(raw), _) | (None, Some(raw)) => epoch_seconds(raw)?,
        (None, None) => options.received_at,
    };

    let details = metadata.and_then(|m| nested(&m.usage_object));
    let prompt_details = details.and_then(|d| nested(&d.prompt_tokens_details));
    let completion_details = details.and_then(|d| nested(&d.completion_tokens_details));
    let tokens = TokenUsage::from_signed(
        count("prompt_tokens", wire.prompt_tokens)?,
        count("completion_tokens", wire.completion_tokens)?,
        count("total_tokens", wire.total_tokens)?,
        count(
            "cached_tokens",
            prompt_details.and_then(|d: &WireTokenDetails<'_>| d.cached_tokens),
        )?,
        count(
            "reasoning_tokens",
            completion_details.and_then(|d: &WireTokenDetails<'_>| d.reasoning_tokens),
        )?,
    )
    .map_err(|e| Rejection::from_domain("negative_tokens", &e))?;

    let cost = match wire.response_cost {
        None => UsdAmount::ZERO,
        Some(raw) if raw.get().starts_with('"') => {
            return Err(Rejection::new(
                "invalid_cost",
                format!(
                    "response_cost must be a number, got {}",
                    truncated(raw.get())
                ),
            ));
        }
        Some(raw) => UsdAmount::parse_json_number("response_cost", raw.get()).map_err(|e| {
            let code = match e {
                DomainError::Negative { .. } => "negative_cost",
                _ => "invalid_cost",
            };
            Rejection::from_domain(code, &e)
        })?,
    };

    Ok(EventPayload {
        idempotency_key,
        occurred_at,
        customer: customer(wire, metadata, options.customer_fallback)?,
        api_key_hash: metadata.and_then(|m| key_fingerprint(m.user_api_key_hash)),
        api_key_alias: metadata.and_then(|m| label(m.user_api_key_alias)),
        user_id: metadata.and_then(|m| label(m.user_api_key_user_id)),
        team_id: metadata.and_then(|m| label(m.user_api_key_team_id)),
        org_id: metadata.and_then(|m| label(m.user_api_key_org_id)),
        model_group: label(wire.model_group),
        provider_model: label(wire.model),
        provider: label(wire.custom_llm_provider),
        call_type: label(wire.call_type),
        status,
        tokens,
        cost,
        cache_hit: flag(wire.cache_hit),
        stream: flag(wire.stream),
        trace_id: label(wire.trace_id),
        request_tags: tags(wire.request_tags),
    })
}

fn customer<'a>(
    wire: &WireEvent<'a>,
    metadata: Option<&WireMetadata<'a>>,
    fallback: CustomerFallback,
) -> Result<Option<CustomerId>, Rejection> {
    let from_key =
        |pick: fn(&WireMetadata<'a>) -> Raw<'a>| metadata.and_then(|m| non_blank(pick(m)));
    let named = non_blank(wire.end_user)
        .or_else(|| from_key(|m| m.user_api_key_end_user_id))
        .or_else(|| match fallback {
            CustomerFallback::None => None,
            CustomerFallback::User => from_key(|m| m.user_api_key_user_id),
            CustomerFallback::Team => from_key(|m| m.user_api_key_team_id),
            CustomerFallback::Org => from_key(|m| m.user_api_key_org_id),
        });
    named
        .map(|name| CustomerId::parse(name.into_owned()))
        .transpose()
        .map_err(|e| Rejection::from_domain("invalid_customer", &e))
}

fn nested<T>(value: &Option<Lenient<T>>) -> Option<&T> {
    value.as_ref().and_then(|lenient| lenient.0.as_ref())
}

/// A JSON string's content, or a number's text (ids are sometimes numeric); else nothing.
fn text<'a>(raw: Raw<'a>) -> Option<Cow<'a, str>> {
    let raw = raw?.get();
    match raw.as_bytes().first()? {
        b'"' => serde_json::from_str::<Cow<'a, str>>(raw).ok(),
        b'-' | b'0'..=b'9' => Some(Cow::Borrowed(raw)),
        _ => None,
    }
}

fn non_blank(raw: Raw<'_>) -> Option<Cow<'_, str>> {
    text(raw).filter(|t| !t.trim().is_empty())
}

fn label(raw: Raw<'_>) -> Option<Label> {
    text(raw).and_then(|t| Label::new(&t))
}

/// The API key's id as LiteLLM reports it: a SHA-256 in hex for `sk-` keys. LiteLLM sends
/// other keys (and a marker for the master key) as they are, so anything that is not already a
/// SHA-256 is hashed here: a live credential must never be stored.
fn key_fingerprint(raw: Raw<'_>) -> Option<Label> {
    let reported = non_blank(raw)?;
    let is_sha256_hex = reported.len() == 64 && reported.bytes().all(|b| b.is_ascii_hexdigit());
    if is_sha256_hex {
        return Label::new(&reported.to_ascii_lowercase());
    }
    Label::new(&hex::encode(Sha256::digest(reported.as_bytes())))
}

/// `true` only for JSON `true`: LiteLLM sends `null` and `false` alike for "no".
fn flag(raw: Raw<'_>) -> bool {
    raw.is_some_and(|r| r.get() == "true")
}

/// A token count: absent or null is zero; anything but a whole number is refused.
fn count(field: &'static str, raw: Raw<'_>) -> Result<i64, Rejection> {
    let Some(raw) = raw else { return Ok(0) };
    raw.get().parse::<i64>().map_err(|_| {
        Rejection::new(
            "invalid_tokens",
            format!(
                "{field} must be a whole number, got {}",
                truncated(raw.get())
            ),
        )
    })
}

fn epoch_seconds(raw: &RawValue) -> Result<DateTime<Utc>, Rejection> {
    let invalid = || {
        Rejection::new(
            "invalid_time",
            format!(
                "endTime/startTime must be Unix seconds, got {}",
                truncated(raw.get())
            ),
        )
    };
    let seconds = parse_decimal("time", raw.get()).map_err(|_| invalid())?;
    let whole = seconds.trunc();
    let micros = ((seconds - whole) * Decimal::from(1_000_000))
        .round()
        .to_u32()
        .ok_or_else(invalid)?;
    let whole = whole.to_i64().filter(|s| *s >= 0).ok_or_else(invalid)?;
    DateTime::from_timestamp(whole, micros * 1_000).ok_or_else(invalid)
}

/// Request tags, without the `User-Agent: ...` entries LiteLLM adds on its own: they describe
/// the client software, which billing does not need.
fn tags(raw: Raw<'_>) -> Vec<Label> {
    let Some(raw) = raw else { return Vec::new() };
    serde_json::from_str::<Vec<Option<Cow<'_, str>>>>(raw.get())
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .filter(|tag| !tag.starts_with("User-Agent:"))
        .filter_map(|tag| Label::new(&tag))
        .take(64)
        .collect()
}

fn truncated(text: &str) -> String {
    const MAX: usize = 64;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}
