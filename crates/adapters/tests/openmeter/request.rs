//! The delivery request as OpenMeter documents it: one CloudEvents batch with the exact
//! content type, the fields and numbers digit for digit, the API key and the configured names.

use serde_json::json;
use tollgate_adapters::openmeter::OpenMeterTarget;
use tollgate_application::ports::{DeliveryOutcome, DeliveryTarget};
use tollgate_domain::usage::{CallStatus, Label};
use wiremock::ResponseTemplate;

use crate::building_blocks::*;

#[tokio::test]
async fn a_delivery_is_one_cloudevents_batch_with_the_exact_content_type() -> TestResult {
    let server = stand_in(ResponseTemplate::new(204)).await;
    let target = OpenMeterTarget::new(config(&server)?)?;
    let mut unattributed = item("req-2", None, "0")?;
    unattributed.event.team_id = None;
    unattributed.event.api_key_hash = None;
    unattributed.event.status = CallStatus::Failure {
        error_code: Label::new("429"),
    };
    let delivery = [item("req-1", Some("acme"), ODD_COST)?, unattributed];

    let outcomes = target.deliver(&delivery).await;

    assert_eq!(
        outcomes,
        [DeliveryOutcome::Delivered, DeliveryOutcome::Delivered]
    );
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 1);
    let request = &sent[0];
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), EVENTS_PATH);
    let content_types: Vec<_> = request.headers.get_all("content-type").iter().collect();
    assert_eq!(content_types, [BATCH_TYPE]);
    assert!(request.headers.get("authorization").is_none());
    // Digit for digit in the bytes on the wire, as a JSON number.
    let text = String::from_utf8(request.body.clone())?;
    assert!(
        text.contains(&format!(r#""cost_usd":{ODD_COST}"#)),
        "{text}"
    );

    let mut events = batch(request)?;
    let cost = events[0]["data"]
        .as_object_mut()
        .and_then(|data| data.remove("cost_usd"))
        .ok_or("cost_usd")?;
    assert!(cost.is_number());
    assert_eq!(
        events[0],
        json!({
            "specversion": "1.0",
            "id": "req-1",
            "source": "tollgate",
            "type": "tollgate.llm.usage",
            "subject": "acme",
            "time": "2026-11-25T12:00:00.250Z",
            "data": {
                "input_tokens": 1200,
                "output_tokens": 350,
                "cached_tokens": 200,
                "reasoning_tokens": 64,
                "requests": 1,
                "cache_hits": 0,
                "model": "gpt-4o",
                "provider": "openai",
                "key": "9f86d081884c7d65",
                "team": "team-1",
                "status": "success",
            },
        })
    );
    // No customer: the documented subject; absent dimensions are left out, not null.
    assert_eq!(events[1]["subject"], "unattributed");
    assert_eq!(events[1]["data"]["status"], "failure");
    assert_eq!(events[1]["data"]["cost_usd"], 0);
    let data = events[1]["data"].as_object().ok_or("data")?;
    assert!(!data.contains_key("team") && !data.contains_key("key"));
    Ok(())
}

#[tokio::test]
async fn the_api_key_goes_as_a_bearer_token_with_the_configured_source_and_type() -> TestResult {
    let server = stand_in(ResponseTemplate::new(204)).await;
    let mut config = config(&server)?;
    config.api_key = Some("om_test_key".to_owned().into());
    config.source = "gateway-eu-1".into();
    config.event_type = "llm".into();
    let target = OpenMeterTarget::new(config)?;

    target.deliver(&items(1)?).await;

    let sent = requests(&server).await;
    assert_eq!(
        sent[0].headers.get("authorization").map(|v| v.as_bytes()),
        Some(&b"Bearer om_test_key"[..])
    );
    let events = batch(&sent[0])?;
    assert_eq!(
        (events[0]["source"].as_str(), events[0]["type"].as_str()),
        (Some("gateway-eu-1"), Some("llm"))
    );
    Ok(())
}
