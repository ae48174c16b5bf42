use rust_decimal::Decimal;
use serde_json::json;
use tollgate_domain::billing::engine_event::{EngineFeeKind, EngineObject};
use uuid::Uuid;

use crate::lago::webhook::decode_webhook;

/// An `invoice.created` body with the fields of lago-openapi's `InvoiceObjectExtended`.
fn invoice_body() -> serde_json::Value {
    json!({
        "webhook_type": "invoice.created",
        "object_type": "invoice",
        "organization_id": "1a901a90-1a90-1a90-1a90-1a901a901a90",
        "invoice": {
            "lago_id": "2b012b01-2b01-2b01-2b01-2b012b012b01",
            "billing_entity_code": null,
            "sequential_id": 1,
            "number": "ACME-202601-001",
            "issuing_date": "2026-02-01",
            "invoice_type": "subscription",
            "status": "finalized",
            "payment_status": "pending",
            "currency": "USD",
            "fees_amount_cents": 4200,
            "taxes_amount_cents": 840,
            "sub_total_excluding_taxes_amount_cents": 4200,
            "total_amount_cents": 5040,
            "version_number": 4,
            "customer": { "lago_id": "5c1a5c1a-5c1a-5c1a-5c1a-5c1a5c1a5c1a", "external_id": "cust_0001" },
            "subscriptions": [{ "external_id": "sub_0001", "status": "active" }],
            "billing_periods": [{
                "lago_subscription_id": "6d2b6d2b-6d2b-6d2b-6d2b-6d2b6d2b6d2b",
                "external_subscription_id": "sub_0001",
                "lago_plan_id": "7e3c7e3c-7e3c-7e3c-7e3c-7e3c7e3c7e3c",
                "subscription_from_datetime": "2026-01-01T00:00:00Z",
                "subscription_to_datetime": "2026-01-31T23:59:59Z",
                "charges_from_datetime": "2026-01-01T00:00:00Z",
                "charges_to_datetime": "2026-01-31T23:59:59Z",
                "invoicing_reason": "subscription_periodic"
            }],
            "fees": [{
                "item": { "type": "charge", "code": "input_tokens", "name": "Input tokens",
                          "invoice_display_name": "", "lago_item_id": "x", "item_type": "BillableMetric" },
                "amount_cents": 3000,
                "units": "1500000.0",
                "precise_unit_amount": "0.00002",
                "pay_in_advance": false,
                "from_date": "2026-01-01T00:00:00Z",
                "to_date": "2026-01-31T23:59:59Z"
            }]
        }
    })
}

#[test]
fn an_invoice_webhook_reads_into_the_engine_invoice() {
    let event = decode_webhook(invoice_body().to_string().as_bytes()).expect("a webhook");
    assert_eq!(event.webhook_type, "invoice.created");
    let EngineObject::Invoice(invoice) = &event.object else {
        panic!("an invoice: {event:?}");
    };
    assert_eq!(
        invoice.lago_id,
        Uuid::parse_str("2b012b01-2b01-2b01-2b01-2b012b012b01").expect("a uuid")
    );
    assert_eq!(invoice.customer_external_id, "cust_0001");
    assert_eq!(invoice.subscription_external_ids, vec!["sub_0001"]);
    assert_eq!(
        (invoice.taxes_amount_cents, invoice.total_amount_cents),
        (840, 5040)
    );
    assert_eq!(
        invoice.billing_periods.len(),
        2,
        "subscription and charges spans"
    );
    let fee = &invoice.fees[0];
    assert_eq!(fee.kind, EngineFeeKind::Charge);
    // A blank display name falls back to the item's name.
    assert_eq!(fee.description, "Input tokens");
    assert_eq!(fee.units, Some(Decimal::new(15_000_000, 1)));
    assert_eq!(fee.unit_amount, Some(Decimal::new(2, 5)));
    assert_eq!(
        event.object_id().as_deref(),
        Some("2b012b01-2b01-2b01-2b01-2b012b012b01")
    );
}

#[test]
fn subscriptions_and_other_objects_read_with_their_ids() {
    let body = json!({
        "webhook_type": "subscription.terminated",
        "object_type": "subscription",
        "subscription": {
            "lago_id": "6d2b6d2b-6d2b-6d2b-6d2b-6d2b6d2b6d2b",
            "external_id": "sub_0001",
            "status": "terminated",
            "terminated_at": "2026-01-20T12:00:00Z",
            "started_at": "2026-01-01T00:00:00Z",
            "canceled_at": null
        }
    });
    let event = decode_webhook(body.to_string().as_bytes()).expect("a webhook");
    let EngineObject::Subscription(subscription) = &event.object else {
        panic!("a subscription: {event:?}");
    };
    assert_eq!(subscription.external_id, "sub_0001");
    assert!(subscription.terminated_at.is_some() && subscription.canceled_at.is_none());

    let wallet = br#"{"webhook_type":"wallet.depleted_ongoing_balance","object_type":"wallet","wallet":{"lago_id":"3c12","ongoing_balance_cents":0}}"#;
    let event = decode_webhook(wallet).expect("a webhook");
    assert_eq!(
        event.object,
        EngineObject::Other {
            object_id: Some("3c12".into())
        }
    );
}

#[test]
fn an_invoice_of_another_shape_is_unreadable_not_refused() {
    let mut body = invoice_body();
    body["invoice"]["total_amount_cents"] = json!("a lot");
    let event = decode_webhook(body.to_string().as_bytes()).expect("still a webhook");
    assert!(
        matches!(&event.object, EngineObject::Unreadable { object_id: Some(id), .. } if id.starts_with("2b01")),
        "{event:?}"
    );
}

#[test]
fn only_non_json_or_a_missing_webhook_type_is_refused() {
    let error = decode_webhook(b"{not json").expect_err("not JSON");
    assert_eq!(error.code, "invalid_json");
    let error = decode_webhook(br#"{"object_type":"invoice"}"#).expect_err("no type");
    assert_eq!(error.code, "invalid_webhook");
    let error = decode_webhook(b"[1,2]").expect_err("not an object");
    assert_eq!(error.code, "invalid_webhook");
}
