use std::str::FromStr;

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;
use tollgate_application::services::{DecodedEvent, RejectedEvent};
use tollgate_domain::usage::{CallStatus, EventPayload};

use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../../tests/fixtures/litellm/", $name))
    };
}

fn options() -> DecodeOptions {
    DecodeOptions {
        customer_fallback: CustomerFallback::User,
        received_at: Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap(),
    }
}

fn decode(body: &[u8]) -> Vec<DecodedEvent> {
    decode_usage_body(body, &options()).unwrap()
}

fn valid(body: &[u8]) -> Vec<EventPayload> {
    decode(body)
        .into_iter()
        .map(|event| match event {
            DecodedEvent::Valid(payload) => payload,
            DecodedEvent::Rejected(rejected) => panic!("rejected: {rejected:?}"),
        })
        .collect()
}

fn only(body: &[u8]) -> EventPayload {
    let mut events = valid(body);
    assert_eq!(events.len(), 1);
    events.remove(0)
}

fn rejected(body: &[u8]) -> RejectedEvent {
    match decode(body).remove(0) {
        DecodedEvent::Rejected(rejected) => rejected,
        DecodedEvent::Valid(payload) => panic!("accepted: {payload:?}"),
    }
}

fn usd(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn label(value: Option<&tollgate_domain::usage::Label>) -> Option<&str> {
    value.map(|l| l.as_str())
}

#[test]
fn a_virtual_key_success_keeps_attribution_tokens_and_exact_cost() {
    let event = only(fixture!("02-usage-single.success-virtual-key.body.json"));

    assert_eq!(event.status, CallStatus::Success);
    assert_eq!(event.customer.as_ref().unwrap().as_str(), "cust-002");
    assert_eq!(
        label(event.api_key_hash.as_ref()),
        Some("abe8d4fbc5431fefbc26c7102cc57ef9ca4c9edac2e0427530c744d9d28e6155")
    );
    assert_eq!(label(event.api_key_alias.as_ref()), Some("alice-laptop"));
    assert_eq!(label(event.user_id.as_ref()), Some("user-alice"));
    assert_eq!(label(event.team_id.as_ref()), Some("team-alpha"));
    assert_eq!(label(event.org_id.as_ref()), Some("org-acme"));
    assert_eq!(label(event.model_group.as_ref()), Some("claude-haiku"));
    assert_eq!(
        label(event.provider_model.as_ref()),
        Some("anthropic/claude-3-5-haiku-20241022")
    );
    assert_eq!(label(event.call_type.as_ref()), Some("acompletion"));
    assert_eq!(
        (
            event.tokens.prompt,
            event.tokens.completion,
            event.tokens.total
        ),
        (10, 20, 30)
    );
    assert_eq!(event.cost.amount(), usd("0.000088"));
    assert!(!event.cache_hit);
    assert!(!event.stream);
    // LiteLLM's automatic "User-Agent: ..." tags are dropped; the client's own tags stay.
    let tags: Vec<&str> = event.request_tags.iter().map(|t| t.as_str()).collect();
    assert_eq!(tags, vec!["project:borealis"]);
    assert_eq!(
        event.occurred_at,
        Utc.timestamp_opt(1_795_625_138, 707_834_000).unwrap()
    );
}

#[test]
fn successes_are_keyed_on_the_call_id() {
    let body = fixture!("02-usage-single.success-virtual-key.body.json");
    let call_id = serde_json::from_slice::<serde_json::Value>(body).unwrap()["litellm_call_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(only(body).idempotency_key.as_str(), call_id);
}

#[test]
fn a_streamed_success_is_marked_as_a_stream() {
    let event = only(fixture!("03-usage-single.success-streaming.body.json"));
    assert!(event.stream);
    assert_eq!(event.status, CallStatus::Success);
    assert!(event.tokens.total > 0);
}

#[test]
fn a_cache_hit_costs_nothing_but_keeps_its_tokens() {
    let event = only(fixture!("04-usage-single.success-cache-hit.body.json"));
    assert!(event.cache_hit);
    assert_eq!(event.cost.amount(), Decimal::ZERO);
    assert!(event.tokens.total > 0);
}

#[test]
fn a_provider_failure_carries_its_error_code_and_no_usage() {
    let event = only(fixture!("05-usage-single.failure-provider-500.body.json"));
    assert_eq!(label(event.status.error_code()), Some("500"));
    assert_eq!(event.tokens.total, 0);
    assert_eq!(event.cost.amount(), Decimal::ZERO);
    assert!(!event.is_billable());
}

#[test]
fn an_auth_failure_has_no_customer_and_a_401() {
    let event = only(fixture!("06-usage-single.failure-auth-401.body.json"));
    assert_eq!(label(event.status.error_code()), Some("401"));
    assert!(event.api_key_hash.is_some());
    assert_eq!(event.tokens.total, 0);
}

#[test]
fn a_fallback_pair_shares_the_call_id_but_not_the_key() {
    let failed = only(fixture!(
        "07-usage-single.fallback-failed-attempt.body.json"
    ));
    let served = only(fixture!(
        "08-usage-single.fallback-served-attempt.body.json"
    ));

    assert!(matches!(failed.status, CallStatus::Failure { .. }));
    assert_eq!(served.status, CallStatus::Success);
    assert_ne!(failed.idempotency_key, served.idempotency_key);
    assert!(
        failed
            .idempotency_key
            .as_str()
            .starts_with(served.idempotency_key.as_str())
    );
    assert_ne!(failed.model_group, served.model_group);
}

#[test]
fn the_captured_json_array_batch_decodes_every_event() {
    let events = valid(fixture!("01-usage-batch.json_array.body.json"));
    assert_eq!(events.len(), 11);
    let failures = events.iter().filter(|e| !e.is_billable()).count();
    assert_eq!(failures, 2);
    let total: Decimal = events.iter().map(|e| e.cost.amount()).sum();
    // 4 × 1.35e-05 + 2 × 8.8e-05 + 5.2799999999999996e-05 + 2 × 4.9999999999999996e-06,
    // summed from the exact texts, not from floats.
    assert_eq!(total, usd("0.0002927999999999999952"));
    // An event without end_user falls back to the key's user.
    assert!(events.iter().all(|e| e.customer.is_some()));
}

#[test]
fn the_captured_ndjson_batch_decodes_every_line() {
    let body = fixture!("09-usage-batch.ndjson.body.ndjson");
    let lines = body.split(|b| *b == b'\n').count();
    assert!(lines > 1);
    assert_eq!(valid(body).len(), lines);
}

#[test]
fn a_single_object_and_the_same_object_in_an_array_decode_alike() {
    let object = fixture!("02-usage-single.success-virtual-key.body.json");
    let mut array = b"[".to_vec();
    array.extend_from_slice(object);
    array.push(b']');
    assert_eq!(valid(object), valid(&array));
}

#[test]
fn without_end_user_the_configured_fallback_names_the_customer() {
    let body = br#"{"litellm_call_id":"c1","status":"success","endTime":1795625138.5,
        "metadata":{"user_api_key_user_id":"u1","user_api_key_team_id":"t1","user_api_key_org_id":"o1"}}"#;
    for (fallback, expected) in [
        (CustomerFallback::User, Some("u1")),
        (CustomerFallback::Team, Some("t1")),
        (CustomerFallback::Org, Some("o1")),
        (CustomerFallback::None, None),
    ] {
        let options = DecodeOptions {
            customer_fallback: fallback,
            ..options()
        };
        let DecodedEvent::Valid(event) = decode_usage_body(body, &options).unwrap().remove(0)
        else {
            panic!("rejected")
        };
        assert_eq!(event.customer.as_ref().map(|c| c.as_str()), expected);
    }
}

#[test]
fn raw_api_keys_are_never_kept_only_their_sha256() {
    let body = br#"{"litellm_call_id":"c1","status":"success",
        "metadata":{"user_api_key_hash":"my-raw-key-123"}}"#;
    // `printf %s my-raw-key-123 | sha256sum`
    assert_eq!(
        label(only(body).api_key_hash.as_ref()),
        Some("f16de5c60543689d72fdedf8da646c8821d573e9f433b241721e3dc186257ef8")
    );
}

