//! What is refused, with which code, and what is kept of it.

use chrono::Utc;
use rust_decimal::Decimal;
use tollgate_application::services::ingest::DecodedEvent;

use super::*;

#[test]
fn unusable_events_are_rejected_with_a_stable_code_and_minimized_content() {
    let cases: [(&[u8], &str); 9] = [
        (br#"{"status":"success"}"#, "missing_call_id"),
        (
            br#"{"litellm_call_id":"c","status":"weird"}"#,
            "invalid_status",
        ),
        (br#"{"litellm_call_id":"c"}"#, "missing_status"),
        (
            br#"{"litellm_call_id":"c","status":"success","prompt_tokens":-1}"#,
            "negative_tokens",
        ),
        (
            br#"{"litellm_call_id":"c","status":"success","prompt_tokens":1.5}"#,
            "invalid_tokens",
        ),
        (
            br#"{"litellm_call_id":"c","status":"success","response_cost":"0.1"}"#,
            "invalid_cost",
        ),
        (
            br#"{"litellm_call_id":"c","status":"success","response_cost":-0.1}"#,
            "negative_cost",
        ),
        (
            br#"{"litellm_call_id":"c","status":"success","endTime":"soon"}"#,
            "invalid_time",
        ),
        (br#"[42]"#, "not_an_object"),
    ];
    for (body, code) in cases {
        let rejection = rejected(body);
        assert_eq!(rejection.code, code, "{}", String::from_utf8_lossy(body));
        assert!(!rejection.message.is_empty());
        serde_json::from_str::<serde_json::Value>(&rejection.content).unwrap();
    }
}

#[test]
fn quarantined_content_never_holds_prompts_or_responses() {
    let body = br#"{"litellm_call_id":"c1","status":"success","prompt_tokens":-5,
        "messages":[{"role":"user","content":"SECRET PROMPT"}],
        "response":{"choices":[{"message":{"content":"SECRET ANSWER"}}]},
        "requester_ip_address":"10.1.2.3","model_parameters":{"user":"x"},
        "metadata":{"requester_metadata":{"headers":{"cookie":"SECRET COOKIE"}},
                    "user_api_key_hash":"abc"}}"#;
    let rejection = rejected(body);
    assert_eq!(rejection.code, "negative_tokens");
    for secret in ["SECRET", "10.1.2.3", "model_parameters", "cookie"] {
        assert!(!rejection.content.contains(secret), "{}", rejection.content);
    }
    assert!(rejection.content.contains("\"litellm_call_id\":\"c1\""));
    assert!(rejection.content.contains("\"prompt_tokens\":-5"));
}

#[test]
fn one_bad_event_in_a_batch_leaves_the_others_valid() {
    let body = br#"[{"litellm_call_id":"a","status":"success"},"oops",
        {"litellm_call_id":"b","status":"success","completion_tokens":-3},
        {"litellm_call_id":"c","status":"failure","model_id":"m","startTime":1764028800.5}]"#;
    let events = decode(body);
    let kinds: Vec<bool> = events
        .iter()
        .map(|e| matches!(e, DecodedEvent::Valid(_)))
        .collect();
    assert_eq!(kinds, vec![true, false, false, true]);
    let DecodedEvent::Valid(failure) = &events[3] else {
        unreachable!()
    };
    assert_eq!(failure.idempotency_key.as_str(), "c:m:1764028800.5");
}

#[test]
fn a_broken_ndjson_line_is_quarantined_and_the_rest_kept() {
    let body = b"{\"litellm_call_id\":\"a\",\"status\":\"success\"}\n{\"litellm_call_id\": broken\n{\"litellm_call_id\":\"c\",\"status\":\"success\"}";
    let events = decode(body);
    assert_eq!(events.len(), 3);
    assert!(matches!(&events[1], DecodedEvent::Rejected(r) if r.code == "invalid_json"));
    assert!(matches!(&events[2], DecodedEvent::Valid(_)));
}

#[test]
fn a_bare_nan_quarantines_its_event_not_the_batch() {
    let body = br#"[{"litellm_call_id":"a","status":"success","response_cost":NaN,
        "messages":"NaN inside a string stays"},
        {"litellm_call_id":"b","status":"success","response_cost":-Infinity}]"#;
    let events = decode(body);
    assert!(
        events
            .iter()
            .all(|e| matches!(e, DecodedEvent::Rejected(r) if r.code == "invalid_cost"))
    );
}

#[test]
fn bodies_that_are_not_json_are_refused_with_a_position() {
    let error = decode_usage_body(b"{\"a\":\n  tru}", &options()).unwrap_err();
    assert_eq!(error.code, "invalid_json");
    assert_eq!(error.line, Some(2));
    assert!(error.column.is_some());

    assert_eq!(
        decode_usage_body(b"  ", &options()).unwrap_err().code,
        "empty_body"
    );
    assert_eq!(
        decode_usage_body(b"[]", &options()).unwrap_err().code,
        "empty_batch"
    );
    assert_eq!(
        decode_usage_body(b"[{}, ", &options()).unwrap_err().code,
        "invalid_json"
    );
    assert_eq!(
        decode_usage_body(b"hello", &options()).unwrap_err().code,
        "invalid_json"
    );
}

#[test]
fn the_captured_budget_alert_decodes_with_its_entity() {
    let received = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
    let alert = decode_alert(fixture!("10-budget-alert.webhook.body.json"), received).unwrap();
    assert_eq!(alert.kind.as_str(), "budget_crossed");
    assert_eq!(alert.entity_group.as_str(), "key");
    assert_eq!(
        alert.entity_id.as_str(),
        "c896e5db021e6502ae24270d841c24b92a455015d6e786f0b51188f962774e7f"
    );
    assert_eq!(alert.day, received.date_naive());
    assert_eq!(alert.spend.unwrap().amount(), usd("1"));
    assert_eq!(alert.max_budget.unwrap().amount(), Decimal::ZERO);
    assert!(alert.soft_budget.is_none());
}

#[test]
fn alerts_without_a_known_event_are_refused() {
    let now = Utc::now();
    assert_eq!(
        decode_alert(b"{}", now).unwrap_err().code(),
        "missing_event"
    );
    assert_eq!(
        decode_alert(br#"{"event":"party"}"#, now)
            .unwrap_err()
            .code(),
        "unknown_event"
    );
    assert_eq!(
        decode_alert(b"nope", now).unwrap_err().code(),
        "invalid_json"
    );
}
