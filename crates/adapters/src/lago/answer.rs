//! What Lago's answers to `POST /api/v1/events/batch` mean for the events in the batch.
//!
//! Errors are `{"status","error"}`, and a 422 adds `code: "validation_errors"` with
//! `error_details`: keyed by the event's index in the batch for `/events/batch`
//! (`{"0":{"transaction_id":["value_already_exist"]}}`), by field for a batch-wide problem
//! (`{"events":["too_many_events"]}`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::{StatusCode, header::HeaderMap};
use serde::Deserialize;
use serde_json::Value;
use tollgate_application::ports::DeliveryOutcome;

use crate::openmeter::{
    Answer,
    outbound::{self, MAX_RETRY_AFTER},
};

/// `Error` / `ApiErrorUnprocessableEntity`.
#[derive(Deserialize, Default)]
struct LagoError {
    error: Option<String>,
    code: Option<String>,
    error_details: Option<Value>,
}

pub(super) fn classify(
    status: StatusCode,
    body: &[u8],
    group_len: usize,
    retry_after: Option<Duration>,
) -> Answer {
    let code = status.as_u16();
    let error: LagoError = serde_json::from_slice(body).unwrap_or_default();
    let said = outbound::excerpt(&match (&error.error, &error.error_details) {
        (Some(text), Some(details)) => format!("{text}: {details}"),
        (Some(text), None) => text.clone(),
        _ => String::from_utf8_lossy(body).into_owned(),
    });
    let retry = |reason: String| {
        Answer::Failed(DeliveryOutcome::Retry {
            reason,
            retry_after,
        })
    };
    match status {
        StatusCode::UNPROCESSABLE_ENTITY => {
            let details = error.error_details.unwrap_or_default();
            if error.code.as_deref() == Some("validation_errors") {
                if let Some(verdicts) = per_event(&details, group_len) {
                    return Answer::PerEvent(verdicts);
                }
                // `/events` style, for a batch of one.
                if group_len == 1 && is_duplicate(&details) {
                    return Answer::PerEvent(vec![Some(DeliveryOutcome::Delivered)]);
                }
            }
            Answer::Refused(format!("Lago refused the event (HTTP 422): {said}"))
        }
        StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE => {
            Answer::Refused(format!("Lago refused the event (HTTP {code}): {said}"))
        }
        // A wrong or revoked API key is a configuration problem: the events are fine and must
        // wait until the key is fixed rather than be rejected for good.
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => retry(format!(
            "Lago refused the API key (HTTP {code}): check the configured key: {said}"
        )),
        StatusCode::TOO_MANY_REQUESTS => retry("Lago is throttling (HTTP 429)".into()),
        // 5xx, and anything unexpected: not a verdict on the events.
        _ => retry(format!("Lago answered HTTP {code}: {said}")),
    }
}

/// `error_details` keyed by index in the batch (`{"0":{"transaction_id":[…]}}`), as verdicts
/// in batch order; `None` when the details are not per event.
fn per_event(details: &Value, len: usize) -> Option<Vec<Option<DeliveryOutcome>>> {
    let details = details.as_object().filter(|d| !d.is_empty())?;
    let mut verdicts = vec![None; len];
    for (key, errors) in details {
        let index = key.parse::<usize>().ok().filter(|i| *i < len)?;
        verdicts[index] = Some(if is_duplicate(errors) {
            DeliveryOutcome::Delivered
        } else {
            DeliveryOutcome::Rejected {
                reason: outbound::excerpt(&format!("Lago refused the event: {errors}")),
            }
        });
    }
    Some(verdicts)
}

/// Lago already stores an event with this `transaction_id` (for this subscription).
fn is_duplicate(errors: &Value) -> bool {
    errors
        .get("transaction_id")
        .and_then(Value::as_array)
        .is_some_and(|codes| codes.iter().any(|code| code == "value_already_exist"))
}

/// `Retry-After`, else `X-RateLimit-Reset` (Lago Cloud: seconds until the window resets; a
/// value that can only be a Unix time is read as one).
pub(super) fn rate_limit_wait(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    outbound::retry_after(headers, now).or_else(|| {
        let reset: i64 = headers
            .get("x-ratelimit-reset")?
            .to_str()
            .ok()?
            .trim()
            .parse()
            .ok()?;
        let seconds = if reset > 1_000_000_000 {
            reset - now.timestamp()
        } else {
            reset
        };
        let seconds = u64::try_from(seconds).unwrap_or(0);
        Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
    })
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;
    use serde_json::json;

    use super::*;

    #[test]
    fn indexed_errors_become_verdicts() {
        let details = json!({
            "0": {"transaction_id": ["value_already_exist"]},
            "2": {"code": ["value_is_mandatory"]},
        });
        let verdicts = per_event(&details, 3);
        assert_eq!(
            verdicts,
            Some(vec![
                Some(DeliveryOutcome::Delivered),
                None,
                Some(DeliveryOutcome::Rejected {
                    reason: r#"Lago refused the event: {"code":["value_is_mandatory"]}"#.into()
                }),
            ])
        );
        assert_eq!(per_event(&json!({"events": ["too_many_events"]}), 3), None);
        assert_eq!(per_event(&json!({"7": {}}), 3), None);
        assert_eq!(per_event(&json!({}), 3), None);
    }

    #[test]
    fn rate_limit_reset_is_seconds_or_a_unix_time() -> Result<(), Box<dyn std::error::Error>> {
        let now = DateTime::from_timestamp(1_800_000_000, 0).ok_or("time")?;
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("7"));
        assert_eq!(rate_limit_wait(&headers, now), Some(Duration::from_secs(7)));
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("1800000030"));
        assert_eq!(
            rate_limit_wait(&headers, now),
            Some(Duration::from_secs(30))
        );
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(rate_limit_wait(&headers, now), Some(Duration::from_secs(2)));
        Ok(())
    }
}
