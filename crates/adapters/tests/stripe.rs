//! The Stripe adapter against a local stand-in of Stripe's API (`support/stripe_stand_in.rs`),
//! which refuses any parameter, header or idempotency key Stripe would refuse: each test checks
//! the request as Stripe documents it and what the port makes of the answer.

#[path = "support/stripe_stand_in.rs"]
mod stripe_stand_in;

// By subject: each port call (`calls`), amounts in minor units (`amounts`), what failures
// become and which are retried (`failures`), the stand-in's own refusals (`stand_in`), and the
// webhook endpoint with the events delivered to it (`webhooks`).
#[path = "stripe/amounts.rs"]
mod amounts;
#[path = "stripe/calls.rs"]
mod calls;
#[path = "stripe/failures.rs"]
mod failures;
#[path = "stripe/stand_in.rs"]
mod stand_in;
#[path = "stripe/webhooks.rs"]
mod webhooks;

use std::{collections::BTreeMap, time::Duration};

use chrono::Utc;
use rust_decimal::Decimal;
use tollgate_adapters::stripe::{StripeConfig, StripeGateway};
use tollgate_application::ports::{ChargeRequest, CustomerRequest, IdempotencyKey};
use tollgate_domain::billing::CurrencyCode;

use stripe_stand_in::{SECRET_KEY, StripeStandIn};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Pointed at `stand_in`, with pauses short enough for tests and no pacing.
fn config(stand_in: &StripeStandIn) -> StripeConfig {
    let mut config = StripeConfig::new(
        url::Url::parse(&stand_in.uri()).expect("the stand-in's URL"),
        SECRET_KEY.to_owned().into(),
    );
    config.first_backoff = Duration::from_millis(5);
    config.max_backoff = Duration::from_millis(50);
    config.timeout = Duration::from_secs(5);
    config.requests_per_second = 0;
    config
}

fn gateway(stand_in: &StripeStandIn) -> StripeGateway {
    StripeGateway::new(config(stand_in)).expect("a gateway")
}

fn key(text: &str) -> IdempotencyKey {
    let (kind, rest) = text.split_once(':').expect("kind:ids");
    IdempotencyKey::new(kind, &[rest]).expect("a key")
}

fn currency(code: &str) -> CurrencyCode {
    CurrencyCode::parse(code).expect("a currency")
}

fn customer_request(id: &str) -> CustomerRequest {
    CustomerRequest {
        tollgate_customer_id: id.to_owned(),
        email: Some("ann@example.com".to_owned()),
        name: Some("Ann Example".to_owned()),
        preferred_locale: Some("fr-FR".to_owned()),
        key: IdempotencyKey::customer(id).expect("a key"),
    }
}

/// A charge of `amount` `code` with `card` for `customer`, attempt 1 of invoice `inv_1`.
fn charge(customer: &str, card: &str, amount: &str, code: &str) -> ChargeRequest {
    ChargeRequest {
        customer: customer.to_owned(),
        payment_method: card.to_owned(),
        amount: amount.parse::<Decimal>().expect("an amount"),
        currency: currency(code),
        description: Some("Invoice 2026-0042".to_owned()),
        statement_descriptor_suffix: Some("2026-0042".to_owned()),
        metadata: BTreeMap::from([("tollgate_invoice_id".to_owned(), "inv_1".to_owned())]),
        key: IdempotencyKey::charge("inv_1", 1).expect("a key"),
    }
}

fn in_an_hour() -> chrono::DateTime<Utc> {
    Utc::now() + chrono::Duration::hours(1)
}
