//! Lago answering a delivery with something unusable: settled by the dispatcher's rules
//! (`tests/support/nonsense.rs`), never a dead letter; only a 422 refuses events for good.

use tollgate_adapters::lago::LagoEventsTarget;
use tollgate_application::ports::{DeliveryOutcome, DeliveryTarget};
use wiremock::ResponseTemplate;

use super::{TestResult, config, items, nonsense, stand_in};

#[tokio::test]
async fn unusable_answers_to_a_delivery_are_delivered_or_retried() -> TestResult {
    for nonsense in nonsense::ALL {
        let server = stand_in(nonsense.answer()).await;
        let mut config = config(&server)?;
        config.timeout = nonsense::TIMEOUT;
        let outcomes = LagoEventsTarget::new(config)?
            .deliver(&items(&["k1", "k2"])?)
            .await;
        assert_eq!(outcomes.len(), 2);
        for outcome in &outcomes {
            nonsense.assert_delivery(outcome);
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_422_whose_body_is_no_lago_error_still_refuses_the_events() -> TestResult {
    let server = stand_in(ResponseTemplate::new(422).set_body_string("{\"truncated")).await;
    let outcomes = LagoEventsTarget::new(config(&server)?)?
        .deliver(&items(&["k1"])?)
        .await;
    assert!(
        matches!(&outcomes[..], [DeliveryOutcome::Rejected { reason }] if reason.contains("HTTP 422")),
        "{outcomes:?}"
    );
    Ok(())
}
