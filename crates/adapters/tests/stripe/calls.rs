//! Each port call sends exactly the documented request and reads Stripe's answer.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use tollgate_adapters::stripe::DEFAULT_API_VERSION;
use tollgate_application::ports::{
    CancelReason, IntentStatus, LinkStatus, PaymentGateway, PaymentLinkRequest, RefundReason,
    RefundRequest, RefundStatus, SetupLinkRequest,
};

use super::{
    TestResult, charge, currency, customer_request, gateway, in_an_hour, key,
    stripe_stand_in::{StripeStandIn, VISA},
};

#[tokio::test]
async fn a_customer_is_created_with_tollgates_id_in_its_metadata_and_the_customers_key()
-> TestResult {
    let stand_in = StripeStandIn::start().await;
    let made = gateway(&stand_in)
        .ensure_customer(&customer_request("cust_7"))
        .await?;
    assert!(made.id.starts_with("cus_"), "{made:?}");
    let seen = &stand_in.requests()[0];
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("POST", "/v1/customers")
    );
    assert_eq!(seen.idempotency_key.as_deref(), Some("cus:cust_7"));
    assert_eq!(seen.stripe_version.as_deref(), Some(DEFAULT_API_VERSION));
    assert_eq!(
        seen.keys(),
        [
            "email",
            "metadata[tollgate_customer_id]",
            "name",
            "preferred_locales[0]"
        ]
    );
    assert_eq!(seen.get("metadata[tollgate_customer_id]"), Some("cust_7"));
    assert_eq!(seen.get("preferred_locales[0]"), Some("fr-FR"));
    Ok(())
}

#[tokio::test]
async fn a_setup_link_is_checkout_in_setup_mode_with_the_currency() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let customer = stand_in.customer();
    let metadata = BTreeMap::from([("tollgate_customer_id".to_owned(), "cust_7".to_owned())]);
    let link = gateway(&stand_in)
        .create_setup_link(&SetupLinkRequest {
            customer: customer.clone(),
            currency: currency("EUR"),
            success_url: "https://billing.example/cards?session={CHECKOUT_SESSION_ID}".into(),
            cancel_url: "https://billing.example/cards".into(),
            expires_at: None,
            metadata,
            key: key("cs:setup:cust_7:1"),
        })
        .await?;
    assert_eq!(link.status, LinkStatus::Open);
    assert!(link.url.is_some_and(|url| url.contains(&link.session_id)));
    let seen = &stand_in.requests()[0];
    assert_eq!(seen.path, "/v1/checkout/sessions");
    assert_eq!(
        seen.keys(),
        [
            "cancel_url",
            "currency",
            "customer",
            "metadata[tollgate_customer_id]",
            "mode",
            "setup_intent_data[metadata][tollgate_customer_id]",
            "success_url",
        ]
    );
    assert_eq!(seen.get("mode"), Some("setup"));
    assert_eq!(seen.get("currency"), Some("eur"));
    assert_eq!(seen.get("customer"), Some(customer.as_str()));
    assert_eq!(
        seen.get("success_url"),
        Some("https://billing.example/cards?session={CHECKOUT_SESSION_ID}")
    );
    Ok(())
}

