//! What is kept of an event that goes to the quarantine: the fields an operator needs to see
//! why it was refused, and nothing that could hold a prompt, a completion, a header or an
//! address.

use serde::Serialize;
use serde_json::value::RawValue;

use super::{
    super::json_text,
    wire::{Raw, WireEvent},
};

/// A kept field's JSON text, or a note of its size when it is too large to be an id or a number.
#[derive(Serialize)]
#[serde(untagged)]
enum Kept<'a> {
    Raw(&'a RawValue),
    Omitted {
        omitted_bytes: usize,
    },
    /// Text `jsonb` cannot hold (NUL, or an unpaired surrogate rewritten as NUL): not a
    /// character of it is kept.
    Unstorable {
        unstorable_text: bool,
    },
}

const MAX_FIELD_BYTES: usize = 256;

fn keep(raw: Raw<'_>) -> Option<Kept<'_>> {
    let raw = raw?;
    Some(if json_text::may_hold_nul(raw.get().as_bytes()) {
        Kept::Unstorable {
            unstorable_text: true,
        }
    } else if raw.get().len() <= MAX_FIELD_BYTES {
        Kept::Raw(raw)
    } else {
        Kept::Omitted {
            omitted_bytes: raw.get().len(),
        }
    })
}

#[derive(Serialize)]
struct Minimized<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    litellm_call_id: Option<Kept<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Kept<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    call_type: Option<Kept<'a>>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "startTime")]
    start_time: Option<Kept<'a>>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "endTime")]
    end_time: Option<Kept<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model_group: Option<Kept<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<Kept<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model_id: Option<Kept<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_user: Option<Kept<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt_tokens: Option<Kept<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    completion_tokens: Option<Kept<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_tokens: Option<Kept<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_cost: Option<Kept<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_api_key_hash: Option<Kept<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_api_key_team_id: Option<Kept<'a>>,
}

pub(super) fn minimized(wire: &WireEvent<'_>) -> String {
    let metadata = wire.metadata.as_ref().and_then(|m| m.0.as_ref());
    let kept = Minimized {
        litellm_call_id: keep(wire.litellm_call_id),
        status: keep(wire.status),
        call_type: keep(wire.call_type),
        start_time: keep(wire.start_time),
        end_time: keep(wire.end_time),
        model_group: keep(wire.model_group),
        model: keep(wire.model),
        model_id: keep(wire.model_id),
        end_user: keep(wire.end_user),
        prompt_tokens: keep(wire.prompt_tokens),
        completion_tokens: keep(wire.completion_tokens),
        total_tokens: keep(wire.total_tokens),
        response_cost: keep(wire.response_cost),
        user_api_key_hash: metadata.and_then(|m| keep(m.user_api_key_hash)),
        user_api_key_team_id: metadata.and_then(|m| keep(m.user_api_key_team_id)),
    };
    serde_json::to_string(&kept).unwrap_or_else(|_| "{}".to_owned())
}

pub(super) fn type_only(json_type: &str) -> String {
    serde_json::json!({ "json_type": json_type }).to_string()
}

pub(super) fn unparseable(bytes: usize) -> String {
    serde_json::json!({ "unparseable_bytes": bytes }).to_string()
}
