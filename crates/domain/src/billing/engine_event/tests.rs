use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::*;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("an RFC 3339 time")
        .with_timezone(&Utc)
}

fn now() -> DateTime<Utc> {
    at("2026-02-03T10:00:00Z")
}

fn fee(kind: &str, cents: i64) -> EngineFee {
    EngineFee {
        kind: EngineFeeKind::parse(kind),
        code: "input_tokens".into(),
        description: "Input tokens".into(),
        units: Some(Decimal::new(1_500_000, 0)),
        unit_amount: Some(Decimal::new(2, 6)),
        amount_cents: cents,
        pay_in_advance: false,
        from: Some(at("2026-01-01T00:00:00Z")),
        to: Some(at("2026-01-31T23:59:59Z")),
    }
}

fn invoice(status: &str, payment_status: &str) -> EngineInvoice {
    EngineInvoice {
        lago_id: Uuid::from_u128(0x2b01),
        number: Some("ACME-202601-001".into()),
        status: status.into(),
        payment_status: Some(payment_status.into()),
        currency: "USD".into(),
        taxes_amount_cents: 840,
        total_amount_cents: 5040,
        issuing_date: NaiveDate::from_ymd_opt(2026, 2, 1).expect("a date"),
        customer_external_id: "cust_0001".into(),
        subscription_external_ids: vec!["sub_0001".into()],
        billing_periods: vec![(at("2026-01-01T00:00:00Z"), at("2026-01-31T23:59:59Z"))],
        fees: vec![fee("subscription", 1200), fee("charge", 3000)],
    }
}

fn event(webhook_type: &str, object: EngineObject) -> EngineEvent {
    EngineEvent {
        webhook_type: webhook_type.into(),
        object,
    }
}

fn view_of(invoice: EngineInvoice) -> InvoiceView {
    match event("invoice.created", EngineObject::Invoice(invoice)).view_update(now()) {
        ViewUpdate::Invoice(view) => *view,
        other => panic!("expected an invoice view, got {other:?}"),
    }
}

#[test]
fn a_finalized_invoice_maps_to_exact_decimals_a_half_open_period_and_its_lines() {
    let view = view_of(invoice("finalized", "pending"));
    assert_eq!(view.status, InvoiceStatus::Finalized);
    assert_eq!(view.payment_status.as_deref(), Some("pending"));
    assert_eq!(view.number.as_deref(), Some("ACME-202601-001"));
    assert_eq!(view.total.amount().to_string(), "50.40");
    assert_eq!(view.tax.amount().to_string(), "8.40");
    assert_eq!(view.subtotal.amount().to_string(), "42.00");
    assert_eq!(view.issued_at, at("2026-02-01T00:00:00Z"));
    assert_eq!(view.period.start(), at("2026-01-01T00:00:00Z"));
    assert_eq!(view.period.end(), at("2026-02-01T00:00:00Z"));
    assert_eq!(view.subscription_external_id.as_deref(), Some("sub_0001"));
    let lines = view.lines.expect("every fee maps");
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (lines[0].position, lines[0].kind, lines[0].fee_timing),
        (1, "base_fee", Some("in_arrears"))
    );
    assert_eq!(lines[0].amount.amount().to_string(), "12.00");
    assert_eq!(
        (lines[1].position, lines[1].kind, lines[1].meter.as_deref()),
        (2, "usage", Some("input_tokens"))
    );
    assert_eq!(lines[1].period.end(), at("2026-02-01T00:00:00Z"));
}

#[test]
fn statuses_follow_lago_status_and_payment_status() {
    for (status, payment, expected) in [
        ("draft", "pending", InvoiceStatus::Draft),
        ("pending", "pending", InvoiceStatus::Draft),
        ("failed", "pending", InvoiceStatus::Draft),
        ("finalized", "pending", InvoiceStatus::Finalized),
        ("finalized", "failed", InvoiceStatus::Finalized),
        ("finalized", "succeeded", InvoiceStatus::Paid),
        ("voided", "succeeded", InvoiceStatus::Voided),
        ("voided", "pending", InvoiceStatus::Voided),
    ] {
        let view = view_of(invoice(status, payment));
        assert_eq!(view.status, expected, "{status}/{payment}");
        // A draft's number is Lago's placeholder, not an invoice number.
        assert_eq!(
            view.number.is_some(),
            expected != InvoiceStatus::Draft,
            "{status}"
        );
    }
}

#[test]
fn currencies_keep_their_own_minor_units() {
    let mut yen = invoice("finalized", "pending");
    yen.currency = "JPY".into();
    yen.total_amount_cents = 5000;
    yen.taxes_amount_cents = 0;
    let view = view_of(yen);
    assert_eq!(view.total.amount().to_string(), "5000");
    let mut dinar = invoice("finalized", "pending");
    dinar.currency = "KWD".into();
    assert_eq!(view_of(dinar).total.amount().to_string(), "5.040");
}

