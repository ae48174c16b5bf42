use serde_json::json;
use tollgate_domain::billing::Settlement;

use super::*;

/// An `InvoiceObjectExtended` as Lago answers it: a base fee in advance, two usage fees, a
/// charge true-up and a commitment true-up, 20 % tax.
fn lago_invoice(status: &str, payment_status: &str) -> Value {
    json!({
        "lago_id": "1a901a90-1a90-1a90-1a90-1a901a901a90",
        "billing_entity_code": "acme",
        "sequential_id": 2,
        "number": "ACME-1234-001-002",
        "issuing_date": "2025-02-01",
        "invoice_type": "subscription",
        "status": status,
        "payment_status": payment_status,
        "currency": "USD",
        "fees_amount_cents": 7134,
        "coupons_amount_cents": 0,
        "credit_notes_amount_cents": 0,
        "sub_total_excluding_taxes_amount_cents": 7134,
        "taxes_amount_cents": 1427,
        "sub_total_including_taxes_amount_cents": 8561,
        "prepaid_credit_amount_cents": 0,
        "progressive_billing_credit_amount_cents": 0,
        "total_amount_cents": 8561,
        "version_number": 4,
        "created_at": "2025-02-01T00:00:05Z",
        "updated_at": "2025-02-03T10:00:00Z",
        "customer": {"external_id": "cust_42", "lago_id": "2b901a90-1a90-1a90-1a90-1a901a901a90"},
        "subscriptions": [{"external_id": "sub_42"}],
        "billing_periods": [{
            "subscription_from_datetime": "2025-01-01T00:00:00Z",
            "subscription_to_datetime": "2025-01-31T23:59:59Z",
            "charges_from_datetime": "2025-01-01T00:00:00Z",
            "charges_to_datetime": "2025-01-31T23:59:59Z",
        }],
        "fees": [
            fee("subscription", "pro", 4990, "1.0", "49.9", true, None),
            fee("charge", "input_tokens", 1234, "1234000", "0.00001", false, None),
            fee("charge", "requests", 10, "5", "0.02", false, None),
            fee("charge", "requests", 390, "1", "3.9", false, Some("3c901a90-1a90-1a90-1a90-1a901a901a90")),
            fee("commitment", "minimum_commitment", 510, "1", "5.1", false, None),
        ],
    })
}

fn fee(
    kind: &str,
    code: &str,
    cents: i64,
    units: &str,
    unit: &str,
    advance: bool,
    true_up_parent: Option<&str>,
) -> Value {
    json!({
        "item": {"type": kind, "code": code, "name": code, "lago_item_id": "x", "item_type": "x"},
        "amount_cents": cents,
        "amount_currency": "USD",
        "units": units,
        "precise_unit_amount": unit,
        "pay_in_advance": advance,
        "from_date": "2025-01-01T00:00:00Z",
        "to_date": "2025-01-31T23:59:59Z",
        "external_subscription_id": "sub_42",
        "lago_true_up_parent_fee_id": true_up_parent,
    })
}

fn record(value: Value) -> Result<InvoiceRecord, PortError> {
    let lago: LagoInvoice = serde_json::from_value(value).unwrap();
    to_record(OrganizationId::new(), &lago)
}

