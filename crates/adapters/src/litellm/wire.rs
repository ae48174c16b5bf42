//! The parts of LiteLLM's `StandardLoggingPayload` Tollgate reads, borrowed from the body.
//!
//! Fields are kept as raw JSON text and interpreted in `mapping`, so that a field of an
//! unexpected type costs only that field, never the event.

use serde::{Deserialize, Deserializer, de};
use serde_json::value::RawValue;

pub(super) type Raw<'a> = Option<&'a RawValue>;

#[derive(Debug, Default, Deserialize)]
pub(super) struct WireEvent<'a> {
    #[serde(borrow, default)]
    pub litellm_call_id: Raw<'a>,
    #[serde(borrow, default)]
    pub trace_id: Raw<'a>,
    #[serde(borrow, default)]
    pub call_type: Raw<'a>,
    #[serde(borrow, default)]
    pub status: Raw<'a>,
    #[serde(borrow, default)]
    pub cache_hit: Raw<'a>,
    #[serde(borrow, default)]
    pub stream: Raw<'a>,
    #[serde(borrow, default)]
    pub custom_llm_provider: Raw<'a>,
    #[serde(borrow, default, rename = "startTime")]
    pub start_time: Raw<'a>,
    #[serde(borrow, default, rename = "endTime")]
    pub end_time: Raw<'a>,
    #[serde(borrow, default)]
    pub model: Raw<'a>,
    #[serde(borrow, default)]
    pub model_group: Raw<'a>,
    #[serde(borrow, default)]
    pub model_id: Raw<'a>,
    #[serde(borrow, default)]
    pub end_user: Raw<'a>,
    #[serde(borrow, default)]
    pub prompt_tokens: Raw<'a>,
    #[serde(borrow, default)]
    pub completion_tokens: Raw<'a>,
    #[serde(borrow, default)]
    pub total_tokens: Raw<'a>,
    #[serde(borrow, default)]
    pub response_cost: Raw<'a>,
    #[serde(borrow, default)]
    pub request_tags: Raw<'a>,
    #[serde(borrow, default)]
    pub metadata: Option<Lenient<WireMetadata<'a>>>,
    #[serde(borrow, default)]
    pub error_information: Option<Lenient<WireErrorInformation<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct WireMetadata<'a> {
    #[serde(borrow, default)]
    pub user_api_key_hash: Raw<'a>,
    #[serde(borrow, default)]
    pub user_api_key_alias: Raw<'a>,
    #[serde(borrow, default)]
    pub user_api_key_user_id: Raw<'a>,
    #[serde(borrow, default)]
    pub user_api_key_team_id: Raw<'a>,
    #[serde(borrow, default)]
    pub user_api_key_org_id: Raw<'a>,
    #[serde(borrow, default)]
    pub user_api_key_end_user_id: Raw<'a>,
    #[serde(borrow, default)]
    pub usage_object: Option<Lenient<WireUsageObject<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct WireUsageObject<'a> {
    #[serde(borrow, default)]
    pub prompt_tokens_details: Option<Lenient<WireTokenDetails<'a>>>,
    #[serde(borrow, default)]
    pub completion_tokens_details: Option<Lenient<WireTokenDetails<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct WireTokenDetails<'a> {
    #[serde(borrow, default)]
    pub cached_tokens: Raw<'a>,
    #[serde(borrow, default)]
    pub reasoning_tokens: Raw<'a>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct WireErrorInformation<'a> {
    #[serde(borrow, default)]
    pub error_code: Raw<'a>,
}

/// A nested object that is read when it is an object and treated as absent when it is
/// anything else (LiteLLM sends `null` for some of them; a string there must not cost the event).
#[derive(Debug, Default)]
pub(super) struct Lenient<T>(pub Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Element::<T>::deserialize(deserializer)? {
            Element::Object(value) => Ok(Self(Some(value))),
            Element::Other(_) => Ok(Self(None)),
            Element::Unreadable(reason) => Err(de::Error::custom(reason)),
        }
    }
}

/// One element of a batch: an object we can read, another JSON value (kept by type name), or
/// an object that cannot be read as an event (a field twice, say), refused on its own.
#[derive(Debug)]
pub(super) enum Element<T> {
    Object(T),
    Other(&'static str),
    Unreadable(String),
}

/// Taken as raw JSON first and typed by its first byte, never through `deserialize_any`: that
/// would convert a number (`1e400` fails as an `f64`) and refuse the whole body for it.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Element<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <&'de RawValue>::deserialize(deserializer)?;
        let text = raw.get();
        Ok(match text.as_bytes().first() {
            Some(b'{') => match serde_json::from_str::<T>(text) {
                Ok(value) => Element::Object(value),
                Err(error) => Element::Unreadable(error.to_string()),
            },
            Some(b'[') => Element::Other("array"),
            Some(b'"') => Element::Other("string"),
            Some(b't' | b'f') => Element::Other("boolean"),
            Some(b'n') => Element::Other("null"),
            _ => Element::Other("number"),
        })
    }
}