#[test]
fn an_invoice_the_view_cannot_hold_is_ignored_with_the_reason() {
    let mut unknown = invoice("finalized", "pending");
    unknown.currency = "XTS".into();
    let update = event("invoice.created", EngineObject::Invoice(unknown)).view_update(now());
    assert!(
        matches!(&update, ViewUpdate::Ignored(Ignored::Unmappable(reason)) if reason.contains("XTS")),
        "{update:?}"
    );
    let mut odd = invoice("weird", "pending");
    odd.status = "weird".into();
    let update = event("invoice.created", EngineObject::Invoice(odd)).view_update(now());
    assert!(matches!(
        update,
        ViewUpdate::Ignored(Ignored::Unmappable(_))
    ));
}

#[test]
fn a_deleted_draft_is_discarded() {
    let update = event(
        "invoice.deleted",
        EngineObject::Invoice(invoice("deleted", "pending")),
    )
    .view_update(now());
    assert_eq!(
        update,
        ViewUpdate::DiscardDraftInvoice {
            lago_id: Uuid::from_u128(0x2b01)
        }
    );
}

#[test]
fn without_billing_periods_the_fees_then_the_issuing_day_give_the_period() {
    let mut from_fees = invoice("finalized", "pending");
    from_fees.billing_periods.clear();
    from_fees.fees[0].from = Some(at("2025-12-15T00:00:00Z"));
    let view = view_of(from_fees);
    assert_eq!(view.period.start(), at("2025-12-15T00:00:00Z"));
    assert_eq!(view.period.end(), at("2026-02-01T00:00:00Z"));

    let mut one_off = invoice("finalized", "pending");
    one_off.billing_periods.clear();
    one_off.fees.clear();
    let view = view_of(one_off);
    assert_eq!(view.period.start(), at("2026-02-01T00:00:00Z"));
    assert_eq!(view.period.end(), at("2026-02-02T00:00:00Z"));
    assert_eq!(view.lines, Some(Vec::new()));
}

#[test]
fn a_fee_without_a_line_kind_leaves_the_invoice_without_lines() {
    let mut with_add_on = invoice("finalized", "pending");
    with_add_on.fees.push(fee("add_on", 500));
    assert_eq!(view_of(with_add_on).lines, None);
    let mut unreadable = invoice("finalized", "pending");
    unreadable.fees[1].units = None;
    assert_eq!(view_of(unreadable).lines, None);
    let mut negative = invoice("finalized", "pending");
    negative.fees[1].amount_cents = -1;
    assert_eq!(view_of(negative).lines, None);
}

#[test]
fn an_invoice_never_moves_backwards() {
    let finalized = view_of(invoice("finalized", "pending"));
    let paid = view_of(invoice("finalized", "succeeded"));
    let voided = view_of(invoice("voided", "pending"));
    assert!(paid.supersedes(InvoiceStatus::Finalized));
    assert!(finalized.supersedes(InvoiceStatus::Finalized));
    assert!(finalized.supersedes(InvoiceStatus::Draft));
    assert!(!finalized.supersedes(InvoiceStatus::Paid));
    assert!(!paid.supersedes(InvoiceStatus::Voided));
    assert!(voided.supersedes(InvoiceStatus::Paid));
}

#[test]
fn subscriptions_terminate_cancel_and_start_by_webhook_type() {
    let subscription = EngineSubscription {
        external_id: "sub_0001".into(),
        terminated_at: Some(at("2026-01-20T12:00:00Z")),
        canceled_at: None,
        started_at: Some(at("2026-01-01T00:00:00Z")),
    };
    let change = |kind: &str| {
        event(kind, EngineObject::Subscription(subscription.clone())).view_update(now())
    };
    assert_eq!(
        change("subscription.terminated"),
        ViewUpdate::Subscription(SubscriptionChange {
            external_id: "sub_0001".into(),
            to: SubscriptionViewStatus::Terminated,
            at: at("2026-01-20T12:00:00Z"),
        })
    );
    assert_eq!(
        change("subscription.started"),
        ViewUpdate::Subscription(SubscriptionChange {
            external_id: "sub_0001".into(),
            to: SubscriptionViewStatus::Active,
            at: at("2026-01-01T00:00:00Z"),
        })
    );
    // Canceled before it started: no termination time of its own, so the arrival time.
    let mut pending = subscription.clone();
    pending.terminated_at = None;
    let canceled =
        event("subscription.canceled", EngineObject::Subscription(pending)).view_update(now());
    assert!(
        matches!(&canceled, ViewUpdate::Subscription(c) if c.to == SubscriptionViewStatus::Terminated && c.at == now()),
        "{canceled:?}"
    );
    for other in ["subscription.updated", "subscription.termination_alert"] {
        assert_eq!(
            change(other),
            ViewUpdate::Ignored(Ignored::UnhandledType),
            "{other}"
        );
    }
}

#[test]
fn other_objects_keep_only_their_receipt() {
    let wallet = event(
        "wallet.depleted_ongoing_balance",
        EngineObject::Other {
            object_id: Some("3c12".into()),
        },
    );
    assert_eq!(
        wallet.view_update(now()),
        ViewUpdate::Ignored(Ignored::UnhandledType)
    );
    assert_eq!(wallet.object_id().as_deref(), Some("3c12"));
}
