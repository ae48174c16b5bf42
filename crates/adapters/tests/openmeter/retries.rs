//! The answers that mean "try again later": throttling (after the delay asked for), server
//! errors, timeouts, no answer, and refused credentials or content type (a setup problem,
//! never the events' fault).

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use tollgate_adapters::openmeter::{OpenMeterConfig, OpenMeterTarget};
use tollgate_application::ports::{Clock, DeliveryOutcome, DeliveryTarget};
use url::Url;
use wiremock::ResponseTemplate;

use crate::building_blocks::*;

fn retry_reason(outcome: &DeliveryOutcome) -> Option<&str> {
    match outcome {
        DeliveryOutcome::Retry { reason, .. } => Some(reason),
        _ => None,
    }
}

struct FixedClock(DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

#[tokio::test]
async fn throttling_is_retried_after_the_delay_openmeter_asks_for() -> TestResult {
    let server = stand_in(ResponseTemplate::new(429).insert_header("retry-after", "17")).await;
    let target = OpenMeterTarget::new(config(&server)?)?;

    let outcomes = target.deliver(&items(3)?).await;

    for outcome in &outcomes {
        assert!(matches!(
            outcome,
            DeliveryOutcome::Retry { retry_after: Some(delay), .. } if *delay == Duration::from_secs(17)
        ));
    }
    assert_eq!(requests(&server).await.len(), 1);

    // The HTTP-date form, against the target's clock.
    let server = stand_in(
        ResponseTemplate::new(429).insert_header("retry-after", "Wed, 25 Nov 2026 12:01:30 GMT"),
    )
    .await;
    let now = Utc
        .with_ymd_and_hms(2026, 11, 25, 12, 0, 0)
        .single()
        .ok_or("time")?;
    let target = OpenMeterTarget::with_clock(config(&server)?, Arc::new(FixedClock(now)))?;
    let outcomes = target.deliver(&items(1)?).await;
    assert!(matches!(
        &outcomes[0],
        DeliveryOutcome::Retry { retry_after: Some(delay), .. } if *delay == Duration::from_secs(90)
    ));
    Ok(())
}

#[tokio::test]
async fn server_errors_are_retried_without_splitting() -> TestResult {
    for status in [500, 503] {
        let server = stand_in(ResponseTemplate::new(status)).await;
        let target = OpenMeterTarget::new(config(&server)?)?;

        let outcomes = target.deliver(&items(4)?).await;

        assert!(
            outcomes
                .iter()
                .all(|o| retry_reason(o).is_some_and(|r| r.contains(&status.to_string()))),
            "{outcomes:?}"
        );
        assert_eq!(requests(&server).await.len(), 1);
    }
    Ok(())
}

#[tokio::test]
async fn a_slow_openmeter_is_a_timeout_and_a_retry() -> TestResult {
    let server = stand_in(ResponseTemplate::new(204).set_delay(Duration::from_secs(5))).await;
    let mut config = config(&server)?;
    config.timeout = Duration::from_millis(200);
    let target = OpenMeterTarget::new(config)?;

    let outcomes = target.deliver(&items(2)?).await;

    assert!(
        outcomes
            .iter()
            .all(|o| retry_reason(o).is_some_and(|r| r.contains("timed out"))),
        "{outcomes:?}"
    );
    Ok(())
}

#[tokio::test]
async fn an_unreachable_openmeter_is_a_retry() -> TestResult {
    // Bound and dropped at once: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let target = OpenMeterTarget::new(OpenMeterConfig::new(Url::parse(&format!(
        "http://127.0.0.1:{port}/"
    ))?))?;

    let outcomes = target.deliver(&items(2)?).await;

    assert!(
        outcomes.iter().all(|o| retry_reason(o).is_some()),
        "{outcomes:?}"
    );
    Ok(())
}

#[tokio::test]
async fn refused_credentials_and_content_type_are_retried_not_rejected() -> TestResult {
    let problem = |status: u16, detail: &str| {
        ResponseTemplate::new(status).set_body_raw(
            json!({"type": "about:blank", "title": "Error", "status": status, "detail": detail})
                .to_string(),
            "application/problem+json",
        )
    };
    for (answer, expected) in [
        (problem(401, "unauthorized"), "API key"),
        (problem(403, "forbidden"), "API key"),
        (
            problem(400, "invalid content type: text/plain"),
            "content type",
        ),
    ] {
        let server = stand_in(answer).await;
        let target = OpenMeterTarget::new(config(&server)?)?;

        let outcomes = target.deliver(&items(3)?).await;

        assert!(
            outcomes
                .iter()
                .all(|o| retry_reason(o).is_some_and(|r| r.contains(expected))),
            "{outcomes:?}"
        );
        assert_eq!(
            requests(&server).await.len(),
            1,
            "no splitting for {expected}"
        );
    }
    Ok(())
}