#[tokio::test]
async fn a_payment_link_is_one_line_of_the_invoice_amount_that_expires_and_can_be_expired()
-> TestResult {
    let stand_in = StripeStandIn::start().await;
    let customer = stand_in.customer();
    let gateway = gateway(&stand_in);
    let expires_at = in_an_hour();
    let link = gateway
        .create_payment_link(&PaymentLinkRequest {
            customer,
            tollgate_invoice_id: "inv_1".into(),
            description: "Invoice 2026-0042".into(),
            amount: "129.50".parse()?,
            currency: currency("USD"),
            success_url: "https://billing.example/paid".into(),
            cancel_url: "https://billing.example/invoices/inv_1".into(),
            expires_at,
            save_card: true,
            metadata: BTreeMap::new(),
            key: key("cs:inv_1:1"),
        })
        .await?;
    assert_eq!(link.expires_at.timestamp(), expires_at.timestamp());
    let seen = &stand_in.requests()[0];
    assert_eq!(
        seen.keys(),
        [
            "cancel_url",
            "client_reference_id",
            "customer",
            "expires_at",
            "line_items[0][price_data][currency]",
            "line_items[0][price_data][product_data][name]",
            "line_items[0][price_data][unit_amount]",
            "line_items[0][quantity]",
            "metadata[tollgate_invoice_id]",
            "mode",
            "payment_intent_data[metadata][tollgate_invoice_id]",
            "payment_intent_data[setup_future_usage]",
            "success_url",
        ]
    );
    assert_eq!(seen.get("mode"), Some("payment"));
    assert_eq!(
        seen.get("line_items[0][price_data][unit_amount]"),
        Some("12950")
    );
    assert_eq!(seen.get("line_items[0][price_data][currency]"), Some("usd"));
    assert_eq!(
        seen.get("payment_intent_data[setup_future_usage]"),
        Some("off_session")
    );
    assert_eq!(
        seen.get("expires_at"),
        Some(expires_at.timestamp().to_string().as_str())
    );

    let expired = gateway
        .expire_link(&link.session_id, &key("cs-expire:inv_1:1"))
        .await?;
    assert_eq!((expired.status, expired.url), (LinkStatus::Expired, None));
    let seen = &stand_in.requests()[1];
    assert_eq!(
        seen.path,
        format!("/v1/checkout/sessions/{}/expire", link.session_id)
    );
    assert!(seen.form.is_empty(), "{:?}", seen.form);
    assert_eq!(seen.idempotency_key.as_deref(), Some("cs-expire:inv_1:1"));
    Ok(())
}

#[tokio::test]
async fn an_off_session_charge_confirms_at_once_and_succeeds_with_a_good_card() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let customer = stand_in.customer();
    let card = stand_in.attach(&customer, VISA);
    let outcome = gateway(&stand_in)
        .charge_off_session(&charge(&customer, &card, "129.50", "USD"))
        .await?;
    assert_eq!(outcome.status, IntentStatus::Succeeded);
    assert_eq!(outcome.amount, "129.50".parse()?);
    let seen = &stand_in.requests()[0];
    assert_eq!(seen.path, "/v1/payment_intents");
    assert_eq!(seen.idempotency_key.as_deref(), Some("pi:inv_1:1"));
    assert_eq!(
        seen.keys(),
        [
            "amount",
            "confirm",
            "currency",
            "customer",
            "description",
            "metadata[tollgate_invoice_id]",
            "off_session",
            "payment_method",
            "statement_descriptor_suffix",
        ]
    );
    assert_eq!(
        (
            seen.get("amount"),
            seen.get("currency"),
            seen.get("off_session"),
            seen.get("confirm")
        ),
        (Some("12950"), Some("usd"), Some("true"), Some("true"))
    );
    assert!(
        seen.get("payment_method_types[0]").is_none(),
        "gone in this API version"
    );
    Ok(())
}

#[tokio::test]
async fn a_failed_payment_can_be_cancelled_and_a_succeeded_one_refunded() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let customer = stand_in.customer();
    let card = stand_in.attach(&customer, VISA);
    let gateway = gateway(&stand_in);
    let paid = gateway
        .charge_off_session(&charge(&customer, &card, "50", "EUR"))
        .await?;
    let refund = gateway
        .refund(&RefundRequest {
            payment_intent: paid.payment_intent.clone(),
            amount: Some("20.25".parse()?),
            currency: currency("EUR"),
            reason: Some(RefundReason::RequestedByCustomer),
            metadata: BTreeMap::from([("tollgate_credit_note_id".to_owned(), "cn_1".to_owned())]),
            key: key("re:cn_1"),
        })
        .await?;
    assert_eq!(
        (refund.status, refund.amount),
        (RefundStatus::Succeeded, "20.25".parse()?)
    );
    let seen = &stand_in.requests()[1];
    assert_eq!(seen.path, "/v1/refunds");
    assert_eq!(
        seen.keys(),
        [
            "amount",
            "metadata[tollgate_credit_note_id]",
            "payment_intent",
            "reason"
        ]
    );
    assert_eq!(seen.get("amount"), Some("2025"));
    assert_eq!(seen.get("reason"), Some("requested_by_customer"));

    // A succeeded payment cannot be cancelled: Stripe refuses, the port says so.
    let refused = gateway
        .cancel_payment(
            &paid.payment_intent,
            CancelReason::Abandoned,
            &key("pi-cancel:inv_1:1"),
        )
        .await;
    assert!(
        matches!(refused, Err(tollgate_application::ports::PaymentError::Refused(ref r))
            if r.code.as_deref() == Some("payment_intent_unexpected_state")),
        "{refused:?}"
    );
    let declined = gateway
        .charge_off_session(&{
            let mut request = charge(&customer, super::stripe_stand_in::DECLINED, "50", "EUR");
            request.key = key("pi:inv_1:2");
            request
        })
        .await;
    let Err(tollgate_application::ports::PaymentError::Declined(decline)) = declined else {
        panic!("{declined:?}");
    };
    let intent = decline.payment_intent.ok_or("the failed PaymentIntent")?;
    let cancelled = gateway
        .cancel_payment(&intent, CancelReason::Abandoned, &key("pi-cancel:inv_1:2"))
        .await?;
    assert_eq!(cancelled.status, IntentStatus::Canceled);
    let seen = stand_in.requests().pop().ok_or("a request")?;
    assert_eq!(seen.path, format!("/v1/payment_intents/{intent}/cancel"));
    assert_eq!(seen.keys(), ["cancellation_reason"]);
    assert_eq!(seen.get("cancellation_reason"), Some("abandoned"));
    Ok(())
}