#[test]
fn cached_and_reasoning_tokens_come_from_the_usage_object() {
    let body = br#"{"litellm_call_id":"c1","status":"success","endTime":1795625138,
        "prompt_tokens":100,"completion_tokens":50,"total_tokens":150,
        "metadata":{"usage_object":{"prompt_tokens_details":{"cached_tokens":40},
        "completion_tokens_details":{"reasoning_tokens":30}}}}"#;
    let event = only(body);
    assert_eq!((event.tokens.cached, event.tokens.reasoning), (40, 30));
}

#[test]
fn fields_of_the_wrong_type_cost_only_that_field() {
    let body = br#"{"litellm_call_id":"c1","status":"success","endTime":1795625138,
        "cache_hit":"yes","stream":1,"model_group":{"x":1},"request_tags":"nope",
        "metadata":"not an object","error_information":[1,2]}"#;
    let event = only(body);
    assert!(!event.cache_hit && !event.stream);
    assert!(event.model_group.is_none() && event.request_tags.is_empty());
}

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
        {"litellm_call_id":"c","status":"failure","model_id":"m","startTime":1.5}]"#;
    let events = decode(body);
    let kinds: Vec<bool> = events
        .iter()
        .map(|e| matches!(e, DecodedEvent::Valid(_)))
        .collect();
    assert_eq!(kinds, vec![true, false, false, true]);
    let DecodedEvent::Valid(failure) = &events[3] else {
        unreachable!()
    };
    assert_eq!(failure.idempotency_key.as_str(), "c:m:1.5");
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

fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::json!(f)),
        ".{0,12}".prop_map(serde_json::Value::String),
    ];
    let keys = prop_oneof![
        Just("litellm_call_id".to_owned()),
        Just("status".to_owned()),
        Just("prompt_tokens".to_owned()),
        Just("response_cost".to_owned()),
        Just("endTime".to_owned()),
        Just("startTime".to_owned()),
        Just("metadata".to_owned()),
        Just("usage_object".to_owned()),
        Just("end_user".to_owned()),
        Just("request_tags".to_owned()),
        "[a-z_]{1,8}",
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..8)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_json_never_panics(value in arbitrary_json()) {
        let body = serde_json::to_vec(&value).unwrap();
        let _ = decode_usage_body(&body, &options());
        let _ = decode_alert(&body, Utc::now());
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_usage_body(&body, &options());
        let _ = decode_alert(&body, Utc::now());
    }

    #[test]
    fn every_element_of_an_array_gets_exactly_one_outcome(
        values in prop::collection::vec(arbitrary_json(), 1..8)
    ) {
        let body = serde_json::to_vec(&values).unwrap();
        let decoded = decode_usage_body(&body, &options()).unwrap();
        prop_assert_eq!(decoded.len(), values.len());
    }
}
