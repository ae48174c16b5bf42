//! One `StandardLoggingPayload` to one domain [`EventPayload`], or the reason it cannot be.

use std::borrow::Cow;

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::{Decimal, prelude::ToPrimitive};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use tollgate_application::services::ingest::{DecodedEvent, RejectedEvent};
use tollgate_domain::{
    DomainError, QuarantineCode,
    money::{UsdAmount, parse_decimal},
    usage::{CallStatus, CustomerId, EventPayload, IdempotencyKey, Label, TokenUsage},
};

use super::{
    super::json_text,
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
    /// `endTime` nor `startTime`, and the clock implausible times are judged by.
    pub received_at: DateTime<Utc>,
    /// Older events are refused (`implausible_time`): long enough for the history of a
    /// backdated subscription, short enough to catch an `endTime` of 0.
    pub max_event_age: TimeDelta,
    /// Events further ahead of `received_at` are refused: a sender's clock gone wrong.
    pub max_clock_skew: TimeDelta,
}

impl DecodeOptions {
    /// The defaults of `ingest.max_event_age_days` (400) and `ingest.max_clock_skew_secs` (600).
    pub fn new(customer_fallback: CustomerFallback, received_at: DateTime<Utc>) -> Self {
        Self {
            customer_fallback,
            received_at,
            max_event_age: TimeDelta::days(400),
            max_clock_skew: TimeDelta::seconds(600),
        }
    }
}

struct Rejection {
    code: QuarantineCode,
    message: String,
}

