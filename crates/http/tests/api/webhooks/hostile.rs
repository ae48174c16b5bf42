//! Text PostgreSQL cannot store and implausible times: the event holding one is quarantined by
//! name, the rest of its batch is stored, and the answer is 202. API bodies answer 422.

use chrono::Utc;
use serde_json::{Value, json};

use crate::{
    billing::WRITE_KEY,
    helpers::{TestApp, batch_body, distinct_events, event_with_call_id, status_and_json},
    identity::support::{call, send},
};

/// (batch index, code) of each quarantined event of an ingest report.
fn errors(report: &Value) -> Vec<(u64, String)> {
    report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["index"].as_u64().expect("an index"),
                e["code"].as_str().expect("a code").to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_or_an_unpaired_surrogate_quarantines_its_event_and_spares_the_batch() {
    let app = TestApp::spawn().await;
    let good = distinct_events(3);
    let mut cases = Vec::new();
    for (field, value) in [
        ("end_user", "x\u{0}y"),
        ("model_group", "gpt\u{0}"),
        ("custom_llm_provider", "\u{0}"),
    ] {
        let mut bad = event_with_call_id(&format!("bad-{field}"));
        bad[field] = json!(value);
        cases.push((
            field,
            String::from_utf8(batch_body(&[good[0].clone(), bad])).unwrap(),
        ));
    }
    let mut tagged = event_with_call_id("bad-tags");
    tagged["request_tags"] = json!(["ok", "a\u{0}b"]);
    cases.push((
        "request_tags",
        String::from_utf8(batch_body(&[good[1].clone(), tagged])).unwrap(),
    ));
    // serde_json cannot even hold an unpaired surrogate: it is written into the body's text.
    let surrogate = event_with_call_id("bad-surrogate");
    let text = String::from_utf8(batch_body(&[good[2].clone(), surrogate]))
        .unwrap()
        .replace("\"bad-surrogate\"", "\"bad-\\ud800\"");
    cases.push(("litellm_call_id", text));

    for (field, body) in cases {
        let (status, report) =
            status_and_json(app.post_usage(body, "application/json").await).await;
        assert_eq!(status, 202, "{field}: {report}");
        assert_eq!(errors(&report), [(1, "invalid_text".to_owned())], "{field}");
        let message = report["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(field), "{message}");
    }
    // The good events are stored; the quarantine holds nothing of the offending text.
    assert_eq!(app.count("usage_events").await, 3);
    assert_eq!(
        app.count_where("quarantined_events", "reason_code = 'invalid_text'")
            .await,
        5
    );
    assert_eq!(
        app.count_where(
            "quarantined_events",
            "content::text LIKE '%\\\\u0000%' OR content::text ILIKE '%\\\\ud8%'"
        )
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn float_times_carry_and_implausible_times_are_quarantined() {
    // The default bounds: 400 days back, 600 s ahead.
    let app = TestApp::spawn_with(|settings| {
        settings.ingest.max_event_age_days = 400;
    })
    .await;
    let now = Utc::now().timestamp();
    let at = |call: &str, end_time: Value| {
        let mut event = event_with_call_id(call);
        event["endTime"] = end_time;
        event["startTime"] = json!(now - 5);
        event
    };
    // A fraction that rounds to a whole second, as Python's floats print: the next second.
    let carried = format!("{}.9999998", now - 60);
    let body = String::from_utf8(batch_body(&[
        at("carry", json!(0)),
        at("zero", json!(0)),
        at("ancient", json!(now - 401 * 86_400)),
        at("future", json!(now + 86_400 * 365 * 3)),
        at("recent", json!(now - 300)),
    ]))
    .unwrap()
    .replacen("\"endTime\":0", &format!("\"endTime\":{carried}"), 1);
    let (status, report) = status_and_json(app.post_usage(body, "application/json").await).await;
    assert_eq!(status, 202, "{report}");
    assert_eq!(
        errors(&report),
        [
            (1, "implausible_time".to_owned()),
            (2, "implausible_time".to_owned()),
            (3, "implausible_time".to_owned())
        ]
    );
    let stored = app
        .texts(
            "SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS value
             FROM usage_events ORDER BY idempotency_key = 'carry' DESC",
        )
        .await;
    let expected = chrono::DateTime::from_timestamp(now - 59, 0).unwrap();
    assert_eq!(
        stored[0].as_deref(),
        Some(
            expected
                .format("%Y-%m-%d %H:%M:%S.000000")
                .to_string()
                .as_str()
        )
    );
    assert_eq!(stored.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_bodies_with_unstorable_text_answer_422_naming_the_field() {
    let app = TestApp::spawn().await;
    crate::billing::api_key(&app, "default", WRITE_KEY, "billing:read,billing:write").await;
    for (body, field) in [
        (
            r#"{"external_id":"x\u0000y","name":"n","billing_email":"a@b.example","currency":"USD"}"#,
            "external_id",
        ),
        (
            r#"{"external_id":"ok","name":"\ud800","billing_email":"a@b.example","currency":"USD"}"#,
            "name",
        ),
    ] {
        let request = call(
            &app,
            reqwest::Method::POST,
            "/api/billing/customers",
            WRITE_KEY,
        )
        .header("Content-Type", "application/json")
        .body(body);
        let (status, answer) = status_and_json(send(request).await).await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(answer["error"]["code"], "invalid_text");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(field), "{message}");
    }
    assert_eq!(app.count("billing_customers").await, 0);
}
