//! The request Lago gets: one batch, the documented body (per meter, or single code);
//! customers without a subscription wait.

use super::*;

/// The documented properties of `meter`'s event from the fixture's call to `acme`.
fn acme_event(meter: &str, quantity: &str) -> Value {
    json!({
        "transaction_id": format!("req-1:{meter}"),
        "external_subscription_id": "sub-acme",
        "code": meter,
        "timestamp": "1795608000.250",
        "properties": {
            meter: quantity,
            "model": "gpt-4o",
            "provider": "openai",
            "key": "9f86d081884c7d65",
            "team": "team-1",
            "status": "success",
        },
    })
}

#[tokio::test]
async fn each_usage_event_is_one_lago_event_per_meter_it_adds_to() -> TestResult {
    let server = stand_in(ResponseTemplate::new(200).set_body_json(json!({"events": []}))).await;
    let target = LagoEventsTarget::new(config(&server)?)?;
    // A failed call: no provider, no team, no cost, no cached or reasoning tokens.
    let mut failed = item("req-2", Some("globex"), "0.000")?;
    failed.event.provider = None;
    failed.event.team_id = None;
    failed.event.status = CallStatus::Failure { error_code: None };
    failed.event.tokens = TokenUsage::from_signed(7, 0, 7, 0, 0)?;
    let delivery = [cache_hit(item("req-1", Some("acme"), ODD_COST)?), failed];

    let outcomes = target.deliver(&delivery).await;

    assert_eq!(
        outcomes,
        [DeliveryOutcome::Delivered, DeliveryOutcome::Delivered]
    );
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 1);
    let request = &sent[0];
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), BATCH_PATH);
    assert_eq!(
        request.headers.get("authorization").map(|v| v.as_bytes()),
        Some(format!("Bearer {API_KEY}").as_bytes())
    );
    assert_eq!(
        request.headers.get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/json"[..])
    );
    let body: Value = serde_json::from_slice(&request.body)?;
    let failed_event = |meter: &str, quantity: &str| {
        json!({
            "transaction_id": format!("req-2:{meter}"),
            "external_subscription_id": "globex",
            "code": meter,
            "timestamp": "1795608000.250",
            "properties": {
                meter: quantity,
                "model": "gpt-4o",
                "key": "9f86d081884c7d65",
                "status": "failure",
            },
        })
    };
    assert_eq!(
        body,
        json!({"events": [
            acme_event("input_tokens", "1200"),
            acme_event("output_tokens", "350"),
            acme_event("cached_tokens", "200"),
            acme_event("reasoning_tokens", "64"),
            acme_event("requests", "1"),
            // Every digit of the stored cost, as text.
            acme_event("cost_usd", ODD_COST),
            acme_event("cache_hits", "1"),
            // Zero quantities add nothing to a sum and are not sent; the call still counts.
            failed_event("input_tokens", "7"),
            failed_event("requests", "1"),
        ]})
    );
    Ok(())
}

#[tokio::test]
async fn a_configured_code_sends_one_event_with_every_meter() -> TestResult {
    let server = stand_in(ResponseTemplate::new(200).set_body_json(json!({"events": []}))).await;
    let target = LagoEventsTarget::new(single_code(config(&server)?, "llm_usage"))?;
    let mut no_provider = item("req-2", Some("globex"), "12.5")?;
    no_provider.event.provider = None;
    no_provider.event.status = CallStatus::Failure { error_code: None };
    let delivery = [item("req-1", Some("acme"), ODD_COST)?, no_provider];

    let outcomes = target.deliver(&delivery).await;

    assert_eq!(
        outcomes,
        [DeliveryOutcome::Delivered, DeliveryOutcome::Delivered]
    );
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 1);
    let body: Value = serde_json::from_slice(&sent[0].body)?;
    assert_eq!(
        body,
        json!({"events": [
            {
                "transaction_id": "req-1",
                "external_subscription_id": "sub-acme",
                "code": "llm_usage",
                "timestamp": "1795608000.250",
                "properties": {
                    "input_tokens": 1200,
                    "output_tokens": 350,
                    "cached_tokens": 200,
                    "reasoning_tokens": 64,
                    "requests": 1,
                    "cost_usd": ODD_COST,
                    "cache_hits": 0,
                    "model": "gpt-4o",
                    "provider": "openai",
                    "status": "success",
                },
            },
            {
                "transaction_id": "req-2",
                "external_subscription_id": "globex",
                "code": "llm_usage",
                "timestamp": "1795608000.250",
                "properties": {
                    "input_tokens": 1200,
                    "output_tokens": 350,
                    "cached_tokens": 200,
                    "reasoning_tokens": 64,
                    "requests": 1,
                    "cost_usd": "12.5",
                    "cache_hits": 0,
                    "model": "gpt-4o",
                    "status": "failure",
                },
            },
        ]})
    );
    Ok(())
}

#[tokio::test]
async fn a_blank_configured_code_is_refused_at_setup() -> TestResult {
    let server = stand_in(ResponseTemplate::new(200)).await;
    let refused = LagoEventsTarget::new(single_code(config(&server)?, "  "));
    assert!(
        refused
            .err()
            .is_some_and(|e| e.to_string().contains("billable metric code")),
    );
    Ok(())
}

#[tokio::test]
async fn a_customer_without_a_subscription_waits_and_nothing_is_sent() -> TestResult {
    let server = stand_in(ResponseTemplate::new(200)).await;
    let mut config = config(&server)?;
    config.subscriptions = Arc::new(StaticSubscriptions::new(HashMap::new()));
    let target = LagoEventsTarget::new(config)?;
    let delivery = [
        item("req-1", Some("initech"), "1")?,
        item("req-2", None, "1")?,
    ];

    let outcomes = target.deliver(&delivery).await;

    assert!(
        matches!(&outcomes[0], DeliveryOutcome::Waiting { reason } if reason.contains("initech")),
        "{outcomes:?}"
    );
    // No customer at all: nothing any subscription could ever bill.
    assert!(
        matches!(&outcomes[1], DeliveryOutcome::Rejected { reason } if reason.contains("no customer"))
    );
    assert!(requests(&server).await.is_empty());
    Ok(())
}