impl Rejection {
    fn new(code: QuarantineCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    fn from_domain(code: QuarantineCode, error: &DomainError) -> Self {
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

fn payload<'a>(wire: &WireEvent<'a>, options: &DecodeOptions) -> Result<EventPayload, Rejection> {
    let metadata = nested(&wire.metadata);
    let call_id = non_blank("litellm_call_id", wire.litellm_call_id)?.ok_or_else(|| {
        Rejection::new(QuarantineCode::MissingCallId, "litellm_call_id is missing")
    })?;
    let status = match text("status", wire.status)?.as_deref() {
        Some("success") => CallStatus::Success,
        Some("failure") => CallStatus::Failure {
            error_code: match nested(&wire.error_information) {
                Some(error) => label("error_information.error_code", error.error_code)?,
                None => None,
            },
        },
        Some(other) => {
            return Err(Rejection::new(
                QuarantineCode::InvalidStatus,
                format!("status must be \"success\" or \"failure\", got {other:?}"),
            ));
        }
        None => {
            return Err(Rejection::new(
                QuarantineCode::MissingStatus,
                "status is missing",
            ));
        }
    };
    let idempotency_key = match status {
        // At most one success per client request, even across fallbacks.
        CallStatus::Success => IdempotencyKey::parse(call_id.as_ref()),
        // Every failed attempt of a request shares its call id: tell them apart by deployment
        // and start time, using the number's exact text so a re-sent body maps to the same key.
        CallStatus::Failure { .. } => IdempotencyKey::parse(format!(
            "{call_id}:{}:{}",
            text("model_id", wire.model_id)?.unwrap_or_default(),
            wire.start_time.map(RawValue::get).unwrap_or_default()
        )),
    }
    .map_err(|e| Rejection::from_domain(QuarantineCode::InvalidCallId, &e))?;

    let occurred_at = match (wire.end_time, wire.start_time) {
        (Some(raw), _) | (None, Some(raw)) => plausible(epoch_seconds(raw)?, options)?,
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
    .map_err(|e| Rejection::from_domain(QuarantineCode::NegativeTokens, &e))?;

    let cost = match wire.response_cost {
        None => UsdAmount::ZERO,
        Some(raw) if raw.get().starts_with('"') => {
            return Err(Rejection::new(
                QuarantineCode::InvalidCost,
                format!(
                    "response_cost must be a number, got {}",
                    truncated(raw.get())
                ),
            ));
        }
        Some(raw) => UsdAmount::parse_json_number("response_cost", raw.get()).map_err(|e| {
            let code = match e {
                DomainError::Negative { .. } => QuarantineCode::NegativeCost,
                _ => QuarantineCode::InvalidCost,
            };
            Rejection::from_domain(code, &e)
        })?,
    };

    let from_metadata = |field, pick: fn(&WireMetadata<'a>) -> Raw<'a>| match metadata {
        Some(m) => label(field, pick(m)),
        None => Ok(None),
    };
    Ok(EventPayload {
        idempotency_key,
        occurred_at,
        customer: customer(wire, metadata, options.customer_fallback)?,
        api_key_hash: match metadata {
            Some(m) => key_fingerprint(m.user_api_key_hash)?,
            None => None,
        },
        api_key_alias: from_metadata("user_api_key_alias", |m| m.user_api_key_alias)?,
        user_id: from_metadata("user_api_key_user_id", |m| m.user_api_key_user_id)?,
        team_id: from_metadata("user_api_key_team_id", |m| m.user_api_key_team_id)?,
        org_id: from_metadata("user_api_key_org_id", |m| m.user_api_key_org_id)?,
        model_group: label("model_group", wire.model_group)?,
        provider_model: label("model", wire.model)?,
        provider: label("custom_llm_provider", wire.custom_llm_provider)?,
        call_type: label("call_type", wire.call_type)?,
        status,
        tokens,
        cost,
        cache_hit: flag(wire.cache_hit),
        stream: flag(wire.stream),
        trace_id: label("trace_id", wire.trace_id)?,
        request_tags: tags(wire.request_tags)?,
    })
}

fn customer<'a>(
    wire: &WireEvent<'a>,
    metadata: Option<&WireMetadata<'a>>,
    fallback: CustomerFallback,
) -> Result<Option<CustomerId>, Rejection> {
    let from_key = |field, pick: fn(&WireMetadata<'a>) -> Raw<'a>| match metadata {
        Some(m) => non_blank(field, pick(m)),
        None => Ok(None),
    };
    // Every candidate is checked, used or not: a field that cannot be stored refuses the event
    // rather than moving the call onto the next candidate's bill.
    let end_user = non_blank("end_user", wire.end_user)?;
    let key_end_user = from_key("user_api_key_end_user_id", |m| m.user_api_key_end_user_id)?;
    let fallback = match fallback {
        CustomerFallback::None => None,
        CustomerFallback::User => from_key("user_api_key_user_id", |m| m.user_api_key_user_id)?,
        CustomerFallback::Team => from_key("user_api_key_team_id", |m| m.user_api_key_team_id)?,
        CustomerFallback::Org => from_key("user_api_key_org_id", |m| m.user_api_key_org_id)?,
    };
    let named = end_user.or(key_end_user).or(fallback);
    named
        .map(|name| CustomerId::parse(name.into_owned()))
        .transpose()
        .map_err(|e| Rejection::from_domain(QuarantineCode::InvalidCustomer, &e))
}

fn nested<T>(value: &Option<Lenient<T>>) -> Option<&T> {
    value.as_ref().and_then(|lenient| lenient.0.as_ref())
}

/// A JSON string's content, or a number's text (ids are sometimes numeric); nothing for
/// other types (a wrong-typed field costs that field). A text PostgreSQL cannot store refuses
/// the event, naming the field: dropping it instead could bill the call to someone else.
fn text<'a>(field: &'static str, raw: Raw<'a>) -> Result<Option<Cow<'a, str>>, Rejection> {
    let Some(raw) = raw else { return Ok(None) };
    let raw = raw.get();
    let text = match raw.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<Cow<'a, str>>(raw).ok(),
        Some(b'-' | b'0'..=b'9') => Some(Cow::Borrowed(raw)),
        _ => None,
    };
    match text {
        Some(text) if !json_text::storable(&text) => Err(Rejection::new(
            QuarantineCode::InvalidText,
            format!(
                "{field} holds a NUL character or an unpaired UTF-16 surrogate, which cannot be \
                 stored"
            ),
        )),
        text => Ok(text),
    }
}

fn non_blank<'a>(field: &'static str, raw: Raw<'a>) -> Result<Option<Cow<'a, str>>, Rejection> {
    Ok(text(field, raw)?.filter(|t| !t.trim().is_empty()))
}

fn label(field: &'static str, raw: Raw<'_>) -> Result<Option<Label>, Rejection> {
    Ok(text(field, raw)?.and_then(|t| Label::new(&t)))
}

/// The API key's id as LiteLLM reports it: a SHA-256 in hex for `sk-` keys. LiteLLM sends
/// other keys (and a marker for the master key) as they are, so anything that is not already a
/// SHA-256 is hashed here: a live credential must never be stored.
fn key_fingerprint(raw: Raw<'_>) -> Result<Option<Label>, Rejection> {
    let Some(reported) = non_blank("user_api_key_hash", raw)? else {
        return Ok(None);
    };
    let is_sha256_hex = reported.len() == 64 && reported.bytes().all(|b| b.is_ascii_hexdigit());
    if is_sha256_hex {
        return Ok(Label::new(&reported.to_ascii_lowercase()));
    }
    Ok(Label::new(&hex::encode(Sha256::digest(
        reported.as_bytes(),
    ))))
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
            QuarantineCode::InvalidTokens,
            format!(
                "{field} must be a whole number, got {}",
                truncated(raw.get())
            ),
        )
    })
}

