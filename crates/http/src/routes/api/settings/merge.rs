//! JSON merge patch (RFC 7396) of the settings document.
//!
//! Top-level members are handled as raw JSON text, so a threshold given as a number keeps its
//! digits (a `serde_json::Value` would hold it as an `f64`); only an object member (the billing
//! contact: text only) is merged as a `Value`.

use serde_json::{Map, Value, value::RawValue};
use tollgate_domain::ErrorCode;

use super::{Document, SettingsResponse};
use crate::error::ApiError;

/// The stored settings as a document, in the API's JSON.
pub(super) fn document(current: &SettingsResponse) -> Result<Document, ApiError> {
    let Value::Object(members) = serde_json::to_value(current).map_err(internal)? else {
        return Err(ApiError::Internal("settings are not a JSON object".into()));
    };
    members
        .into_iter()
        .map(|(name, value)| Ok((name, raw(&value)?)))
        .collect()
}

/// Applies the patch's member `name`: `null` removes it (its default applies), an object is
/// merged into the object held, anything else replaces what is held.
pub(super) fn member(
    document: &mut Document,
    name: String,
    patch: Box<RawValue>,
) -> Result<(), ApiError> {
    let text = patch.get().trim_start();
    if text == "null" {
        document.remove(&name);
    } else if text.starts_with('{') {
        let held = match document.get(&name) {
            Some(held) => serde_json::from_str(held.get()).map_err(internal)?,
            None => Value::Null,
        };
        // Read whole now: a number no `f64` holds (`1e400`) is the client's error.
        let patch: Value =
            serde_json::from_str(patch.get()).map_err(|error| ApiError::Malformed {
                code: ErrorCode::InvalidJson,
                message: format!("Json deserialize error: {error}"),
            })?;
        document.insert(name, raw(&merge(held, patch))?);
    } else {
        document.insert(name, patch);
    }
    Ok(())
}

/// RFC 7396's MergePatch(target, patch).
fn merge(target: Value, patch: Value) -> Value {
    let Value::Object(patch) = patch else {
        return patch;
    };
    let mut target = match target {
        Value::Object(target) => target,
        _ => Map::new(),
    };
    for (name, value) in patch {
        if value.is_null() {
            target.remove(&name);
        } else {
            let held = target.remove(&name).unwrap_or(Value::Null);
            target.insert(name, merge(held, value));
        }
    }
    Value::Object(target)
}

fn raw(value: &Value) -> Result<Box<RawValue>, ApiError> {
    RawValue::from_string(value.to_string()).map_err(internal)
}

fn internal(error: serde_json::Error) -> ApiError {
    ApiError::Internal(format!("merging the settings: {error}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The examples of RFC 7396, appendix A.
    #[test]
    fn merge_follows_the_rfcs_examples() {
        for (target, patch, result) in [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a": "b"}), json!(["c"]), json!(["c"])),
            (json!({"a": "foo"}), json!(null), json!(null)),
            (json!({"a": "foo"}), json!("bar"), json!("bar")),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!([1, 2]),
                json!({"a": "b", "c": null}),
                json!({"a": "b"}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ] {
            assert_eq!(
                merge(target.clone(), patch.clone()),
                result,
                "{target} + {patch}"
            );
        }
    }

    #[test]
    fn top_level_numbers_keep_their_digits() {
        let mut document = Document::new();
        let thresholds = RawValue::from_string("[0.1, 99999999999999999.99]".into()).unwrap();
        member(&mut document, "alert_thresholds".into(), thresholds).unwrap();
        let text = serde_json::to_string(&document).unwrap();
        assert_eq!(text, r#"{"alert_thresholds":[0.1, 99999999999999999.99]}"#);
        let null = RawValue::from_string("null".into()).unwrap();
        member(&mut document, "alert_thresholds".into(), null).unwrap();
        assert!(document.is_empty());
        let huge = RawValue::from_string(r#"{"email": 1e400}"#.into()).unwrap();
        let error = member(&mut document, "billing_contact".into(), huge).unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidJson);
    }
}
