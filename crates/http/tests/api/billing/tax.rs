//! Tax on embedded invoices: a customer's own rate, else the installation's default
//! (`billing.default_tax_rate_percent`), applied by the period close once on each invoice's
//! subtotal, half-even; bad rates refused with nothing written.

use std::sync::Arc;

use reqwest::Method;
use serde_json::{Value, json};
use tollgate_adapters::postgres::PgPeriodCloseStore;
use tollgate_application::{
    ports::SystemClock,
    services::billing::period_close::{CloseReport, PeriodCloseService},
};
use tollgate_domain::billing::TaxRate;
use tollgate_http::Settings;

use super::{
    WRITE_KEY, api_key,
    period_close::support::{at, close, invoices, plan_version, spawn, subscription, usage},
};
use crate::{
    helpers::TestApp,
    identity::support::{call, expect_error, expect_status, pool, send},
};

const CUSTOMERS: &str = "/api/billing/customers";

/// A USD customer with `tax_rate` (`None`: the field left out) created over the API; its
/// answer.
async fn customer(app: &TestApp, external_id: &str, tax_rate: Option<&str>) -> Value {
    let mut body = json!({
        "external_id": external_id,
        "name": format!("Customer {external_id}"),
        "billing_email": "billing@acme.example",
        "currency": "USD",
    });
    if let Some(rate) = tax_rate {
        body["tax_rate"] = json!(rate);
    }
    let request = call(app, Method::POST, CUSTOMERS, WRITE_KEY).json(&body);
    expect_status(send(request).await, 201).await.1
}

fn id(customer: &Value) -> uuid::Uuid {
    uuid::Uuid::parse_str(customer["id"].as_str().expect("an id")).expect("a UUID")
}

/// A monthly plan: `fee` in arrears plus 0.01 per request.
fn plan(fee: &str) -> Value {
    json!({
        "base_fee": {"amount": fee, "timing": "in_arrears"},
        "trial_days": 0,
        "minimum_commitment": null,
        "charges": [{"meter": "requests", "free_units": "0", "minimum": null,
                     "model": {"type": "per_unit", "unit_price": "0.01"}}]
    })
}

/// `customer` subscribed from January 1st to `plan_id`, with `requests` in January and in
/// February.
async fn subscribed(app: &TestApp, customer: &Value, plan_id: uuid::Uuid, requests: &str) {
    let external = customer["external_id"].as_str().expect("an external id");
    let phases = [("2026-01-01T00:00:00Z", None, plan_id, 1, "created")];
    let start = "2026-01-01T00:00:00Z";
    subscription(
        app,
        id(customer),
        &format!("sub_{external}"),
        start,
        &phases,
        None,
    )
    .await;
    for time in ["2026-01-15T10:00:00Z", "2026-02-15T10:00:00Z"] {
        usage(app, external, time, &[("requests", requests)]).await;
    }
}

/// Each invoice of `customer` as (tax rate, subtotal, tax, total), oldest first.
async fn taxes(app: &TestApp, customer: &Value) -> Vec<[String; 4]> {
    let customer = customer["external_id"].as_str().expect("an external id");
    invoices(app, "")
        .await
        .iter()
        .filter(|invoice| invoice["customer"] == customer)
        .map(|invoice| {
            ["tax_rate", "subtotal", "tax", "total"].map(|field| {
                invoice[field]
                    .as_str()
                    .expect("a decimal string")
                    .to_owned()
            })
        })
        .collect()
}

