//! What receivers get and how Tollgate reacts to their answers.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use super::{
    ENDPOINTS, create, get_json, owner,
    receiver::{Receiver, Scripted},
    send_test, spawn_private, verify, wait_attempts, wait_state,
};
use crate::{
    helpers::captured_logs,
    identity::support::{call, expect_error, expect_status, send},
};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_message_arrives_signed_with_exact_headers_and_verifies() {
    let app = spawn_private().await;
    let owner = owner(&app).await;
    let receiver = Receiver::start(vec![]).await;
    let (id, secret) = create(&app, &owner, &receiver.url, &["invoice.paid"]).await;
    // The filter does not apply to the test event: it is for this endpoint.
    let message = send_test(&app, &owner, &id).await;
    let received = receiver.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1);
    let got = &received[0];
    verify(got, &secret).expect("the signature verifies under the endpoint's secret");
    assert_eq!(got.headers["webhook-id"], message);
    assert!(message.starts_with("msg_"), "{message}");
    let timestamp: i64 = got.headers["webhook-timestamp"]
        .parse()
        .expect("Unix seconds");
    assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 30);
    let signature = &got.headers["webhook-signature"];
    assert!(
        signature.starts_with("v1,") && !signature.contains(' '),
        "{signature}"
    );
    assert_eq!(got.headers["content-type"], "application/json");
    let body: Value = serde_json::from_slice(&got.body).expect("a JSON body");
    assert_eq!(body["type"], "webhook.test");
    assert_eq!(body["data"]["endpoint_id"], id.as_str());
    assert!(body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    // Another secret does not verify it.
    let other = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYqr";
    assert!(verify(got, other).is_err());
    wait_state(&app, &message, "delivered", WAIT).await;

    // The secret is in no list, read or log line.
    let list = get_json(&app, &owner, ENDPOINTS).await.to_string();
    let one = get_json(&app, &owner, &format!("{ENDPOINTS}/{id}"))
        .await
        .to_string();
    for text in [&list, &one, &captured_logs()] {
        assert!(!text.contains(&secret[6..]), "the secret leaked");
    }
    assert!(list.contains(&id));
    // Revealing it is possible, and audited.
    let revealed = get_json(&app, &owner, &format!("{ENDPOINTS}/{id}/secret")).await;
    assert_eq!(revealed["secret"], secret.as_str());
    assert_eq!(
        app.count_where("audit_log", "action = 'webhook_endpoint.reveal_secret'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_attempt_is_retried_on_schedule_with_the_same_id_and_redirects_fail() {
    let app = spawn_private().await;
    let owner = owner(&app).await;
    let mut redirect = Scripted::status(302);
    redirect
        .headers
        .push(("location", "http://127.0.0.1:1/elsewhere".to_owned()));
    let receiver = Receiver::start(vec![Scripted::status(500), redirect]).await;
    let (id, secret) = create(&app, &owner, &receiver.url, &[]).await;
    let message = send_test(&app, &owner, &id).await;
    wait_attempts(&app, &message, 1, WAIT).await;
    // The second attempt is due 5 s (plus at most a tenth of jitter) after the first.
    let delay = app
        .scalar_text(&format!(
            "SELECT extract(epoch FROM d.next_attempt_at - a.attempted_at)::text AS value
             FROM webhook_deliveries d JOIN webhook_attempts a ON a.delivery_id = d.id
             WHERE d.message_id = '{message}'"
        ))
        .await
        .expect("a delay")
        .parse::<f64>()
        .expect("seconds");
    assert!((5.0..=5.6).contains(&delay), "{delay}");
    let hurry = format!(
        "UPDATE webhook_deliveries SET next_attempt_at = now() WHERE message_id = '{message}'"
    );
    app.texts(&format!(
        "WITH u AS ({hurry} RETURNING 1) SELECT NULL::text AS value FROM u"
    ))
    .await;
    // The redirect is a failure, not followed.
    wait_attempts(&app, &message, 2, WAIT).await;
    app.texts(&format!(
        "WITH u AS ({hurry} RETURNING 1) SELECT NULL::text AS value FROM u"
    ))
    .await;
    wait_state(&app, &message, "delivered", WAIT).await;
    let received = receiver.received();
    assert_eq!(received.len(), 3, "no request followed the redirect");
    for got in &received {
        assert_eq!(got.headers["webhook-id"], message);
        verify(got, &secret).expect("every attempt is signed");
    }
    let detail = get_json(&app, &owner, &format!("{ENDPOINTS}/messages/{message}")).await;
    let statuses: Vec<&Value> = detail["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| &a["status_code"])
        .collect();
    assert_eq!(statuses, [500, 302, 200]);
    let deliveries = get_json(&app, &owner, &format!("{ENDPOINTS}/{id}/deliveries")).await;
    assert_eq!(deliveries["data"][0]["status"], "delivered");
    assert_eq!(deliveries["data"][0]["attempts"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured_and_410_disables_the_endpoint_with_an_audit_record() {
    let app = spawn_private().await;
    let owner = owner(&app).await;
    let mut busy = Scripted::status(503);
    busy.headers.push(("retry-after", "600".to_owned()));
    let receiver = Receiver::start(vec![busy, Scripted::status(410)]).await;
    let (id, _) = create(&app, &owner, &receiver.url, &[]).await;
    let message = send_test(&app, &owner, &id).await;
    wait_attempts(&app, &message, 1, WAIT).await;
    let delay = app
        .scalar_text(&format!(
            "SELECT extract(epoch FROM d.next_attempt_at - a.attempted_at)::text AS value
             FROM webhook_deliveries d JOIN webhook_attempts a ON a.delivery_id = d.id
             WHERE d.message_id = '{message}'"
        ))
        .await
        .expect("a delay")
        .parse::<f64>()
        .expect("seconds");
    assert!(
        (600.0..601.0).contains(&delay),
        "Retry-After: 600, got {delay}"
    );

    app.texts(&format!(
        "WITH u AS (UPDATE webhook_deliveries SET next_attempt_at = now()
         WHERE message_id = '{message}' RETURNING 1) SELECT NULL::text AS value FROM u"
    ))
    .await;
    wait_state(&app, &message, "failed", WAIT).await;
    let endpoint = get_json(&app, &owner, &format!("{ENDPOINTS}/{id}")).await;
    assert_eq!(endpoint["enabled"], false);
    assert_eq!(
        endpoint["disabled_reason"],
        "the receiver answered 410 Gone"
    );
    assert_eq!(
        app.count_where(
            "audit_log",
            &format!(
                "action = 'webhook_endpoint.disable' AND actor = 'system'
                 AND target = 'webhook_endpoint:{id}'"
            )
        )
        .await,
        1
    );
    // A disabled endpoint is not tested; enabled again, a resend of the message reaches it.
    let path = format!("{ENDPOINTS}/{id}/test");
    expect_error(
        send(call(&app, Method::POST, &path, &owner)).await,
        409,
        "conflict",
    )
    .await;
    let path = format!("{ENDPOINTS}/{id}/enable");
    let (_, enabled) =
        expect_status(send(call(&app, Method::POST, &path, &owner)).await, 200).await;
    assert_eq!(enabled["enabled"], true);
    let path = format!("{ENDPOINTS}/{id}/resend");
    let request =
        call(&app, Method::POST, &path, &owner).json(&serde_json::json!({ "message_id": message }));
    let (_, resent) = expect_status(send(request).await, 202).await;
    assert_eq!(resent["queued"], 1);
    wait_state(&app, &message, "delivered", WAIT).await;
    let received = receiver.received();
    assert_eq!(received.len(), 3);
    assert!(received.iter().all(|r| r.headers["webhook-id"] == message));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_slower_than_15_seconds_is_a_timed_out_attempt() {
    let app = spawn_private().await;
    let owner = owner(&app).await;
    let mut slow = Scripted::status(200);
    slow.delay = Duration::from_secs(20);
    let receiver = Receiver::start(vec![slow]).await;
    let (id, _) = create(&app, &owner, &receiver.url, &[]).await;
    let message = send_test(&app, &owner, &id).await;
    wait_attempts(&app, &message, 1, Duration::from_secs(25)).await;
    let detail = get_json(&app, &owner, &format!("{ENDPOINTS}/messages/{message}")).await;
    let attempt = &detail["attempts"][0];
    assert_eq!(attempt["status_code"], Value::Null);
    assert!(
        attempt["error"]
            .as_str()
            .is_some_and(|e| e.contains("timed out")),
        "{attempt}"
    );
    let duration = attempt["duration_ms"].as_i64().expect("a duration");
    assert!((15_000..17_000).contains(&duration), "{duration}");
    let deliveries = get_json(
        &app,
        &owner,
        &format!("{ENDPOINTS}/{id}/deliveries?status=pending"),
    )
    .await;
    assert_eq!(deliveries["data"][0]["message_id"], message.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_rotation_both_secrets_sign_for_a_day() {
    let app = spawn_private().await;
    let owner = owner(&app).await;
    let receiver = Receiver::start(vec![]).await;
    let (id, old) = create(&app, &owner, &receiver.url, &[]).await;
    let path = format!("{ENDPOINTS}/{id}/rotate-secret");
    let (_, rotated) =
        expect_status(send(call(&app, Method::POST, &path, &owner)).await, 200).await;
    let new = rotated["secret"]
        .as_str()
        .expect("the new secret")
        .to_owned();
    assert_ne!(new, old);
    let endpoint = get_json(&app, &owner, &format!("{ENDPOINTS}/{id}")).await;
    let until = chrono::DateTime::parse_from_rfc3339(
        endpoint["previous_secret_expires_at"]
            .as_str()
            .expect("an overlap"),
    )
    .expect("a time");
    let minutes = (until.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!((23 * 60..=24 * 60).contains(&minutes), "{minutes} minutes");

    send_test(&app, &owner, &id).await;
    let received = receiver.wait_for(1, WAIT).await;
    let got = &received[0];
    assert_eq!(got.headers["webhook-signature"].split(' ').count(), 2);
    verify(got, &old).expect("the old secret still verifies");
    verify(got, &new).expect("the new secret verifies");

    // Once the overlap is over, only the new one signs.
    app.texts(
        "WITH u AS (UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 s'
         RETURNING 1) SELECT NULL::text AS value FROM u",
    )
    .await;
    send_test(&app, &owner, &id).await;
    let received = receiver.wait_for(2, WAIT).await;
    let got = &received[1];
    assert_eq!(got.headers["webhook-signature"].split(' ').count(), 1);
    verify(got, &new).expect("the new secret verifies");
    assert!(verify(got, &old).is_err());
}
