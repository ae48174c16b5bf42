//! The form bodies (and GET queries) of the calls, as `serde_qs` writes them: `a[b]=…` for
//! nested objects, `a[0]=…` for arrays, `true`/`false`, amounts in minor units, currencies in
//! lower case. Only the keys each call's row in the module table names are sent; an unset
//! option is left out rather than sent empty (Stripe reads `key=` as "clear it").

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use tollgate_application::ports::{
    CancelReason, ChargeRequest, CustomerRequest, PaymentError, PaymentLinkRequest, RefundReason,
    RefundRequest, SetupLinkRequest,
};
use tollgate_domain::{billing::CurrencyCode, money::minor_units::to_minor_units};

/// A call without parameters.
#[derive(Serialize)]
pub(super) struct Empty {}

type Metadata = BTreeMap<String, String>;

#[derive(Serialize)]
pub(super) struct Customer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    preferred_locales: Vec<&'a str>,
    metadata: Metadata,
}

pub(super) fn customer(request: &CustomerRequest) -> Customer<'_> {
    Customer {
        email: request.email.as_deref(),
        name: request.name.as_deref(),
        preferred_locales: request.preferred_locale.as_deref().into_iter().collect(),
        metadata: BTreeMap::from([(
            "tollgate_customer_id".to_owned(),
            request.tollgate_customer_id.clone(),
        )]),
    }
}

#[derive(Serialize)]
pub(super) struct DefaultMethod<'a> {
    invoice_settings: InvoiceSettings<'a>,
}

#[derive(Serialize)]
struct InvoiceSettings<'a> {
    default_payment_method: &'a str,
}

pub(super) fn default_payment_method(payment_method: &str) -> DefaultMethod<'_> {
    DefaultMethod {
        invoice_settings: InvoiceSettings {
            default_payment_method: payment_method,
        },
    }
}

#[derive(Serialize)]
pub(super) struct Session<'a> {
    mode: &'static str,
    customer: &'a str,
    success_url: &'a str,
    cancel_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_reference_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    line_items: Vec<LineItem<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_intent_data: Option<IntentData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    setup_intent_data: Option<SetupData>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    metadata: Metadata,
}

#[derive(Serialize)]
struct LineItem<'a> {
    price_data: PriceData<'a>,
    quantity: u32,
}

#[derive(Serialize)]
struct PriceData<'a> {
    currency: String,
    unit_amount: i64,
    product_data: ProductData<'a>,
}

#[derive(Serialize)]
struct ProductData<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct IntentData {
    #[serde(skip_serializing_if = "Option::is_none")]
    setup_future_usage: Option<&'static str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    metadata: Metadata,
}

#[derive(Serialize)]
struct SetupData {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    metadata: Metadata,
}

pub(super) fn setup_session(request: &SetupLinkRequest) -> Session<'_> {
    Session {
        mode: "setup",
        customer: &request.customer,
        success_url: &request.success_url,
        cancel_url: &request.cancel_url,
        currency: Some(lower(request.currency)),
        client_reference_id: None,
        expires_at: request.expires_at.map(|at| at.timestamp()),
        line_items: Vec::new(),
        payment_intent_data: None,
        setup_intent_data: Some(SetupData {
            metadata: request.metadata.clone(),
        }),
        metadata: request.metadata.clone(),
    }
}

/// # Errors
/// `NotRepresentable` for an amount Stripe cannot carry exactly.
pub(super) fn payment_session(request: &PaymentLinkRequest) -> Result<Session<'_>, PaymentError> {
    let mut metadata = request.metadata.clone();
    metadata.insert(
        "tollgate_invoice_id".to_owned(),
        request.tollgate_invoice_id.clone(),
    );
    Ok(Session {
        mode: "payment",
        customer: &request.customer,
        success_url: &request.success_url,
        cancel_url: &request.cancel_url,
        currency: None,
        client_reference_id: Some(&request.tollgate_invoice_id),
        expires_at: Some(request.expires_at.timestamp()),
        line_items: vec![LineItem {
            price_data: PriceData {
                currency: lower(request.currency),
                unit_amount: minor(request.amount, request.currency)?,
                product_data: ProductData {
                    name: &request.description,
                },
            },
            quantity: 1,
        }],
        payment_intent_data: Some(IntentData {
            setup_future_usage: request.save_card.then_some("off_session"),
            metadata: metadata.clone(),
        }),
        setup_intent_data: None,
        metadata,
    })
}

#[derive(Serialize)]
pub(super) struct Intent<'a> {
    amount: i64,
    currency: String,
    customer: &'a str,
    payment_method: &'a str,
    off_session: bool,
    confirm: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    statement_descriptor_suffix: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    metadata: &'a Metadata,
}