fn row(values: [&str; 4]) -> [String; 4] {
    values.map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customers_rate_taxes_its_invoice_once_on_the_subtotal_half_even() {
    let app = spawn().await;
    let vat = customer(&app, "cust_vat", Some("20")).await;
    assert_eq!(vat["tax_rate"], "20");
    let tie = customer(&app, "cust_tie", Some("12.50")).await;
    assert_eq!(
        tie["tax_rate"], "12.5",
        "kept exact, without trailing zeros"
    );
    let untaxed = customer(&app, "cust_none", None).await;
    assert_eq!(untaxed["tax_rate"], Value::Null);
    let path = format!("{CUSTOMERS}/{}", id(&vat));
    let (_, shown) =
        expect_status(send(call(&app, Method::GET, &path, WRITE_KEY)).await, 200).await;
    assert_eq!(shown["tax_rate"], "20", "read back from the database");

    let big = plan_version(&app, "big", "USD", &plan("31.00")).await;
    let small = plan_version(&app, "small", "USD", &plan("4.00")).await;
    subscribed(&app, &vat, big, "113").await;
    subscribed(&app, &tie, small, "100").await;
    subscribed(&app, &untaxed, big, "113").await;
    let report = close(&app, "2026-02-01T02:00:00Z", true).await;
    assert_eq!(report.invoices, 3, "{report:?}");

    // 31.00 + 113 x 0.01 = 32.13; 20 % of it is 6.426 -> 6.43.
    assert_eq!(
        taxes(&app, &vat).await,
        vec![row(["20", "32.13", "6.43", "38.56"])]
    );
    // 4.00 + 1.00 = 5.00; 12.5 % of it is 0.625, a tie: half-even gives 0.62 (not 0.63).
    assert_eq!(
        taxes(&app, &tie).await,
        vec![row(["12.5", "5.00", "0.62", "5.62"])]
    );
    // No rate of its own and the installation's default (0): no tax.
    assert_eq!(
        taxes(&app, &untaxed).await,
        vec![row(["0", "32.13", "0.00", "32.13"])]
    );
    // What the database holds agrees: the total is the subtotal plus the tax (its CHECK), at
    // the invoice's own rate.
    let stored = app
        .texts(
            "SELECT tax_rate::text || ' ' || tax::text AS value FROM billing_invoices
             ORDER BY tax_rate",
        )
        .await;
    let stored: Vec<String> = stored.into_iter().flatten().collect();
    assert_eq!(stored, vec!["0 0.00", "12.5 0.62", "20 6.43"]);
}

/// The settings of an app whose close never runs by itself, with `default` as the default
/// tax rate.
fn configure(default: &'static str) -> impl Fn(&mut Settings) {
    move |settings| {
        settings.billing.close_every_secs = 0;
        settings.billing.default_tax_rate_percent = TaxRate::parse(default).expect("a rate");
    }
}

/// The close as the app would run it, from the same settings.
async fn close_as_configured(app: &TestApp, default: &'static str, time: &str) -> CloseReport {
    let mut settings = Settings::load().expect("the embedded defaults load");
    configure(default)(&mut settings);
    PeriodCloseService::new(
        Arc::new(PgPeriodCloseStore::new(pool(app))),
        Arc::new(SystemClock),
        settings.billing.period_close(),
    )
    .close_due(Some(at(time)))
    .await
    .expect("the close runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_without_a_rate_get_the_configured_default_and_a_change_applies_to_later_invoices()
 {
    let app = TestApp::spawn_with(configure("8.875")).await;
    api_key(&app, "default", WRITE_KEY, "billing:read,billing:write").await;
    let defaulted = customer(&app, "cust_default", None).await;
    let exempt = customer(&app, "cust_exempt", Some("0")).await;
    let changing = customer(&app, "cust_changing", Some("20")).await;
    let plan_id = plan_version(&app, "big", "USD", &plan("31.00")).await;
    for customer in [&defaulted, &exempt, &changing] {
        subscribed(&app, customer, plan_id, "113").await;
    }
    let january = close_as_configured(&app, "8.875", "2026-02-01T02:00:00Z").await;
    assert_eq!(january.invoices, 3, "{january:?}");

    // Back to the default: `null` removes the customer's own rate.
    let path = format!("{CUSTOMERS}/{}", id(&changing));
    let change = call(&app, Method::PATCH, &path, WRITE_KEY).json(&json!({"tax_rate": null}));
    let (_, changed) = expect_status(send(change).await, 200).await;
    assert_eq!(changed["tax_rate"], Value::Null);
    let february = close_as_configured(&app, "8.875", "2026-03-01T02:00:00Z").await;
    assert_eq!(february.invoices, 3, "{february:?}");

    // 8.875 % of 32.13 is 2.8515375 -> 2.85.
    let default_row = row(["8.875", "32.13", "2.85", "34.98"]);
    assert_eq!(
        taxes(&app, &defaulted).await,
        vec![default_row.clone(), default_row.clone()]
    );
    // A rate of 0 is the customer's own (exempt), not "use the default".
    let exempt_row = row(["0", "32.13", "0.00", "32.13"]);
    assert_eq!(
        taxes(&app, &exempt).await,
        vec![exempt_row.clone(), exempt_row]
    );
    // January keeps the rate it was issued at; February gets the default.
    assert_eq!(
        taxes(&app, &changing).await,
        vec![row(["20", "32.13", "6.43", "38.56"]), default_row]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rates_are_refused_with_a_code_and_nothing_is_written() {
    let app = spawn().await;
    let create = |body: Value| send(call(&app, Method::POST, CUSTOMERS, WRITE_KEY).json(&body));
    for (rate, code) in [
        ("-1", "negative_value"),
        ("101", "out_of_range"),
        ("100.001", "out_of_range"),
        ("abc", "not_a_number"),
        ("20%", "not_a_number"),
    ] {
        let body = json!({
            "external_id": "cust_bad",
            "name": "Bad Rate",
            "billing_email": "billing@acme.example",
            "currency": "USD",
            "tax_rate": rate,
        });
        expect_error(create(body).await, 422, code).await;
    }
    assert_eq!(app.count("billing_customers").await, 0);
    assert_eq!(
        app.count_where("audit_log", "action LIKE 'customer.%'")
            .await,
        0
    );

    // A change to a bad rate leaves the stored one as it was, with no audit record.
    let kept = customer(&app, "cust_kept", Some("20")).await;
    let path = format!("{CUSTOMERS}/{}", id(&kept));
    for (rate, code) in [
        ("-1", "negative_value"),
        ("101", "out_of_range"),
        ("abc", "not_a_number"),
    ] {
        let change = call(&app, Method::PATCH, &path, WRITE_KEY).json(&json!({"tax_rate": rate}));
        expect_error(send(change).await, 422, code).await;
    }
    let stored = app
        .scalar_text("SELECT tax_rate::text AS value FROM billing_customers")
        .await;
    assert_eq!(stored.as_deref(), Some("20"));
    assert_eq!(
        app.count_where("audit_log", "action = 'customer.update'")
            .await,
        0
    );
    // The database refuses an out-of-range rate too, whoever writes it.
    let direct =
        crate::identity::support::execute(&app, "UPDATE billing_customers SET tax_rate = 100.5")
            .await;
    assert!(direct.is_err(), "the CHECK constraint holds");
}
