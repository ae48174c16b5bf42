//! A delivery's meter events in requests of at most 100 (the batch size), each usage event's
//! events together where they fit.

use std::collections::BTreeMap;

use super::*;

/// Which request (by index) carried each transaction id; fails on an id sent twice.
fn carried_by(sent: &[Vec<String>]) -> Result<BTreeMap<String, usize>, String> {
    let mut carried = BTreeMap::new();
    for (request, ids) in sent.iter().enumerate() {
        for id in ids {
            if carried.insert(id.clone(), request).is_some() {
                return Err(format!("{id} sent twice"));
            }
        }
    }
    Ok(carried)
}

#[tokio::test]
async fn thirty_calls_of_seven_meters_go_in_requests_of_at_most_100() -> TestResult {
    let lago = LagoStandIn::with_stored(&[]);
    let server = stand_in(lago.clone()).await;
    let target = LagoEventsTarget::new(config(&server)?)?;
    assert_eq!((target.name(), target.max_batch()), ("lago", 100));
    let delivery: Vec<OutboxItem> = numbered(30)?.into_iter().map(cache_hit).collect();

    let outcomes = target.deliver(&delivery).await;

    assert!(
        outcomes.iter().all(|o| *o == DeliveryOutcome::Delivered),
        "{outcomes:?}"
    );
    let sent: Vec<Vec<String>> = lago.log().into_iter().map(|(ids, _)| ids).collect();
    // 14 whole calls (98 events) fit in a request of 100: 98 + 98 + 14.
    let sizes: Vec<usize> = sent.iter().map(Vec::len).collect();
    assert_eq!(sizes, [98, 98, 14]);
    let carried = carried_by(&sent)?;
    assert_eq!(carried.len(), 210);
    for (i, item) in delivery.iter().enumerate() {
        let key = item.event.idempotency_key.as_str();
        let requests: HashSet<Option<&usize>> = meter_ids(key, &SEVEN_METERS)
            .iter()
            .map(|id| carried.get(id))
            .collect();
        // All seven sent, all in the one request: Lago stores the call whole or not at all.
        assert_eq!(requests, HashSet::from([Some(&(i / 14))]), "{key}");
    }
    assert_eq!(lago.stored().len(), 210);
    Ok(())
}

#[tokio::test]
async fn a_call_with_more_events_than_a_request_holds_is_split_across_requests() -> TestResult {
    let lago = LagoStandIn::with_stored(&[]);
    let server = stand_in(lago.clone()).await;
    let mut config = config(&server)?;
    config.batch_size = 5;
    let target = LagoEventsTarget::new(config)?;
    let delivery = [
        cache_hit(item("a", Some("acme"), "1")?),
        item("b", Some("acme"), "1")?,
    ];

    let outcomes = target.deliver(&delivery).await;

    assert_eq!(
        outcomes,
        [DeliveryOutcome::Delivered, DeliveryOutcome::Delivered]
    );
    let sent: Vec<Vec<String>> = lago.log().into_iter().map(|(ids, _)| ids).collect();
    let a = meter_ids("a", &SEVEN_METERS);
    let b = meter_ids("b", &SIX_METERS);
    assert_eq!(
        sent,
        [
            a[..5].to_vec(),
            a[5..].to_vec(),
            b[..5].to_vec(),
            b[5..].to_vec()
        ]
    );
    Ok(())
}

#[tokio::test]
async fn a_configured_code_sends_100_calls_in_one_request() -> TestResult {
    let lago = LagoStandIn::with_stored(&[]);
    let server = stand_in(lago.clone()).await;
    let target = LagoEventsTarget::new(single_code(config(&server)?, "tokens"))?;
    assert_eq!(target.max_batch(), 100);

    let outcomes = target.deliver(&numbered(100)?).await;

    assert!(outcomes.iter().all(|o| *o == DeliveryOutcome::Delivered));
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 1);
    let events = sent_events(&sent[0]);
    assert_eq!(events.len(), 100);
    assert!(events.iter().all(|event| event["code"] == "tokens"));
    assert_eq!(events[99]["transaction_id"], "req-99");
    Ok(())
}