#[test]
fn fees_become_lines_with_exact_amounts_and_the_tax_matches_to_the_cent() {
    let record = record(lago_invoice("finalized", "pending")).unwrap();
    let invoice = &record.invoice;
    let kinds: Vec<String> = invoice
        .lines()
        .iter()
        .map(|l| format!("{:?}", l.kind()))
        .collect();
    assert!(
        kinds[0].starts_with("BaseFee { timing: Advance"),
        "{kinds:?}"
    );
    assert_eq!(
        &kinds[1..],
        [
            "Usage { meter: InputTokens }",
            "Usage { meter: Requests }",
            "ChargeMinimum { meter: Requests }",
            "MinimumCommitment",
        ]
    );
    let amounts: Vec<String> = invoice
        .lines()
        .iter()
        .map(|l| l.amount().to_string())
        .collect();
    assert_eq!(
        amounts,
        ["49.90 USD", "12.34 USD", "0.10 USD", "3.90 USD", "5.10 USD"]
    );
    assert_eq!(invoice.lines()[1].quantity(), Decimal::from(1_234_000));
    assert_eq!(invoice.subtotal().to_string(), "71.34 USD");
    assert_eq!(invoice.tax().to_string(), "14.27 USD");
    assert_eq!(invoice.total().to_string(), "85.61 USD");
    assert_eq!(
        invoice.status(),
        tollgate_domain::billing::InvoiceStatus::Finalized
    );
    assert_eq!(
        invoice.number().unwrap().to_string(),
        "ACME-1234-001-000002"
    );
    assert_eq!(invoice.customer().as_str(), "cust_42");
    assert_eq!(record.subscription.as_deref(), Some("sub_42"));
    assert_eq!(
        record.period.start().to_rfc3339(),
        "2025-01-01T00:00:00+00:00"
    );
    assert_eq!(
        record.period.end().to_rfc3339(),
        "2025-02-01T00:00:00+00:00"
    );
    assert_eq!(record.issued_at.to_rfc3339(), "2025-02-01T00:00:00+00:00");
    assert_eq!(
        record.source,
        InvoiceSource::Lago {
            lago_id: record.id,
            payment_status: Some("pending".into())
        }
    );
    assert!(record.credit_note.is_none());
}

#[test]
fn payment_and_voiding_replay_on_the_domain_invoice() {
    let draft = record(lago_invoice("draft", "pending")).unwrap();
    assert!(draft.invoice.number().is_none());
    let paid = record(lago_invoice("finalized", "succeeded")).unwrap();
    assert_eq!(
        paid.invoice.status(),
        tollgate_domain::billing::InvoiceStatus::Paid
    );
    assert_eq!(
        paid.invoice.paid_at().unwrap().to_rfc3339(),
        "2025-02-03T10:00:00+00:00"
    );
    let voided = record(lago_invoice("voided", "succeeded")).unwrap();
    let note = voided.credit_note.unwrap();
    assert_eq!(note.settlement(), Settlement::RefundDue);
    assert_eq!(note.total().to_string(), "85.61 USD");
    let cancelled = record(lago_invoice("voided", "pending")).unwrap();
    assert_eq!(
        cancelled.credit_note.unwrap().settlement(),
        Settlement::CancelsBalance
    );
}

#[test]
fn what_the_domain_invoice_cannot_show_is_refused_not_shown_wrong() {
    let reason = |value: Value| match record(value) {
        Err(PortError::InvalidAnswer {
            service: "lago",
            reason,
        }) => reason,
        other => panic!("{other:?}"),
    };
    let mut coupon = lago_invoice("finalized", "pending");
    coupon["coupons_amount_cents"] = json!(100);
    assert!(reason(coupon).contains("100 minor units of coupons"));
    let mut disagreeing = lago_invoice("finalized", "pending");
    disagreeing["total_amount_cents"] = json!(8562);
    assert!(reason(disagreeing).contains("total (8562) disagree"));
    let mut add_on = lago_invoice("finalized", "pending");
    add_on["fees"][0]["item"]["type"] = json!("add_on");
    assert!(reason(add_on).contains("fee of type `add_on`"));
    let mut unknown_metric = lago_invoice("finalized", "pending");
    unknown_metric["fees"][1]["item"]["code"] = json!("storage_gb");
    assert!(reason(unknown_metric).contains("`storage_gb`, which is no Tollgate meter"));
    let mut one_off = lago_invoice("finalized", "pending");
    one_off["invoice_type"] = json!("one_off");
    let lago: LagoInvoice = serde_json::from_value(one_off).unwrap();
    assert!(!is_tollgates(&lago));
}

#[test]
fn numbers_and_units_are_read_as_lago_writes_them() {
    assert_eq!(
        number("LAG-1234-202401-017").unwrap().to_string(),
        "LAG-1234-202401-000017"
    );
    assert!(number("LAG1234").is_err());
    assert_eq!(decimal_of(&json!("0.32")), Some(Decimal::new(32, 2)));
    assert_eq!(decimal_of(&json!(12)), Some(Decimal::from(12)));
    assert_eq!(decimal_of(&json!(null)), None);
}
