//! Batches: as large as the configured batch size, and split (halving) when OpenMeter refuses
//! one, so that one bad event does not reject the others.

use serde_json::{Value, json};
use tollgate_adapters::openmeter::OpenMeterTarget;
use tollgate_application::ports::{DeliveryOutcome, DeliveryTarget};
use wiremock::{Request, Respond, ResponseTemplate};

use crate::building_blocks::*;

/// Refuses, as OpenMeter does, any batch holding the event with id `bad`.
struct RefusesOne {
    bad: &'static str,
}

impl Respond for RefusesOne {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let ids: Vec<String> = serde_json::from_slice::<Vec<Value>>(&request.body)
            .unwrap_or_default()
            .iter()
            .filter_map(|event| event["id"].as_str().map(str::to_owned))
            .collect();
        if ids.iter().any(|id| id == self.bad) {
            ResponseTemplate::new(400).set_body_raw(
                json!({
                    "type": "about:blank",
                    "title": "Bad Request",
                    "status": 400,
                    "detail": "invalid event: subject: must not be empty",
                })
                .to_string(),
                "application/problem+json",
            )
        } else {
            ResponseTemplate::new(204)
        }
    }
}

#[tokio::test]
async fn max_batch_is_the_batch_size_and_a_full_batch_is_one_request() -> TestResult {
    let server = stand_in(ResponseTemplate::new(204)).await;
    let target = OpenMeterTarget::new(config(&server)?)?;
    assert_eq!(target.name(), "openmeter");
    // 1,201 pending events: the dispatcher claims 500, 500, then 201.
    assert_eq!(target.max_batch(), 500);

    let outcomes = target.deliver(&items(500)?).await;

    assert!(outcomes.iter().all(|o| *o == DeliveryOutcome::Delivered));
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(batch(&sent[0])?.len(), 500);

    let mut small = config(&server)?;
    small.batch_size = 25;
    assert_eq!(OpenMeterTarget::new(small)?.max_batch(), 25);
    Ok(())
}

#[tokio::test]
async fn one_bad_event_in_a_refused_batch_does_not_reject_the_others() -> TestResult {
    let server = stand_in(RefusesOne { bad: "req-37" }).await;
    let target = OpenMeterTarget::new(config(&server)?)?;

    let outcomes = target.deliver(&items(100)?).await;

    for (index, outcome) in outcomes.iter().enumerate() {
        if index == 37 {
            assert_eq!(
                *outcome,
                DeliveryOutcome::Rejected {
                    reason: "OpenMeter refused the event (HTTP 400): invalid event: subject: must \
                             not be empty"
                        .into()
                }
            );
        } else {
            assert_eq!(*outcome, DeliveryOutcome::Delivered, "event {index}");
        }
    }
    let sent = requests(&server).await;
    // Halving: far fewer requests than one per event.
    assert!(sent.len() <= 1 + 2 * 7, "{} requests", sent.len());
    // Every good event was in an accepted request; the bad one never was.
    let mut accepted = std::collections::BTreeSet::new();
    for request in &sent {
        let events = batch(request)?;
        let ids: Vec<&str> = events.iter().filter_map(|e| e["id"].as_str()).collect();
        if !ids.contains(&"req-37") {
            accepted.extend(ids.into_iter().map(str::to_owned));
        }
    }
    assert_eq!(accepted.len(), 99);
    Ok(())
}

#[tokio::test]
async fn a_lone_refused_event_is_rejected_with_the_problem_detail() -> TestResult {
    let server = stand_in(RefusesOne { bad: "req-0" }).await;
    let target = OpenMeterTarget::new(config(&server)?)?;

    let outcomes = target.deliver(&items(1)?).await;

    assert!(
        matches!(&outcomes[0], DeliveryOutcome::Rejected { reason } if reason.contains("must not be empty"))
    );
    assert_eq!(requests(&server).await.len(), 1);
    Ok(())
}
