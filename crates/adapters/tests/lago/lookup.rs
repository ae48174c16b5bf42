//! What delivery asks the subscription lookup, and what it does with the answer.

use async_trait::async_trait;
use chrono::DateTime;
use tollgate_adapters::lago::SubscriptionLookup;
use tollgate_application::PortError;

use super::*;

/// Customer `acme` had `sub-old` until `switch`, `sub-new` from then; every question is kept.
/// When `down`, it cannot answer at all.
struct Timeline {
    switch: DateTime<Utc>,
    down: bool,
    asked: Mutex<Vec<(OrganizationId, String, DateTime<Utc>)>>,
}

#[async_trait]
impl SubscriptionLookup for Timeline {
    async fn external_subscription_id(
        &self,
        organization: &OrganizationId,
        customer: &CustomerId,
        occurred_at: DateTime<Utc>,
    ) -> Result<Option<String>, PortError> {
        self.asked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((*organization, customer.as_str().to_owned(), occurred_at));
        if self.down {
            return Err(PortError::unavailable("postgres", "connection refused"));
        }
        Ok((customer.as_str() == "acme").then(|| {
            if occurred_at < self.switch {
                "sub-old".to_owned()
            } else {
                "sub-new".to_owned()
            }
        }))
    }
}

fn timeline(down: bool) -> Result<Arc<Timeline>, Box<dyn std::error::Error>> {
    Ok(Arc::new(Timeline {
        switch: Utc.timestamp_opt(1_795_608_000, 0).single().ok_or("time")?,
        down,
        asked: Mutex::new(vec![]),
    }))
}

#[tokio::test]
async fn each_event_goes_to_the_subscription_running_when_it_occurred() -> TestResult {
    let server = stand_in(ResponseTemplate::new(200).set_body_json(json!({"events": []}))).await;
    let lookup = timeline(false)?;
    let mut config = config(&server)?;
    config.subscriptions = lookup.clone();
    let target = LagoEventsTarget::new(config)?;
    let mut before = item("req-before", Some("acme"), "1")?;
    before.event.occurred_at = lookup.switch - chrono::TimeDelta::seconds(1);
    let after = item("req-after", Some("acme"), "1")?;

    let outcomes = target.deliver(&[before.clone(), after.clone()]).await;

    assert_eq!(
        outcomes,
        [DeliveryOutcome::Delivered, DeliveryOutcome::Delivered]
    );
    let sent = requests(&server).await;
    let body: Value = serde_json::from_slice(&sent[0].body)?;
    let subscriptions: Vec<&str> = body["events"]
        .as_array()
        .ok_or("events")?
        .iter()
        .filter_map(|event| event["external_subscription_id"].as_str())
        .collect();
    // Each call's six meter events go to its subscription.
    assert_eq!(subscriptions, [["sub-old"; 6], ["sub-new"; 6]].concat());
    let asked = lookup
        .asked
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    assert_eq!(
        asked,
        [
            (
                before.organization,
                "acme".to_owned(),
                before.event.occurred_at
            ),
            (
                after.organization,
                "acme".to_owned(),
                after.event.occurred_at
            ),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn a_lookup_that_cannot_answer_retries_the_events_and_sends_nothing() -> TestResult {
    let server = stand_in(ResponseTemplate::new(200)).await;
    let mut config = config(&server)?;
    config.subscriptions = timeline(true)?;
    let target = LagoEventsTarget::new(config)?;

    let outcomes = target.deliver(&items(&["req-1", "req-2"])?).await;

    for outcome in &outcomes {
        let reason = retry_reason(outcome).ok_or("expected a retry")?;
        assert!(reason.contains("connection refused"), "{reason}");
    }
    assert!(requests(&server).await.is_empty());
    Ok(())
}
