//! A call is delivered only when all its meter events are: what a failure part way leaves,
//! and how the retry completes it without storing anything twice.

use std::collections::BTreeMap;

use super::*;

/// How many accepted (200) requests carried each id: what a receiver without dedup would
/// have stored.
fn accepted_counts(log: &[(Vec<String>, u16)]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (ids, _) in log.iter().filter(|(_, status)| *status == 200) {
        for id in ids {
            *counts.entry(id.clone()).or_insert(0) += 1;
        }
    }
    counts
}

#[tokio::test]
async fn a_failure_part_way_is_completed_by_the_retry_storing_each_event_once() -> TestResult {
    // Requests of 5 events: call `a`'s seven go in two, and Lago fails the second.
    let mut lago = LagoStandIn::with_stored(&[]);
    lago.outages = vec![1];
    let server = stand_in(lago.clone()).await;
    let mut config = config(&server)?;
    config.batch_size = 5;
    let target = LagoEventsTarget::new(config)?;
    let mut delivery: Vec<OutboxItem> = ["a", "b", "c"]
        .iter()
        .map(|key| item(key, Some("acme"), ODD_COST).map(cache_hit))
        .collect::<Result<_, _>>()?;

    let outcomes = target.deliver(&delivery).await;

    // `a` is partly stored, `b` and `c` were never sent: none of them is delivered.
    for outcome in &outcomes {
        let reason = retry_reason(outcome).ok_or("expected a retry")?;
        assert!(reason.contains("HTTP 503"), "{reason}");
    }
    let a = meter_ids("a", &SEVEN_METERS);
    assert_eq!(lago.stored(), a[..5].iter().cloned().collect());
    assert_eq!(lago.log().len(), 2);

    for item in &mut delivery {
        item.attempts = 1;
    }
    let outcomes = target.deliver(&delivery).await;

    assert!(
        outcomes.iter().all(|o| *o == DeliveryOutcome::Delivered),
        "{outcomes:?}"
    );
    let every: Vec<String> = ["a", "b", "c"]
        .iter()
        .flat_map(|key| meter_ids(key, &SEVEN_METERS))
        .collect();
    assert_eq!(lago.stored(), every.iter().cloned().collect());
    let log = lago.log();
    // The retry sent each event alone; Lago named the five it had.
    let retry = &log[2..];
    assert_eq!(retry.len(), 21);
    assert!(retry.iter().all(|(ids, _)| ids.len() == 1));
    let duplicates: Vec<&str> = retry
        .iter()
        .filter(|(_, status)| *status == 422)
        .map(|(ids, _)| ids[0].as_str())
        .collect();
    assert_eq!(
        duplicates,
        a[..5].iter().map(String::as_str).collect::<Vec<_>>()
    );
    let counts = accepted_counts(&log);
    assert_eq!(counts.keys().cloned().collect::<Vec<_>>(), {
        let mut sorted = every.clone();
        sorted.sort();
        sorted
    });
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    Ok(())
}

#[tokio::test]
async fn one_refused_meter_event_rejects_its_call_and_names_the_meter() -> TestResult {
    let mut lago = LagoStandIn::with_stored(&[]);
    lago.refused_suffix = Some(":cost_usd");
    let server = stand_in(lago.clone()).await;
    let target = LagoEventsTarget::new(config(&server)?)?;

    let outcomes = target.deliver(&items(&["req-0", "req-1"])?).await;

    for outcome in &outcomes {
        assert!(
            matches!(outcome, DeliveryOutcome::Rejected { reason }
                if reason.starts_with("its `cost_usd` event: Lago refused the event")
                    && reason.contains("invalid_format")),
            "{outcome:?}"
        );
    }
    // The other meters were stored: a replay of the dead letter finds them there.
    let others: HashSet<String> = ["req-0", "req-1"]
        .iter()
        .flat_map(|key| meter_ids(key, &SIX_METERS[..5]))
        .collect();
    assert_eq!(lago.stored(), others);
    Ok(())
}

#[tokio::test]
async fn a_delivery_may_resend_every_meter_event_alone() -> TestResult {
    // 20 calls back after a lost answer: 140 requests, more than a flat budget of 128.
    let stored: Vec<String> = (0..20)
        .flat_map(|i| meter_ids(&format!("req-{i}"), &SEVEN_METERS))
        .collect();
    let lago = LagoStandIn::with_stored_ids(stored.clone());
    let server = stand_in(lago.clone()).await;
    let target = LagoEventsTarget::new(config(&server)?)?;
    let mut delivery: Vec<OutboxItem> = numbered(20)?.into_iter().map(cache_hit).collect();
    for item in &mut delivery {
        item.attempts = 3;
    }

    let outcomes = target.deliver(&delivery).await;

    assert!(
        outcomes.iter().all(|o| *o == DeliveryOutcome::Delivered),
        "{outcomes:?}"
    );
    let log = lago.log();
    assert_eq!(log.len(), 140);
    assert!(
        log.iter()
            .all(|(ids, status)| ids.len() == 1 && *status == 422)
    );
    Ok(())
}
