//! What Lago's failures become: 422 → `Refused` in words, 401 → `Internal`, 429 and 5xx →
//! retried then `Unavailable` (with Lago's wait), no server → `Unavailable`, a timeout →
//! `TimedOut`. Answers that cannot be read: `unusable.rs`.

use std::time::{Duration, Instant};

use serde_json::json;
use tollgate_application::{PortError, ports::BillingEngine};
use wiremock::{Mock, ResponseTemplate, matchers};

use crate::{TestResult, acme, lago, lago_with, refused_reason};

fn unavailable(result: Result<(), PortError>) -> (String, Option<Duration>) {
    match result {
        Err(PortError::Unavailable {
            service: "lago",
            reason,
            retry_after,
        }) => (reason, retry_after),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_422_is_refused_with_lagos_error_details_in_words() -> TestResult {
    let lago = lago().await?;
    Mock::given(matchers::any())
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "status": 422,
            "error": "Unprocessable Entity",
            "code": "validation_errors",
            "error_details": {"email": ["invalid_format"], "currency": ["currencies_does_not_match"]},
        })))
        .expect(1)
        .mount(&lago.server)
        .await;

    let reason = refused_reason(lago.billing.upsert_customer(&acme()?).await);
    assert_eq!(
        reason,
        "currency: currencies_does_not_match; email: invalid_format"
    );
    Ok(())
}

#[tokio::test]
async fn a_refused_api_key_is_an_internal_error_and_not_retried() -> TestResult {
    let lago = lago().await?;
    Mock::given(matchers::any())
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"status": 401, "error": "Unauthorized"})),
        )
        .expect(1)
        .mount(&lago.server)
        .await;

    let result = lago.billing.upsert_customer(&acme()?).await;
    let Err(PortError::Internal { reason, .. }) = result else {
        panic!("expected Internal, got {result:?}");
    };
    assert_eq!(reason, "Lago refused the API key (HTTP 401)");
    assert!(!reason.contains("lago_test_api_key"));
    Ok(())
}

#[tokio::test]
async fn throttling_waits_as_long_as_lago_says_when_that_is_short() -> TestResult {
    let lago = lago().await?;
    Mock::given(matchers::any())
        .respond_with(ResponseTemplate::new(429).insert_header("x-ratelimit-reset", "1"))
        .up_to_n_times(1)
        .mount(&lago.server)
        .await;
    Mock::given(matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"customer": {}})))
        .mount(&lago.server)
        .await;

    let started = Instant::now();
    lago.billing.upsert_customer(&acme()?).await?;
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(lago.requests().await.len(), 2);
    Ok(())
}

#[tokio::test]
async fn a_long_retry_after_answers_unavailable_at_once() -> TestResult {
    let lago = lago().await?;
    Mock::given(matchers::any())
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "30"))
        .expect(1)
        .mount(&lago.server)
        .await;

    let (reason, retry_after) = unavailable(lago.billing.upsert_customer(&acme()?).await);
    assert_eq!(reason, "answered HTTP 429");
    assert_eq!(retry_after, Some(Duration::from_secs(30)));
    Ok(())
}

#[tokio::test]
async fn server_errors_are_tried_three_times_then_unavailable() -> TestResult {
    let lago = lago().await?;
    Mock::given(matchers::any())
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"status": 500, "error": "boom"})),
        )
        .expect(3)
        .mount(&lago.server)
        .await;

    let (reason, retry_after) = unavailable(lago.billing.upsert_customer(&acme()?).await);
    assert_eq!(reason, "answered HTTP 500: boom");
    assert_eq!(retry_after, None);
    Ok(())
}

#[tokio::test]
async fn a_hung_lago_is_timed_out() -> TestResult {
    let lago = lago_with(|config| {
        config.timeout = Duration::from_millis(200);
        config.max_attempts = 1;
    })
    .await?;
    Mock::given(matchers::any())
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .mount(&lago.server)
        .await;

    let result = lago.billing.upsert_customer(&acme()?).await;
    let Err(PortError::TimedOut {
        service: "lago",
        reason,
    }) = result
    else {
        panic!("expected TimedOut, got {result:?}");
    };
    assert!(reason.starts_with("timed out"), "{reason}");
    Ok(())
}

#[tokio::test]
async fn no_lago_at_all_is_unavailable() -> TestResult {
    // A port nobody listens on any more.
    let address = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let lago = lago_with(|config| {
        config.url = url::Url::parse(&format!("http://{address}")).expect("a URL");
        config.max_attempts = 1;
    })
    .await?;

    let (reason, _) = unavailable(lago.billing.upsert_customer(&acme()?).await);
    assert!(reason.starts_with("cannot connect"), "{reason}");
    assert!(lago.requests().await.is_empty());
    Ok(())
}
