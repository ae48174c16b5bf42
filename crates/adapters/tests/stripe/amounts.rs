//! Amounts reach Stripe in its minor units, and one Stripe cannot carry exactly never leaves.

use std::collections::BTreeMap;

use tollgate_application::ports::{
    PaymentError, PaymentGateway, PaymentLinkRequest, RefundRequest,
};
use tollgate_domain::ErrorCode;

use super::{
    TestResult, charge, currency, gateway, in_an_hour, key,
    stripe_stand_in::{StripeStandIn, VISA},
};

#[tokio::test]
async fn zero_and_three_decimal_currencies_are_sent_in_their_own_minor_units() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let customer = stand_in.customer();
    let card = stand_in.attach(&customer, VISA);
    let gateway = gateway(&stand_in);
    for (n, (amount, code, sent)) in [
        ("5000", "JPY", "5000"),
        ("5.12", "KWD", "5120"),
        ("1500", "ISK", "150000"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut request = charge(&customer, &card, amount, code);
        request.key = key(&format!("pi:inv_{n}:1"));
        let outcome = gateway.charge_off_session(&request).await?;
        assert_eq!(outcome.amount, amount.parse()?, "{code}: read back exactly");
        assert_eq!(outcome.currency, currency(code));
        let seen = stand_in.requests().pop().ok_or("a request")?;
        assert_eq!(seen.get("amount"), Some(sent), "{code}");
        assert_eq!(seen.get("currency"), Some(code.to_lowercase().as_str()));
    }
    Ok(())
}

#[tokio::test]
async fn an_amount_stripe_cannot_carry_is_refused_before_any_request() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let gateway = gateway(&stand_in);
    let not_representable = |answer: Result<_, PaymentError>| {
        matches!(answer, Err(PaymentError::NotRepresentable(ref error))
            if error.code() == ErrorCode::AmountNotRepresentable)
    };
    for (amount, code) in [
        ("500.5", "JPY"),
        ("5.125", "KWD"),
        ("0.001", "USD"),
        ("-1", "EUR"),
    ] {
        let answer = gateway
            .charge_off_session(&charge("cus_1", VISA, amount, code))
            .await;
        assert!(not_representable(answer.map(|_| ())), "{amount} {code}");
    }
    let link = gateway
        .create_payment_link(&PaymentLinkRequest {
            customer: "cus_1".into(),
            tollgate_invoice_id: "inv_1".into(),
            description: "Invoice 1".into(),
            amount: "12.5".parse()?,
            currency: currency("UGX"),
            success_url: "https://billing.example/paid".into(),
            cancel_url: "https://billing.example/".into(),
            expires_at: in_an_hour(),
            save_card: false,
            metadata: BTreeMap::new(),
            key: key("cs:inv_1:1"),
        })
        .await;
    assert!(not_representable(link.map(|_| ())));
    let refund = gateway
        .refund(&RefundRequest {
            payment_intent: "pi_1".into(),
            amount: Some("1.234".parse()?),
            currency: currency("EUR"),
            reason: None,
            metadata: BTreeMap::new(),
            key: key("re:cn_1"),
        })
        .await;
    assert!(not_representable(refund.map(|_| ())));
    assert!(
        stand_in.requests().is_empty(),
        "the stand-in saw no request"
    );
    Ok(())
}
