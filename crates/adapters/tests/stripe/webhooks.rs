//! Registering Tollgate's webhook endpoint, and the events the stand-in delivers to it: built
//! from the PaymentIntents it made, signed as Stripe signs, read as the webhook route reads.

use std::collections::BTreeMap;

use chrono::Utc;
use secrecy::SecretString;
use tollgate_adapters::{
    signing::stripe::StripeSignatureVerifier,
    stripe::{DEFAULT_API_VERSION, HANDLED_EVENTS, read_event},
};
use tollgate_application::ports::{
    PaymentError, PaymentEvent, PaymentGateway, PaymentReference, WebhookEndpoint,
};
use uuid::Uuid;

use super::{
    TestResult, charge, customer_request, gateway, key,
    stripe_stand_in::{DECLINED, StripeStandIn, VISA, signed_delivery, stripe_signature},
};

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

#[tokio::test]
async fn a_delivered_charge_event_is_verified_and_names_tollgates_attempt() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let gateway = gateway(&stand_in);
    let endpoint = register(&stand_in).await?;
    let customer = gateway.ensure_customer(&customer_request("cust_1")).await?;
    let invoice = Uuid::now_v7();
    let mut request = charge(&customer.id, VISA, "129.50", "USD");
    request.metadata = BTreeMap::from([
        ("tollgate_invoice_id".to_owned(), invoice.to_string()),
        ("tollgate_attempt".to_owned(), "1".to_owned()),
    ]);
    let paid = gateway.charge_off_session(&request).await?;

    let event = stand_in.event_for_payment_intent(&paid.payment_intent, "payment_intent.succeeded");
    assert_eq!(event["api_version"], DEFAULT_API_VERSION);
    assert_eq!(event["data"]["object"]["status"], "succeeded");
    let (body, header) = signed_delivery(&endpoint.secret, &event);

    let verifier = StripeSignatureVerifier::new([SecretString::from(endpoint.secret.clone())]);
    verifier.verify(&header, &body, Utc::now())?;
    let received = read_event(&body)?;
    assert_eq!(received.event_type, "payment_intent.succeeded");
    assert!(!received.livemode);
    assert_eq!(
        received.event,
        PaymentEvent::PaymentSucceeded(PaymentReference {
            provider_payment: paid.payment_intent,
            invoice: Some(invoice),
            attempt: Some(1),
        })
    );

    // Stripe lists the same event for a replay after downtime.
    let page = gateway
        .events_since(Utc::now() - chrono::Duration::minutes(1), None)
        .await?;
    assert_eq!(page.events.len(), 1);
    assert_eq!(Some(page.events[0].id.as_str()), event["id"].as_str());
    Ok(())
}

#[tokio::test]
async fn a_declined_charge_becomes_a_failed_payment_event_with_its_decline() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let gateway = gateway(&stand_in);
    let customer = gateway.ensure_customer(&customer_request("cust_2")).await?;
    let declined = gateway
        .charge_off_session(&charge(&customer.id, DECLINED, "10", "EUR"))
        .await;
    let Err(PaymentError::Declined(decline)) = declined else {
        panic!("not declined: {declined:?}");
    };
    let intent = decline.payment_intent.expect("the failed PaymentIntent");
    let event = stand_in.event_for_payment_intent(&intent, "payment_intent.payment_failed");
    let (body, _) = signed_delivery("whsec_any", &event);
    let PaymentEvent::PaymentFailed { payment, decline } = read_event(&body)?.event else {
        panic!("not a failed payment");
    };
    assert_eq!(payment.provider_payment, intent);
    assert_eq!(payment.invoice, None, "inv_1 is not a Tollgate invoice id");
    assert_eq!(decline.code(), Some("card_declined"));
    assert_eq!(decline.decline_code(), Some("generic_decline"));
    Ok(())
}

#[test]
fn a_signature_for_other_bytes_or_another_secret_is_refused() {
    let body = br#"{"id":"evt_1","object":"event","type":"plan.created","livemode":false}"#;
    let now = Utc::now();
    let header = stripe_signature("whsec_right", now.timestamp(), body);
    let verifier = StripeSignatureVerifier::new([SecretString::from("whsec_right".to_owned())]);
    assert!(verifier.verify(&header, body, now).is_ok());
    assert!(verifier.verify(&header, b"{}", now).is_err());
    let other = StripeSignatureVerifier::new([SecretString::from("whsec_wrong".to_owned())]);
    assert!(other.verify(&header, body, now).is_err());
}
