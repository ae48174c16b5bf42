//! What Stripe's failures become, and which are tried again with the same key.

use std::time::Duration;

use tollgate_adapters::stripe::StripeGateway;
use tollgate_application::{
    PortError,
    ports::{IntentStatus, PaymentError, PaymentGateway},
};

use super::{
    TestResult, charge, config, customer_request, gateway,
    stripe_stand_in::{AUTHENTICATION_REQUIRED, DECLINED, Fault, StripeStandIn, VISA},
};

#[tokio::test]
async fn a_repeated_call_with_the_same_key_gets_the_first_answer_and_charges_once() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let customer = stand_in.customer();
    let card = stand_in.attach(&customer, VISA);
    let gateway = gateway(&stand_in);
    let request = charge(&customer, &card, "10", "USD");
    let first = gateway.charge_off_session(&request).await?;
    let again = gateway.charge_off_session(&request).await?;
    assert_eq!(first, again, "the same PaymentIntent, not a second charge");
    let keys: Vec<_> = stand_in
        .requests()
        .iter()
        .map(|seen| seen.idempotency_key.clone())
        .collect();
    assert_eq!(
        keys,
        [Some("pi:inv_1:1".to_owned()), Some("pi:inv_1:1".to_owned())]
    );
    Ok(())
}

#[tokio::test]
async fn a_5xx_or_409_is_retried_with_the_same_key_and_body_until_stripe_answers() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let customer = stand_in.customer();
    let card = stand_in.attach(&customer, VISA);
    stand_in.fail_next(Fault::status(500));
    stand_in.fail_next(Fault::status(409));
    let mut config = config(&stand_in);
    config.max_attempts = 4;
    stand_in.fail_next(Fault::status(503));
    let outcome = StripeGateway::new(config)?
        .charge_off_session(&charge(&customer, &card, "10", "USD"))
        .await?;
    assert_eq!(outcome.status, IntentStatus::Succeeded);
    let seen = stand_in.requests();
    assert_eq!(seen.len(), 4);
    assert!(
        seen.iter()
            .all(|s| s.idempotency_key.as_deref() == Some("pi:inv_1:1") && s.form == seen[0].form),
        "{seen:?}"
    );
    Ok(())
}

#[tokio::test]
async fn stripe_should_retry_false_stops_the_retries_and_true_retries_a_429() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    stand_in.fail_next(Fault::status(500).should_retry(false));
    let failed = gateway(&stand_in)
        .ensure_customer(&customer_request("cust_7"))
        .await;
    assert!(
        matches!(
            failed,
            Err(PaymentError::Upstream(PortError::Unavailable {
                service: "stripe",
                ..
            }))
        ),
        "{failed:?}"
    );
    assert_eq!(stand_in.requests().len(), 1, "not tried again");

    stand_in.fail_next(Fault::status(429).should_retry(true));
    gateway(&stand_in)
        .ensure_customer(&customer_request("cust_8"))
        .await?;
    assert_eq!(stand_in.requests().len(), 3, "the 429 was tried again");
    Ok(())
}

#[tokio::test]
async fn a_429_is_not_retried_and_answers_unavailable_with_stripes_wait() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    stand_in.fail_next(Fault::status(429).retry_after(7));
    let failed = gateway(&stand_in)
        .ensure_customer(&customer_request("cust_7"))
        .await;
    assert!(
        matches!(
            failed,
            Err(PaymentError::Upstream(PortError::Unavailable {
                retry_after: Some(wait),
                ..
            })) if wait == Duration::from_secs(7)
        ),
        "{failed:?}"
    );
    assert_eq!(stand_in.requests().len(), 1);
    Ok(())
}

#[tokio::test]
async fn failures_past_the_last_try_are_unavailable_or_timed_out() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    for _ in 0..3 {
        stand_in.fail_next(Fault::status(502));
    }
    let failed = gateway(&stand_in)
        .ensure_customer(&customer_request("cust_7"))
        .await;
    assert!(
        matches!(
            failed,
            Err(PaymentError::Upstream(PortError::Unavailable { .. }))
        ),
        "{failed:?}"
    );
    assert_eq!(stand_in.requests().len(), 3, "three tries");

    let stand_in = StripeStandIn::start().await;
    let mut config = config(&stand_in);
    config.timeout = Duration::from_millis(200);
    config.max_attempts = 2;
    stand_in.fail_next(Fault::timeout(Duration::from_secs(2)));
    stand_in.fail_next(Fault::timeout(Duration::from_secs(2)));
    let failed = StripeGateway::new(config)?
        .ensure_customer(&customer_request("cust_7"))
        .await;
    assert!(
        matches!(
            failed,
            Err(PaymentError::Upstream(PortError::TimedOut { .. }))
        ),
        "{failed:?}"
    );
    assert_eq!(stand_in.requests().len(), 2, "a timeout is tried again");
    Ok(())
}

#[tokio::test]
async fn declines_are_failed_attempts_with_stripes_codes_and_the_payment_intent() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let customer = stand_in.customer();
    let gateway = gateway(&stand_in);
    for (card, code, decline_code) in [
        (DECLINED, "card_declined", "generic_decline"),
        (
            AUTHENTICATION_REQUIRED,
            "authentication_required",
            "authentication_required",
        ),
    ] {
        let mut request = charge(&customer, card, "10", "USD");
        request.key = super::key(&format!("pi:inv_1:{card}"));
        let answer = gateway.charge_off_session(&request).await;
        let Err(PaymentError::Declined(decline)) = answer else {
            panic!("{card}: {answer:?}");
        };
        assert_eq!(decline.code, code);
        assert_eq!(decline.decline_code.as_deref(), Some(decline_code));
        assert!(!decline.message.is_empty());
        assert!(
            decline
                .payment_intent
                .as_deref()
                .is_some_and(|id| id.starts_with("pi_")),
            "{decline:?}"
        );
    }
    assert_eq!(stand_in.requests().len(), 2, "a decline is not retried");
    Ok(())
}

#[tokio::test]
async fn other_4xx_are_refusals_with_stripes_words_and_a_wrong_key_is_internal() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let answer = gateway(&stand_in)
        .charge_off_session(&charge("cus_nobody", VISA, "10", "USD"))
        .await;
    let Err(PaymentError::Refused(refusal)) = answer else {
        panic!("{answer:?}");
    };
    assert_eq!(
        (
            refusal.kind.as_str(),
            refusal.code.as_deref(),
            refusal.param.as_deref()
        ),
        (
            "invalid_request_error",
            Some("resource_missing"),
            Some("customer")
        )
    );
    assert!(refusal.message.contains("cus_nobody"), "{refusal:?}");

    let mut config = config(&stand_in);
    config.secret_key = "sk_test_wrong".to_owned().into();
    let answer = StripeGateway::new(config)?
        .ensure_customer(&customer_request("cust_7"))
        .await;
    assert!(
        matches!(
            answer,
            Err(PaymentError::Upstream(PortError::Internal { .. }))
        ),
        "{answer:?}"
    );
    Ok(())
}

#[tokio::test]
async fn requests_are_paced_at_the_configured_rate() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let mut config = config(&stand_in);
    config.requests_per_second = 20;
    let gateway = StripeGateway::new(config)?;
    let start = std::time::Instant::now();
    for n in 0..5 {
        gateway
            .ensure_customer(&customer_request(&format!("cust_{n}")))
            .await?;
    }
    // Five requests at 20 a second: the fifth leaves 4 × 50 ms after the first.
    assert!(
        start.elapsed() >= Duration::from_millis(200),
        "{:?}",
        start.elapsed()
    );
    Ok(())
}