/// # Errors
/// `NotRepresentable` for an amount Stripe cannot carry exactly.
pub(super) fn off_session_charge(request: &ChargeRequest) -> Result<Intent<'_>, PaymentError> {
    Ok(Intent {
        amount: minor(request.amount, request.currency)?,
        currency: lower(request.currency),
        customer: &request.customer,
        payment_method: &request.payment_method,
        off_session: true,
        confirm: true,
        description: request.description.as_deref(),
        statement_descriptor_suffix: request.statement_descriptor_suffix.as_deref(),
        metadata: &request.metadata,
    })
}

#[derive(Serialize)]
pub(super) struct Cancel {
    cancellation_reason: &'static str,
}

pub(super) fn cancel(reason: CancelReason) -> Cancel {
    Cancel {
        cancellation_reason: match reason {
            CancelReason::Abandoned => "abandoned",
            CancelReason::Duplicate => "duplicate",
            CancelReason::Fraudulent => "fraudulent",
            CancelReason::RequestedByCustomer => "requested_by_customer",
        },
    }
}

#[derive(Serialize)]
pub(super) struct Refund<'a> {
    payment_intent: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    metadata: &'a Metadata,
}

/// # Errors
/// `NotRepresentable` for an amount Stripe cannot carry exactly.
pub(super) fn refund(request: &RefundRequest) -> Result<Refund<'_>, PaymentError> {
    let amount = match request.amount {
        Some(amount) => Some(minor(amount, request.currency)?),
        None => None,
    };
    Ok(Refund {
        payment_intent: &request.payment_intent,
        amount,
        reason: request.reason.map(|reason| match reason {
            RefundReason::Duplicate => "duplicate",
            RefundReason::Fraudulent => "fraudulent",
            RefundReason::RequestedByCustomer => "requested_by_customer",
        }),
        metadata: &request.metadata,
    })
}

#[derive(Serialize)]
pub(super) struct MethodQuery {
    #[serde(rename = "type")]
    kind: &'static str,
    limit: u32,
}

/// Cards only, as many as one page holds: a customer has a handful.
pub(super) fn payment_methods() -> MethodQuery {
    MethodQuery {
        kind: "card",
        limit: 100,
    }
}

#[derive(Serialize)]
pub(super) struct EventQuery {
    created: Created,
    limit: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    starting_after: Option<String>,
}

#[derive(Serialize)]
struct Created {
    gte: i64,
}

pub(super) fn events(since: DateTime<Utc>, after: Option<String>) -> EventQuery {
    EventQuery {
        created: Created {
            gte: since.timestamp(),
        },
        limit: 100,
        starting_after: after,
    }
}

#[derive(Serialize)]
pub(super) struct WebhookEndpoint<'a> {
    url: &'a str,
    enabled_events: &'a [&'a str],
    api_version: &'a str,
    description: &'static str,
}

/// The description tells an operator on Stripe's dashboard whose endpoint this is.
pub(super) fn webhook_endpoint<'a>(
    url: &'a str,
    events: &'a [&'a str],
    api_version: &'a str,
) -> WebhookEndpoint<'a> {
    WebhookEndpoint {
        url,
        enabled_events: events,
        api_version,
        description: "Tollgate: payments, cards and refunds for Tollgate's invoices",
    }
}

fn lower(currency: CurrencyCode) -> String {
    currency.as_str().to_ascii_lowercase()
}

fn minor(amount: Decimal, currency: CurrencyCode) -> Result<i64, PaymentError> {
    to_minor_units(amount, currency).map_err(PaymentError::NotRepresentable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_keys_are_bracketed_and_arrays_indexed() {
        let form = serde_qs::to_string(&Session {
            mode: "payment",
            customer: "cus_1",
            success_url: "https://t.example/ok?s={CHECKOUT_SESSION_ID}",
            cancel_url: "https://t.example/no",
            currency: None,
            client_reference_id: Some("inv_1"),
            expires_at: Some(1_800_000_000),
            line_items: vec![LineItem {
                price_data: PriceData {
                    currency: "usd".to_owned(),
                    unit_amount: 12950,
                    product_data: ProductData { name: "Invoice 7" },
                },
                quantity: 1,
            }],
            payment_intent_data: None,
            setup_intent_data: None,
            metadata: BTreeMap::from([("tollgate_invoice_id".to_owned(), "inv_1".to_owned())]),
        })
        .unwrap();
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(form.as_bytes())
            .into_owned()
            .collect();
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("line_items[0][price_data][unit_amount]"), Some("12950"));
        assert_eq!(
            get("line_items[0][price_data][product_data][name]"),
            Some("Invoice 7")
        );
        assert_eq!(get("line_items[0][quantity]"), Some("1"));
        assert_eq!(get("metadata[tollgate_invoice_id]"), Some("inv_1"));
        assert_eq!(
            get("success_url"),
            Some("https://t.example/ok?s={CHECKOUT_SESSION_ID}")
        );
        assert_eq!(get("currency"), None, "unset options are left out");
    }
}
