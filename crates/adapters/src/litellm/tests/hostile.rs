//! Text PostgreSQL cannot store and timestamps that cannot be right: the event that holds one
//! is refused by name, its neighbours in the batch are kept, and the quarantine keeps nothing
//! of the offending text.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use tollgate_application::services::ingest::DecodedEvent;

use super::*;

/// A good event (call `good`) and one whose `field` is `value` (raw JSON), in one array.
fn batch_with(path: &[&str], value: &str) -> String {
    let mut bad = serde_json::json!({
        "litellm_call_id": "bad", "status": "success", "end_user": "acme",
        "endTime": 1764028800.25, "model_group": "gpt-4o",
        "metadata": {"user_api_key_hash": "k", "user_api_key_alias": "alias",
                     "user_api_key_user_id": "u", "user_api_key_team_id": "t",
                     "user_api_key_org_id": "o", "user_api_key_end_user_id": "e"},
        "error_information": {"error_code": "500"}
    });
    let mut slot = &mut bad;
    for key in &path[..path.len() - 1] {
        slot = &mut slot[*key];
    }
    slot[path[path.len() - 1]] = serde_json::Value::String("__HOSTILE__".into());
    let bad = bad.to_string().replace("\"__HOSTILE__\"", value);
    format!(
        r#"[{{"litellm_call_id":"good","status":"success","end_user":"acme","endTime":1764028800}},{bad}]"#
    )
}

/// Every text field a successful call's event keeps (`model_id` and `error_code` count only
/// for failures: see below).
const TEXT_FIELDS: [&[&str]; 14] = [
    &["litellm_call_id"],
    &["status"],
    &["end_user"],
    &["model_group"],
    &["model"],
    &["custom_llm_provider"],
    &["call_type"],
    &["trace_id"],
    &["metadata", "user_api_key_hash"],
    &["metadata", "user_api_key_alias"],
    &["metadata", "user_api_key_user_id"],
    &["metadata", "user_api_key_team_id"],
    &["metadata", "user_api_key_org_id"],
    &["metadata", "user_api_key_end_user_id"],
];

#[test]
fn a_nul_or_an_unpaired_surrogate_refuses_its_event_by_name_and_spares_the_batch() {
    let mut cases: Vec<(Vec<&str>, &str)> = Vec::new();
    for path in TEXT_FIELDS {
        for value in [r#""x\u0000y""#, r#""x\ud800y""#, r#""\udfff""#] {
            cases.push((path.to_vec(), value));
        }
    }
    cases.push((vec!["request_tags"], r#"["ok", "bad\u0000tag"]"#));
    cases.push((vec!["request_tags"], r#"["\ud83d"]"#));
    for (path, value) in cases {
        let body = batch_with(&path, value);
        let events = decode(body.as_bytes());
        assert_eq!(events.len(), 2, "{body}");
        assert!(
            matches!(&events[0], DecodedEvent::Valid(p) if p.idempotency_key.as_str() == "good"),
            "{body}: {:?}",
            events[0]
        );
        let DecodedEvent::Rejected(rejected) = &events[1] else {
            panic!("{body}: accepted {:?}", events[1]);
        };
        assert_eq!(rejected.code, "invalid_text", "{body}");
        let name = *path.last().unwrap();
        assert!(rejected.message.contains(name), "{}", rejected.message);
        // What the quarantine keeps is storable JSON without the offending text.
        let kept: serde_json::Value = serde_json::from_str(&rejected.content).unwrap();
        assert!(
            !rejected.content.contains("\\u0000"),
            "{}",
            rejected.content
        );
        assert!(
            !rejected.content.to_ascii_lowercase().contains("\\ud"),
            "{}",
            rejected.content
        );
        assert!(kept.is_object());
    }
}

#[test]
fn a_failed_calls_unstorable_error_code_or_deployment_refuses_it_too() {
    for (field, body) in [
        (
            "error_code",
            &br#"[{"litellm_call_id":"f","status":"failure","endTime":1764028800,
                "error_information":{"error_code":"5\u0000"}}]"#[..],
        ),
        (
            "model_id",
            br#"[{"litellm_call_id":"f","status":"failure","endTime":1764028800,
                "model_id":"\udbff"}]"#,
        ),
    ] {
        let rejection = rejected(body);
        assert_eq!(rejection.code, "invalid_text");
        assert!(rejection.message.contains(field), "{}", rejection.message);
    }
}

#[test]
fn control_characters_and_long_text_are_stored_cut_not_refused() {
    let long = "m".repeat(1 << 20);
    let body = format!(
        r#"{{"litellm_call_id":"c","status":"success","endTime":1764028800,
            "model_group":"a\u0001b\t","custom_llm_provider":"{long}"}}"#
    );
    let event = only(body.as_bytes());
    assert_eq!(label(event.model_group.as_ref()), Some("a\u{1}b"));
    assert_eq!(event.provider.unwrap().as_str().len(), 255);
}

fn occurred(end_time: &str) -> Result<DateTime<Utc>, String> {
    let body = format!(r#"{{"litellm_call_id":"c","status":"success","endTime":{end_time}}}"#);
    match decode(body.as_bytes()).remove(0) {
        DecodedEvent::Valid(payload) => Ok(payload.occurred_at),
        DecodedEvent::Rejected(rejected) => Err(rejected.code.as_str().to_owned()),
    }
}

#[test]
fn float_seconds_that_round_up_carry_into_the_next_second() {
    let at = |secs: i64, micros: u32| Utc.timestamp_opt(secs, micros * 1000).unwrap();
    assert_eq!(occurred("1764028802.9999998"), Ok(at(1_764_028_803, 0)));
    assert_eq!(
        occurred("1764028802.9999993"),
        Ok(at(1_764_028_802, 999_999))
    );
    assert_eq!(
        occurred("1764028802.999999"),
        Ok(at(1_764_028_802, 999_999))
    );
    assert_eq!(occurred("1764028802.0000004"), Ok(at(1_764_028_802, 0)));
    assert_eq!(occurred("1764028802.0000005"), Ok(at(1_764_028_802, 1)));
    assert_eq!(occurred("1764028802"), Ok(at(1_764_028_802, 0)));
    assert_eq!(occurred("1.764028802e9"), Ok(at(1_764_028_802, 0)));
}

#[test]
fn implausible_times_are_quarantined() {
    // Received 2026-12-01: 400 days back is the oldest, 600 s ahead the latest accepted.
    let received = options().received_at;
    let secs = |at: DateTime<Utc>| at.timestamp().to_string();
    assert_eq!(occurred("0"), Err("implausible_time".into()));
    assert_eq!(
        occurred(&secs(received - TimeDelta::days(401))),
        Err("implausible_time".into())
    );
    assert!(occurred(&secs(received - TimeDelta::days(399))).is_ok());
    assert!(occurred(&secs(received + TimeDelta::seconds(599))).is_ok());
    assert_eq!(
        occurred(&secs(received + TimeDelta::seconds(601))),
        Err("implausible_time".into())
    );
    assert_eq!(occurred("4102444800"), Err("implausible_time".into()));
    // Not a time at all stays invalid_time.
    assert_eq!(occurred("-1"), Err("invalid_time".into()));
    assert_eq!(occurred("1e400"), Err("invalid_time".into()));
    assert_eq!(
        occurred("99999999999999999999999"),
        Err("invalid_time".into())
    );
}
