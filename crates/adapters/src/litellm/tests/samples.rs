//! The captured LiteLLM samples, and how each field maps.

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use tollgate_application::services::ingest::DecodedEvent;
use tollgate_domain::usage::CallStatus;

use super::*;

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
