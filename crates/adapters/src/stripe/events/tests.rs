//! Events built as Stripe renders them: the envelope of Stripe's example event around Stripe's
//! example objects (`tests/fixtures/stripe/fixtures.json`, from stripe/openapi's
//! `fixtures3.json`), with the fields each case is about written in.

use serde_json::{Value, json};

use super::*;

const INVOICE: &str = "0195e3c4-7d21-7a8e-9f00-1c2d3e4f5a6b";

fn fixture(name: &str) -> Value {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/stripe/fixtures.json"
    ));
    let fixtures: Value = serde_json::from_str(text).unwrap();
    let object = fixtures["resources"][name].clone();
    assert!(object.is_object(), "no fixture {name}");
    object
}

/// Stripe's example event of `kind` carrying `object`, as a webhook body.
fn event(kind: &str, object: Value) -> Vec<u8> {
    let mut event = fixture("event");
    event["id"] = json!("evt_1TollgateTest");
    event["type"] = json!(kind);
    event["api_version"] = json!(crate::stripe::DEFAULT_API_VERSION);
    event["data"] = json!({ "object": object });
    serde_json::to_vec(&event).unwrap()
}

fn read(body: &[u8]) -> PaymentEvent {
    read_event(body).unwrap().event
}

/// Stripe's example PaymentIntent as Tollgate creates them, attempt 2 of [`INVOICE`].
fn tollgate_intent(status: &str) -> Value {
    let mut intent = fixture("payment_intent");
    intent["status"] = json!(status);
    intent["metadata"] = json!({
        "tollgate_invoice_id": INVOICE,
        "tollgate_organization_id": "0195e3c4-0000-7000-8000-000000000001",
        "tollgate_attempt": "2",
    });
    intent
}

fn tollgate_reference() -> PaymentReference {
    PaymentReference {
        provider_payment: "pi_1PgafyB7WZ01zgkWSjxsAJo3".to_owned(),
        invoice: Some(Uuid::parse_str(INVOICE).unwrap()),
        attempt: Some(2),
    }
}

#[test]
fn the_envelope_gives_the_id_type_and_mode() {
    let received = read_event(&event(
        "payment_intent.succeeded",
        tollgate_intent("succeeded"),
    ))
    .unwrap();
    assert_eq!(received.id, "evt_1TollgateTest");
    assert_eq!(received.event_type, "payment_intent.succeeded");
    assert!(!received.livemode);
    assert_eq!(
        received.event,
        PaymentEvent::PaymentSucceeded(tollgate_reference())
    );
}

#[test]
fn a_live_event_says_so() {
    let mut body: Value = serde_json::from_slice(&event(
        "payment_intent.succeeded",
        tollgate_intent("succeeded"),
    ))
    .unwrap();
    body["livemode"] = json!(true);
    let received = read_event(&serde_json::to_vec(&body).unwrap()).unwrap();
    assert!(received.livemode);
}

#[test]
fn each_payment_intent_event_settles_the_attempt_named_in_its_metadata() {
    let cases = [
        ("payment_intent.succeeded", "succeeded"),
        ("payment_intent.processing", "processing"),
        ("payment_intent.requires_action", "requires_action"),
        ("payment_intent.canceled", "canceled"),
    ];
    for (kind, status) in cases {
        let expected = match kind {
            "payment_intent.succeeded" => PaymentEvent::PaymentSucceeded(tollgate_reference()),
            "payment_intent.processing" => PaymentEvent::PaymentProcessing(tollgate_reference()),
            "payment_intent.requires_action" => {
                PaymentEvent::PaymentRequiresAction(tollgate_reference())
            }
            _ => PaymentEvent::PaymentCanceled(tollgate_reference()),
        };
        assert_eq!(
            read(&event(kind, tollgate_intent(status))),
            expected,
            "{kind}"
        );
    }
}

#[test]
fn a_failed_payment_carries_the_decline() {
    let mut intent = tollgate_intent("requires_payment_method");
    intent["last_payment_error"] = json!({
        "type": "card_error",
        "code": "card_declined",
        "decline_code": "insufficient_funds",
        "advice_code": "try_again_later",
        "message": "Your card has insufficient funds.",
        "payment_method": fixture("payment_method"),
    });
    let PaymentEvent::PaymentFailed { payment, decline } =
        read(&event("payment_intent.payment_failed", intent))
    else {
        panic!("not a failed payment");
    };
    assert_eq!(payment, tollgate_reference());
    assert_eq!(decline.code(), Some("card_declined"));
    assert_eq!(decline.decline_code(), Some("insufficient_funds"));
    assert_eq!(decline.advice_code(), Some("try_again_later"));
    assert_eq!(decline.message(), Some("Your card has insufficient funds."));
}

