//! Throttling, server errors, refused keys and timeouts: retried.

use super::*;

#[tokio::test]
async fn throttling_is_retried_after_the_rate_limit_resets() -> TestResult {
    let server = stand_in(
        ResponseTemplate::new(429)
            .insert_header("x-ratelimit-limit", "500")
            .insert_header("x-ratelimit-remaining", "0")
            .insert_header("x-ratelimit-reset", "3"),
    )
    .await;
    let target = LagoEventsTarget::new(config(&server)?)?;

    let outcomes = target.deliver(&numbered(3)?).await;

    for outcome in &outcomes {
        assert!(
            matches!(
                outcome,
                DeliveryOutcome::Retry { retry_after: Some(delay), .. } if *delay == Duration::from_secs(3)
            ),
            "{outcome:?}"
        );
    }
    assert_eq!(requests(&server).await.len(), 1);

    let server = stand_in(ResponseTemplate::new(429).insert_header("retry-after", "11")).await;
    let target = LagoEventsTarget::new(config(&server)?)?;
    let outcomes = target.deliver(&numbered(1)?).await;
    assert!(matches!(
        &outcomes[0],
        DeliveryOutcome::Retry { retry_after: Some(delay), .. } if *delay == Duration::from_secs(11)
    ));
    Ok(())
}

#[tokio::test]
async fn server_errors_and_refused_keys_are_retried_for_every_event() -> TestResult {
    for (status, expected) in [(500, "HTTP 500"), (502, "HTTP 502"), (401, "API key")] {
        let server = stand_in(
            ResponseTemplate::new(status).set_body_json(json!({"status": status, "error": "x"})),
        )
        .await;
        let target = LagoEventsTarget::new(config(&server)?)?;

        let outcomes = target.deliver(&numbered(4)?).await;

        assert!(
            outcomes
                .iter()
                .all(|o| retry_reason(o).is_some_and(|r| r.contains(expected))),
            "{status}: {outcomes:?}"
        );
        assert_eq!(requests(&server).await.len(), 1);
    }
    Ok(())
}

#[tokio::test]
async fn a_slow_lago_is_a_timeout_and_a_retry() -> TestResult {
    let server = stand_in(ResponseTemplate::new(200).set_delay(Duration::from_secs(5))).await;
    let mut config = config(&server)?;
    config.timeout = Duration::from_millis(200);
    let target = LagoEventsTarget::new(config)?;
    let mut delivery = numbered(3)?;
    delivery[2].attempts = 2;

    let outcomes = target.deliver(&delivery).await;

    assert!(
        outcomes
            .iter()
            .all(|o| retry_reason(o).is_some_and(|r| r.contains("timed out"))),
        "{outcomes:?}"
    );
    // The first failure ends the delivery: the re-sent event is not tried alone after it.
    assert_eq!(requests(&server).await.len(), 1);
    Ok(())
}
