//! Registering Tollgate's webhook endpoint.

use tollgate_adapters::stripe::{DEFAULT_API_VERSION, HANDLED_EVENTS};
use tollgate_application::ports::{PaymentError, PaymentGateway, WebhookEndpoint};

use super::{TestResult, gateway, key, stripe_stand_in::StripeStandIn};

const URL: &str = "https://tollgate.example/webhooks/stripe";

async fn register(stand_in: &StripeStandIn) -> Result<WebhookEndpoint, PaymentError> {
    gateway(stand_in)
        .register_webhook_endpoint(URL, HANDLED_EVENTS, DEFAULT_API_VERSION, &key("we:main"))
        .await
}

#[tokio::test]
async fn the_endpoint_is_registered_for_the_handled_events_in_the_pinned_version() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let endpoint = register(&stand_in).await?;
    assert!(endpoint.id.starts_with("we_"), "{endpoint:?}");
    assert!(endpoint.secret.starts_with("whsec_"), "{endpoint:?}");
    assert!(
        !format!("{endpoint:?}").contains(&endpoint.secret),
        "the secret is never printed"
    );

    let seen = &stand_in.requests()[0];
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("POST", "/v1/webhook_endpoints")
    );
    assert_eq!(seen.idempotency_key.as_deref(), Some("we:main"));
    assert_eq!(seen.get("url"), Some(URL));
    assert_eq!(seen.get("api_version"), Some(DEFAULT_API_VERSION));
    assert!(
        seen.get("description")
            .is_some_and(|d| d.contains("Tollgate"))
    );
    let events: Vec<&str> = (0..HANDLED_EVENTS.len())
        .filter_map(|i| seen.get(&format!("enabled_events[{i}]")))
        .collect();
    assert_eq!(events, HANDLED_EVENTS);
    assert_eq!(
        seen.keys().len(),
        3 + HANDLED_EVENTS.len(),
        "nothing else is sent: {:?}",
        seen.keys()
    );
    Ok(())
}

#[tokio::test]
async fn registering_again_with_the_key_answers_the_same_secret() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let first = register(&stand_in).await?;
    let again = register(&stand_in).await?;
    assert_eq!(again, first);
    Ok(())
}

#[tokio::test]
async fn an_event_type_stripe_does_not_send_is_refused() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let answer = gateway(&stand_in)
        .register_webhook_endpoint(
            URL,
            &["payment_intent.succeeded", "payment_intent.teleported"],
            DEFAULT_API_VERSION,
            &key("we:typo"),
        )
        .await;
    let Err(PaymentError::Refused(refusal)) = answer else {
        panic!("not refused: {answer:?}");
    };
    assert_eq!(refusal.param.as_deref(), Some("enabled_events[1]"));
    Ok(())
}