#[tokio::test]
async fn cards_are_listed_made_default_and_detached() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let customer = stand_in.customer();
    let card = stand_in.attach(&customer, VISA);
    let gateway = gateway(&stand_in);
    let cards = gateway.list_payment_methods(&customer).await?;
    assert_eq!(cards.len(), 1, "{cards:?}");
    assert_eq!(
        (
            cards[0].id.as_str(),
            cards[0].kind.as_str(),
            cards[0].last4.as_deref()
        ),
        (card.as_str(), "card", Some("4242"))
    );
    let seen = &stand_in.requests()[0];
    assert_eq!(
        (seen.method.as_str(), seen.path.clone()),
        ("GET", format!("/v1/customers/{customer}/payment_methods"))
    );
    assert_eq!(seen.idempotency_key, None, "only POSTs carry a key");
    assert_eq!(
        (seen.get("type"), seen.get("limit")),
        (Some("card"), Some("100"))
    );

    gateway
        .set_default_payment_method(&customer, &card, &key("cus-default:cust_7:1"))
        .await?;
    let seen = &stand_in.requests()[1];
    assert_eq!(seen.path, format!("/v1/customers/{customer}"));
    assert_eq!(seen.keys(), ["invoice_settings[default_payment_method]"]);

    gateway
        .detach_payment_method(&card, &key("pm-detach:1"))
        .await?;
    assert_eq!(
        stand_in.requests()[2].path,
        format!("/v1/payment_methods/{card}/detach")
    );
    assert!(gateway.list_payment_methods(&customer).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn events_are_replayed_newest_first_a_page_at_a_time_with_their_json() -> TestResult {
    let stand_in = StripeStandIn::start().await;
    let since = Utc::now() - Duration::hours(2);
    stand_in.add_event(
        "payment_intent.succeeded",
        (since - Duration::minutes(1)).timestamp(),
    );
    let mut made = Vec::new();
    for minutes in 0..105 {
        let at = since + Duration::minutes(minutes);
        made.push(stand_in.add_event("payment_intent.succeeded", at.timestamp()));
    }
    let gateway = gateway(&stand_in);
    let first = gateway.events_since(since, None).await?;
    assert_eq!((first.events.len(), first.has_more), (100, true));
    assert_eq!(first.events[0].id, made[104], "the newest first");
    assert_eq!(first.events[0].event_type, "payment_intent.succeeded");
    let json: serde_json::Value = serde_json::from_str(&first.events[0].json)?;
    assert_eq!(json["object"], "event");
    let last = first.events.last().map(|event| event.id.clone());
    let second = gateway.events_since(since, last).await?;
    assert_eq!((second.events.len(), second.has_more), (5, false));
    assert_eq!(
        second.events[4].id, made[0],
        "the event before `since` is not listed"
    );
    let seen = &stand_in.requests()[1];
    assert_eq!(seen.path, "/v1/events");
    assert_eq!(
        seen.get("created[gte]"),
        Some(since.timestamp().to_string().as_str())
    );
    assert_eq!(seen.get("starting_after"), Some(made[5].as_str()));
    Ok(())
}