/// Unix seconds, exactly from the number's text, to the microsecond PostgreSQL keeps. A
/// fraction that rounds to a whole second carries into the next one: Python's `time.time()`
/// floats print as `...02.9999998`, which is `...03`, not an invalid time.
fn epoch_seconds(raw: &RawValue) -> Result<DateTime<Utc>, Rejection> {
    let invalid = || {
        Rejection::new(
            QuarantineCode::InvalidTime,
            format!(
                "endTime/startTime must be Unix seconds, got {}",
                truncated(raw.get())
            ),
        )
    };
    let seconds = parse_decimal("time", raw.get()).map_err(|_| invalid())?;
    if seconds.is_sign_negative() {
        return Err(invalid());
    }
    let micros = seconds
        .checked_mul(Decimal::from(1_000_000))
        .ok_or_else(invalid)?
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .ok_or_else(invalid)?;
    DateTime::from_timestamp_micros(micros).ok_or_else(invalid)
}

fn plausible(at: DateTime<Utc>, options: &DecodeOptions) -> Result<DateTime<Utc>, Rejection> {
    let oldest = options.received_at - options.max_event_age;
    let latest = options.received_at + options.max_clock_skew;
    if at < oldest || at > latest {
        return Err(Rejection::new(
            QuarantineCode::ImplausibleTime,
            format!(
                "endTime/startTime {at} is not between {oldest} and {latest}: older than \
                 ingest.max_event_age_days or further ahead than ingest.max_clock_skew_secs"
            ),
        ));
    }
    Ok(at)
}

/// Request tags, without the `User-Agent: ...` entries LiteLLM adds on its own: they describe
/// the client software, which billing does not need.
fn tags(raw: Raw<'_>) -> Result<Vec<Label>, Rejection> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let tags: Vec<Cow<'_, str>> = serde_json::from_str::<Vec<Option<Cow<'_, str>>>>(raw.get())
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect();
    if tags.iter().any(|tag| !json_text::storable(tag)) {
        return Err(Rejection::new(
            QuarantineCode::InvalidText,
            "request_tags holds a NUL character or an unpaired UTF-16 surrogate, which cannot be \
             stored",
        ));
    }
    Ok(tags
        .into_iter()
        .filter(|tag| !tag.starts_with("User-Agent:"))
        .filter_map(|tag| Label::new(&tag))
        .take(64)
        .collect())
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