#[test]
fn a_failure_without_error_details_is_still_a_failure() {
    let mut intent = tollgate_intent("requires_payment_method");
    intent["last_payment_error"] = Value::Null;
    let PaymentEvent::PaymentFailed { decline, .. } =
        read(&event("payment_intent.payment_failed", intent))
    else {
        panic!("not a failed payment");
    };
    assert_eq!(decline, DeclineDetails::default());
}

#[test]
fn metadata_that_is_not_tollgates_names_no_record() {
    let bad = [
        json!({"tollgate_invoice_id": "inv_42", "tollgate_attempt": "second"}),
        json!({"tollgate_invoice_id": 42, "tollgate_attempt": -1}),
        json!({"order_id": "123456789"}),
        json!({}),
        Value::Null,
        json!("not an object"),
    ];
    for metadata in bad {
        let mut intent = fixture("payment_intent");
        intent["metadata"] = metadata.clone();
        assert_eq!(
            read(&event("payment_intent.succeeded", intent)),
            PaymentEvent::PaymentSucceeded(PaymentReference {
                provider_payment: "pi_1PgafyB7WZ01zgkWSjxsAJo3".to_owned(),
                invoice: None,
                attempt: None,
            }),
            "{metadata}"
        );
    }
}

#[test]
fn one_bad_id_in_the_metadata_spares_the_other() {
    let mut intent = tollgate_intent("succeeded");
    intent["metadata"]["tollgate_attempt"] = json!("4294967296");
    let PaymentEvent::PaymentSucceeded(reference) =
        read(&event("payment_intent.succeeded", intent))
    else {
        panic!("not a success");
    };
    assert_eq!(reference.invoice, tollgate_reference().invoice);
    assert_eq!(reference.attempt, None);
}

#[test]
fn a_succeeded_setup_saves_its_card() {
    let mut setup = fixture("setup_intent");
    setup["status"] = json!("succeeded");
    setup["customer"] = json!("cus_NffrFeUfNV2Hib");
    setup["payment_method"] = json!("pm_1Pgc75B7WZ01zgkWlHVgdEGJ");
    let expected = PaymentEvent::CardSaved {
        provider_customer: "cus_NffrFeUfNV2Hib".to_owned(),
        payment_method: "pm_1Pgc75B7WZ01zgkWlHVgdEGJ".to_owned(),
    };
    assert_eq!(
        read(&event("setup_intent.succeeded", setup.clone())),
        expected
    );

    // Expanded, the same ids are read from the objects.
    let mut customer = fixture("customer");
    customer["id"] = json!("cus_NffrFeUfNV2Hib");
    setup["customer"] = customer;
    setup["payment_method"] = fixture("payment_method");
    assert_eq!(read(&event("setup_intent.succeeded", setup)), expected);
}

#[test]
fn a_setup_without_a_customer_saves_nothing() {
    let mut setup = fixture("setup_intent");
    setup["status"] = json!("succeeded");
    setup["payment_method"] = json!("pm_1Pgc75B7WZ01zgkWlHVgdEGJ");
    assert_eq!(setup["customer"], Value::Null, "the fixture has none");
    assert_eq!(
        read(&event("setup_intent.succeeded", setup)),
        PaymentEvent::Ignored
    );
}

fn completed_session(mode: &str, payment_status: &str) -> Value {
    let mut session = fixture("checkout.session");
    session["mode"] = json!(mode);
    session["status"] = json!("complete");
    session["payment_status"] = json!(payment_status);
    session["customer"] = json!("cus_NffrFeUfNV2Hib");
    session
}

#[test]
fn a_paid_payment_link_settles_its_payment_intent() {
    let mut session = completed_session("payment", "paid");
    session["metadata"] = json!({"tollgate_invoice_id": INVOICE});
    assert_eq!(
        read(&event("checkout.session.completed", session)),
        PaymentEvent::PaymentSucceeded(PaymentReference {
            provider_payment: "pi_1PgafyB7WZ01zgkWSjxsAJo3".to_owned(),
            invoice: Some(Uuid::parse_str(INVOICE).unwrap()),
            attempt: None,
        })
    );
}

#[test]
fn an_unpaid_or_free_payment_link_changes_nothing_yet() {
    for status in ["unpaid", "no_payment_required"] {
        let mut session = completed_session("payment", status);
        session["metadata"] = json!({"tollgate_invoice_id": INVOICE});
        assert_eq!(
            read(&event("checkout.session.completed", session)),
            PaymentEvent::Ignored,
            "{status}"
        );
    }
}

