//! Events Lago already has, and events it refuses.

use super::*;

#[tokio::test]
async fn a_call_whose_meter_events_lago_already_has_is_delivered() -> TestResult {
    // A lost answer: Lago stored every meter event of req-1, the dispatcher saw a timeout.
    let lago = LagoStandIn::with_stored_ids(meter_ids("req-1", &SIX_METERS));
    let server = stand_in(lago.clone()).await;
    let target = LagoEventsTarget::new(config(&server)?)?;
    let mut delivery = items(&["req-1"])?;
    delivery[0].attempts = 1;

    let outcomes = target.deliver(&delivery).await;

    assert_eq!(outcomes, [DeliveryOutcome::Delivered]);
    let log = lago.log();
    let answered: RequestLog = meter_ids("req-1", &SIX_METERS)
        .into_iter()
        .map(|id| (vec![id], 422))
        .collect();
    assert_eq!(log, answered);
    assert_eq!(lago.stored().len(), 6);
    Ok(())
}

#[tokio::test]
async fn a_single_code_event_lago_already_has_is_delivered() -> TestResult {
    let server = stand_in(validation_errors(
        json!({"0": {"transaction_id": ["value_already_exist"]}}),
    ))
    .await;
    let target = LagoEventsTarget::new(single_code(config(&server)?, "llm_usage"))?;

    let outcomes = target.deliver(&items(&["req-1"])?).await;

    assert_eq!(outcomes, [DeliveryOutcome::Delivered]);
    assert_eq!(requests(&server).await.len(), 1);
    Ok(())
}

#[tokio::test]
async fn refused_events_are_rejected_and_the_rest_of_the_batch_is_sent_again() -> TestResult {
    // One meter event of req-2 is there already: Lago names it, and it counts as delivered.
    let lago = LagoStandIn::with_stored(&["req-2:cost_usd"]);
    let server = stand_in(lago.clone()).await;
    let target = LagoEventsTarget::new(config(&server)?)?;

    let outcomes = target
        .deliver(&items(&["req-0", "bad-1", "req-2", "req-3"])?)
        .await;

    assert_eq!(outcomes[0], DeliveryOutcome::Delivered);
    assert!(
        matches!(&outcomes[1], DeliveryOutcome::Rejected { reason }
            if reason.starts_with("its `input_tokens` event: ") && reason.contains("invalid_format")),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[2], DeliveryOutcome::Delivered);
    assert_eq!(outcomes[3], DeliveryOutcome::Delivered);
    let log = lago.log();
    assert_eq!(log.len(), 2);
    assert_eq!((log[0].0.len(), log[0].1), (24, 422));
    let again = [
        meter_ids("req-0", &SIX_METERS),
        meter_ids("req-2", &SIX_METERS[..5]),
        meter_ids("req-3", &SIX_METERS),
    ]
    .concat();
    assert_eq!(log[1], (again, 200));
    Ok(())
}

#[tokio::test]
async fn events_sent_before_go_one_by_one_so_duplicates_are_recognised() -> TestResult {
    // A lost answer: Lago stored req-0..req-2 but the dispatcher saw a timeout.
    let before = ["req-0", "req-1", "req-2"];
    let stored: Vec<String> = before
        .iter()
        .flat_map(|key| meter_ids(key, &SIX_METERS))
        .collect();
    let lago = LagoStandIn::with_stored_ids(stored.clone());
    let server = stand_in(lago.clone()).await;
    let target = LagoEventsTarget::new(config(&server)?)?;
    let mut delivery = numbered(5)?;
    for item in &mut delivery[..3] {
        item.attempts = 1;
    }

    let outcomes = target.deliver(&delivery).await;

    assert!(
        outcomes.iter().all(|o| *o == DeliveryOutcome::Delivered),
        "{outcomes:?}"
    );
    let fresh = [
        meter_ids("req-3", &SIX_METERS),
        meter_ids("req-4", &SIX_METERS),
    ]
    .concat();
    let mut expected = vec![(fresh, 200)];
    expected.extend(stored.into_iter().map(|id| (vec![id], 422)));
    assert_eq!(lago.log(), expected);
    assert_eq!(lago.stored().len(), 30);
    Ok(())
}

#[tokio::test]
async fn a_batch_refused_without_per_event_detail_is_split() -> TestResult {
    // Self-hosted Lago with LAGO_EVENTS_BATCH_MAX_LENGTH=10.
    let mut lago = LagoStandIn::with_stored(&[]);
    lago.max_length = 10;
    let server = stand_in(lago.clone()).await;
    let target = LagoEventsTarget::new(config(&server)?)?;

    let outcomes = target.deliver(&numbered(40)?).await;

    assert!(
        outcomes.iter().all(|o| *o == DeliveryOutcome::Delivered),
        "{outcomes:?}"
    );
    let accepted: usize = lago
        .log()
        .iter()
        .filter(|(_, status)| *status == 200)
        .map(|(ids, _)| ids.len())
        .sum();
    assert_eq!(accepted, 240);
    assert_eq!(lago.stored().len(), 240);
    Ok(())
}
