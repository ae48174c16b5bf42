//! What is refused, and how: unusable events are quarantined without sinking their batch;
//! bad credentials and malformed bodies store nothing.

use serde_json::{Value, json};

use crate::helpers::{
    TestApp, USAGE_BATCH, USAGE_SINGLE, batch_body, distinct_events, event_with_call_id,
    status_and_json,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_events_are_quarantined_and_the_rest_of_the_batch_is_stored() {
    let app = TestApp::spawn().await;
    let valid = distinct_events(3);
    let mut negative = event_with_call_id("negative-tokens-call");
    negative["prompt_tokens"] = json!(-5);
    let mut anonymous = event_with_call_id("unused");
    anonymous.as_object_mut().unwrap().remove("litellm_call_id");
    let body = batch_body(&[
        valid[0].clone(),
        negative,
        json!(42),
        valid[1].clone(),
        anonymous,
        valid[2].clone(),
    ]);

    let (status, body) = status_and_json(app.post_usage(body, "application/json").await).await;

    assert_eq!(status, 202);
    assert_eq!(body["accepted"], 3);
    assert_eq!(body["duplicates"], 0);
    assert_eq!(body["quarantined"], 3);
    let errors: Vec<(u64, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
            (e["index"].as_u64().unwrap(), e["code"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        errors,
        [
            (1, "negative_tokens"),
            (2, "not_an_object"),
            (4, "missing_call_id")
        ]
    );

    assert_eq!(app.count("usage_events").await, 3);
    assert_eq!(app.count("outbox").await, 3);
    let quarantined = app
        .texts(
            "SELECT batch_index::text || ':' || reason_code AS value FROM quarantined_events
             ORDER BY batch_index",
        )
        .await;
    assert_eq!(
        quarantined,
        [
            Some("1:negative_tokens".to_owned()),
            Some("2:not_an_object".to_owned()),
            Some("4:missing_call_id".to_owned()),
        ]
    );
    assert_eq!(
        app.count_where(
            "quarantined_events",
            "content ? 'messages' OR content ? 'response' OR content ? 'metadata'"
        )
        .await,
        0
    );
    assert_eq!(
        app.scalar_text(
            "SELECT content->>'litellm_call_id' AS value FROM quarantined_events
             WHERE reason_code = 'negative_tokens'"
        )
        .await
        .as_deref(),
        Some("negative-tokens-call"),
        "the quarantine keeps what an operator needs to find the call"
    );
}

async fn assert_unauthorized(response: reqwest::Response) {
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().expect("text")),
        Some("Bearer")
    );
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unauthorized", "{body}");
    assert!(body["error"]["message"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_the_right_bearer_secret_are_refused_and_store_nothing() {
    let app = TestApp::spawn().await;
    let right = app.secret.clone();
    let attempts = [
        None,
        Some("Bearer whsec_not_the_secret".to_owned()),
        Some(format!("Bearer {right}x")),
        Some("Bearer ".to_owned()),
        Some(format!("Basic {right}")),
        Some(format!("Token {right}")),
        Some(right.clone()),
    ];

    for authorization in &attempts {
        let response = app
            .post_usage_with_auth(USAGE_BATCH, authorization.as_deref())
            .await;
        assert_unauthorized(response).await;
    }

    assert_eq!(app.count("usage_events").await, 0);
    assert_eq!(app.count("outbox").await, 0);
    assert_eq!(app.count("quarantined_events").await, 0);
    // The right secret still works, whatever the case of the scheme.
    let accepted = app
        .post_usage_with_auth(USAGE_SINGLE, Some(&format!("bearer {right}")))
        .await;
    assert_eq!(accepted.status().as_u16(), 202);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_json_is_refused_with_the_position_of_the_error() {
    let app = TestApp::spawn().await;

    let (status, body) =
        status_and_json(app.post_usage("{\"a\":\n  tru}", "application/json").await).await;

    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_json", "{body}");
    assert_eq!(body["error"]["line"], 2, "{body}");
    assert!(body["error"]["column"].as_u64().is_some(), "{body}");
    assert_eq!(app.count("usage_events").await, 0);
    assert_eq!(app.count("quarantined_events").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_batch_or_body_is_refused() {
    let app = TestApp::spawn().await;

    for (body, code) in [
        ("[]", "empty_batch"),
        (" \n", "empty_body"),
        ("", "empty_body"),
    ] {
        let (status, answer) =
            status_and_json(app.post_usage(body, "application/json").await).await;
        assert_eq!(status, 400, "{body:?}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{body:?}: {answer}");
        assert_eq!(answer["error"].get("line"), None::<&Value>);
    }

    assert_eq!(app.count("usage_events").await, 0);
    assert_eq!(app.count("quarantined_events").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_ndjson_line_is_quarantined_and_the_other_lines_are_stored() {
    let app = TestApp::spawn().await;
    let events = distinct_events(2);
    let mut body = serde_json::to_vec(&events[0]).unwrap();
    body.extend_from_slice(
        b"\n{\"litellm_call_id\": \"cut-short\", \"messages\": [\"a secret pro\n",
    );
    body.extend_from_slice(&serde_json::to_vec(&events[1]).unwrap());

    let (status, answer) =
        status_and_json(app.post_usage(body, "application/x-ndjson").await).await;

    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["accepted"], 2);
    assert_eq!(answer["quarantined"], 1);
    assert_eq!(answer["errors"][0]["index"], 1);
    assert_eq!(answer["errors"][0]["code"], "invalid_json");
    assert_eq!(app.count("usage_events").await, 2);
    let kept = app
        .scalar_text("SELECT content::text AS value FROM quarantined_events")
        .await
        .unwrap();
    assert!(!kept.contains("secret"), "{kept}");
    assert!(!kept.contains("cut-short"), "{kept}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_nan_from_python_quarantines_its_event_not_the_batch() {
    let app = TestApp::spawn().await;
    let valid = batch_body(&distinct_events(1));
    let valid = std::str::from_utf8(&valid[1..valid.len() - 1]).unwrap();
    let body = format!(
        "[{valid}, {{\"litellm_call_id\": \"nan-cost\", \"status\": \"success\", \
         \"response_cost\": NaN, \"messages\": \"NaN in a string\"}}]"
    );

    let (status, answer) = status_and_json(app.post_usage(body, "application/json").await).await;

    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["accepted"], 1);
    assert_eq!(answer["quarantined"], 1);
    assert_eq!(answer["errors"][0]["index"], 1);
    assert_eq!(answer["errors"][0]["code"], "invalid_cost");
    assert_eq!(app.count("usage_events").await, 1);
    assert_eq!(
        app.count_where("quarantined_events", "reason_code = 'invalid_cost'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_batch_quarantines_nothing_twice() {
    let app = TestApp::spawn().await;
    let valid = distinct_events(2);
    let mut negative = event_with_call_id("negative-again");
    negative["completion_tokens"] = json!(-1);
    let body = batch_body(&[
        valid[0].clone(),
        negative,
        json!("not an event"),
        valid[1].clone(),
    ]);

    let (first_status, first) =
        status_and_json(app.post_usage(body.clone(), "application/json").await).await;
    let (retry_status, retried) =
        status_and_json(app.post_usage(body, "application/json").await).await;

    assert_eq!((first_status, retry_status), (202, 202));
    assert_eq!(
        (first["accepted"].clone(), first["quarantined"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(retried["accepted"], 0);
    assert_eq!(retried["duplicates"], 2);
    assert_eq!(app.count("usage_events").await, 2);
    assert_eq!(
        app.count("quarantined_events").await,
        2,
        "a byte-identical retry stores nothing new, quarantine included"
    );
}
