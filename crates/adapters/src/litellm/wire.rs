//! The parts of LiteLLM's `StandardLoggingPayload` Tollgate reads, borrowed from the body.
//!
//! Fields are kept as raw JSON text and interpreted in `mapping`, so that a field of an
//! unexpected type costs only that field, never the event.

use std::fmt;

use serde::{
    Deserialize, Deserializer,
    de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor, value::MapAccessDeserializer},
};
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
        deserializer
            .deserialize_any(ElementVisitor::<T>::new())
            .map(|element| match element {
                Element::Object(value) => Self(Some(value)),
                Element::Other(_) => Self(None),
            })
    }
}

/// One element of a batch: an object we can read, or another JSON value (kept by type name).
#[derive(Debug)]
pub(super) enum Element<T> {
    Object(T),
    Other(&'static str),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Element<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ElementVisitor::<T>::new())
    }
}

struct ElementVisitor<T>(std::marker::PhantomData<T>);

impl<T> ElementVisitor<T> {
    fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ElementVisitor<T> {
    type Value = Element<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Element::Object)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Element::Other("array"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Element::Other("boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Element::Other("number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Element::Other("number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Element::Other("number"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Element::Other("string"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Element::Other("null"))
    }
}