#[test]
fn a_completed_setup_link_waits_for_its_setup_intent() {
    let mut session = completed_session("setup", "no_payment_required");
    session["payment_intent"] = Value::Null;
    session["setup_intent"] = json!("seti_1Pgag7B7WZ01zgkWSgwGdb8Z");
    assert_eq!(
        read(&event("checkout.session.completed", session.clone())),
        PaymentEvent::Ignored
    );

    // Rendered with the SetupIntent expanded, the card is there to read.
    let mut setup = fixture("setup_intent");
    setup["status"] = json!("succeeded");
    setup["payment_method"] = fixture("payment_method");
    session["setup_intent"] = setup;
    assert_eq!(
        read(&event("checkout.session.completed", session)),
        PaymentEvent::CardSaved {
            provider_customer: "cus_NffrFeUfNV2Hib".to_owned(),
            payment_method: "pm_1Pgc75B7WZ01zgkWlHVgdEGJ".to_owned(),
        }
    );
}

#[test]
fn a_detached_card_is_removed_from_its_former_customer() {
    let mut body: Value =
        serde_json::from_slice(&event("payment_method.detached", fixture("payment_method")))
            .unwrap();
    body["data"]["previous_attributes"] = json!({"customer": "cus_NffrFeUfNV2Hib"});
    assert_eq!(
        read(&serde_json::to_vec(&body).unwrap()),
        PaymentEvent::CardRemoved {
            provider_customer: "cus_NffrFeUfNV2Hib".to_owned(),
            payment_method: "pm_1Pgc75B7WZ01zgkWlHVgdEGJ".to_owned(),
        }
    );
    // Without the former customer there is no one to remove it from.
    assert_eq!(
        read(&event("payment_method.detached", fixture("payment_method"))),
        PaymentEvent::Ignored
    );
}

#[test]
fn other_events_are_ignored_whatever_they_carry() {
    let mut attached = fixture("payment_method");
    attached["customer"] = json!("cus_NffrFeUfNV2Hib");
    let cases = [
        ("payment_method.attached", attached),
        ("checkout.session.expired", fixture("checkout.session")),
        ("setup_intent.setup_failed", fixture("setup_intent")),
        ("refund.updated", fixture("refund")),
        ("plan.created", fixture("event")["data"]["object"].clone()),
        ("some.future_type", json!({"surprise": [1, 2, 3]})),
    ];
    for (kind, object) in cases {
        let received = read_event(&event(kind, object)).unwrap();
        assert_eq!(received.event, PaymentEvent::Ignored, "{kind}");
        assert_eq!(received.event_type, kind);
    }
}

#[test]
fn what_is_not_an_event_is_refused() {
    let cases: [&[u8]; 6] = [
        b"",
        b"{\"id\": \"evt_1\", \"type\": ",
        br#"{"type": "payment_intent.succeeded", "livemode": false, "data": {"object": {}}}"#,
        br#"{"id": "evt_1", "livemode": false, "data": {"object": {}}}"#,
        br#"{"id": "evt_1", "type": "plan.created", "data": {"object": {}}}"#,
        br#"{"id": "evt_1", "object": "charge", "type": "plan.created", "livemode": false}"#,
    ];
    for body in cases {
        let error = read_event(body).unwrap_err();
        assert!(
            matches!(error, EventError::Envelope(_)),
            "{}: {error}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn a_mapped_event_without_its_object_id_is_refused() {
    let mut intent = tollgate_intent("succeeded");
    intent.as_object_mut().unwrap().remove("id");
    let error = read_event(&event("payment_intent.succeeded", intent)).unwrap_err();
    assert!(
        matches!(&error, EventError::Object { event_type, .. } if event_type == "payment_intent.succeeded"),
        "{error}"
    );
    let no_data = br#"{"id": "evt_1", "type": "setup_intent.succeeded", "livemode": false}"#;
    assert!(matches!(
        read_event(no_data),
        Err(EventError::Object { .. })
    ));
}

#[test]
fn an_ignored_event_needs_no_data() {
    let body = br#"{"id": "evt_1", "object": "event", "type": "plan.created", "livemode": true}"#;
    let received = read_event(body).unwrap();
    assert_eq!(received.event, PaymentEvent::Ignored);
    assert!(received.livemode);
}

#[test]
fn every_handled_event_is_one_stripe_sends() {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/stripe/request_shapes.json"
    ));
    let shapes: Value = serde_json::from_str(text).unwrap();
    let types: Vec<&str> = shapes["event_types"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for kind in HANDLED_EVENTS {
        assert!(
            types.contains(kind),
            "{kind} is not in the SDK's event enum"
        );
    }
    for mapped in MAPPED {
        assert!(
            HANDLED_EVENTS.contains(mapped),
            "{mapped} is not registered"
        );
    }
}
