//! Billing fixtures written straight into the tables (plans, versions, subscriptions, phases,
//! usage rollups), and the period close run in-process at a chosen time.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use tollgate_adapters::postgres::PgPeriodCloseStore;
use tollgate_application::{
    ports::SystemClock,
    services::billing::period_close::{CloseReport, PeriodCloseService, PeriodCloseSettings},
};
use uuid::Uuid;

use super::super::{WRITE_KEY, api_key};
use crate::{
    helpers::TestApp,
    identity::support::{batch, call, expect_status, org_id, pool, send},
};

/// An app whose period close never runs by itself (the tests run it at chosen times), with a
/// billing API key.
pub async fn spawn() -> TestApp {
    // Neither the scheduled close nor the server's own dispatchers may move anything: the
    // tests decide when usage is delivered and when periods close.
    let app = TestApp::spawn_with(|settings| {
        settings.billing.close_every_secs = 0;
        settings.delivery.run_in_server = false;
    })
    .await;
    api_key(&app, "default", WRITE_KEY, "billing:read,billing:write").await;
    app
}

pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("an RFC 3339 time")
        .with_timezone(&Utc)
}

/// A customer paying in `currency`, created over the API; its id.
pub async fn customer(app: &TestApp, external_id: &str, currency: &str) -> Uuid {
    let body = json!({
        "external_id": external_id,
        "name": format!("Customer {external_id}"),
        "billing_email": "billing@acme.example",
        "currency": currency,
    });
    let request = call(
        app,
        reqwest::Method::POST,
        "/api/billing/customers",
        WRITE_KEY,
    );
    let (_, created) = expect_status(send(request.json(&body)).await, 201).await;
    Uuid::parse_str(created["id"].as_str().expect("an id")).expect("a UUID")
}

/// A new version of plan `code` (created at version 1 when missing) with `definition`; the
/// plan's id.
pub async fn plan_version(app: &TestApp, code: &str, currency: &str, definition: &Value) -> Uuid {
    let org = org_id(app, "default").await;
    let definition = definition.to_string().replace('\'', "''");
    batch(
        app,
        &format!(
            "INSERT INTO billing_plans (id, organization_id, code, current_version)
             VALUES (gen_random_uuid(), '{org}', '{code}', 1)
             ON CONFLICT (organization_id, code)
             DO UPDATE SET current_version = billing_plans.current_version + 1;
             INSERT INTO billing_plan_versions (plan_id, version, organization_id, name, interval,
                currency, definition)
             SELECT id, current_version, organization_id, '{code}', 'monthly', '{currency}',
                    '{definition}'::jsonb
             FROM billing_plans WHERE organization_id = '{org}' AND code = '{code}';"
        ),
    )
    .await
    .expect("the plan version is stored");
    let id = app
        .scalar_text(&format!(
            "SELECT id::text AS value FROM billing_plans WHERE code = '{code}'"
        ))
        .await
        .expect("the plan exists");
    Uuid::parse_str(&id).expect("a UUID")
}

/// One phase: from, until (`None`: open), plan, version, reason.
pub type Phase<'a> = (&'a str, Option<&'a str>, Uuid, i32, &'a str);

/// A subscription of `customer` anchored at its start, with `phases`; its id. `terminated`
/// ends it.
pub async fn subscription(
    app: &TestApp,
    customer: Uuid,
    external_id: &str,
    started: &str,
    phases: &[Phase<'_>],
    terminated: Option<&str>,
) -> Uuid {
    let ids = (customer, external_id);
    anchored_subscription(app, ids, started, started, phases, terminated).await
}

/// Like [`subscription`], billed in periods counted from `anchor` (`ids`: the customer and
/// the subscription's external id).
pub async fn anchored_subscription(
    app: &TestApp,
    (customer, external_id): (Uuid, &str),
    anchor: &str,
    started: &str,
    phases: &[Phase<'_>],
    terminated: Option<&str>,
) -> Uuid {
    let org = org_id(app, "default").await;
    let id = Uuid::now_v7();
    let (status, terminated) = match terminated {
        Some(t) => ("terminated", format!("'{t}'")),
        None => ("active", "NULL".to_owned()),
    };
    let mut sql = format!(
        "INSERT INTO billing_subscriptions (id, organization_id, customer_id, external_id, status,
            billing_anchor, started_at, terminated_at, invoiced_through)
         VALUES ('{id}', '{org}', '{customer}', '{external_id}', '{status}', '{anchor}',
                 '{started}', {terminated}, '{started}');"
    );
    for (from, until, plan, version, reason) in phases {
        let until = until.map_or("NULL".to_owned(), |u| format!("'{u}'"));
        sql.push_str(&format!(
            "INSERT INTO billing_subscription_phases (subscription_id, organization_id,
                starts_at, ends_at, plan_id, plan_version, reason)
             VALUES ('{id}', '{org}', '{from}', {until}, '{plan}', {version}, '{reason}');"
        ));
    }
    batch(app, &sql).await.expect("the subscription is stored");
    id
}

/// Usage of `customer` at `time` by successful calls, added to its minute, hour and day
/// rollups as the embedded dispatcher would: `meters` as (column, quantity).
pub async fn usage(app: &TestApp, customer: &str, time: &str, meters: &[(&str, &str)]) {
    usage_with_status(app, customer, time, "success", meters).await;
}

/// As [`usage`], by calls of `status` (`success` or `failure`).
pub async fn usage_with_status(
    app: &TestApp,
    customer: &str,
    time: &str,
    status: &str,
    meters: &[(&str, &str)],
) {
    let org = org_id(app, "default").await;
    let value = |name: &str| {
        meters
            .iter()
            .find(|(meter, _)| *meter == name)
            .map_or("0", |(_, quantity)| quantity)
            .to_owned()
    };
    let columns = [
        "input_tokens",
        "output_tokens",
        "cached_tokens",
        "reasoning_tokens",
        "requests",
        "cost_usd",
        "cache_hits",
    ];
    let values: Vec<String> = columns.iter().map(|c| value(c)).collect();
    let updates: Vec<String> = columns
        .iter()
        .map(|c| format!("{c} = r.{c} + EXCLUDED.{c}"))
        .collect();
    let mut sql = String::new();
    for (granularity, unit) in [("minute", "minute"), ("hour", "hour"), ("day", "day")] {
        let bucket = format!(
            "date_trunc('{unit}', '{time}'::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
        );
        sql.push_str(&format!(
            "INSERT INTO usage_rollups AS r (organization_id, granularity, bucket_start,
                customer_id, model, {columns})
             VALUES ('{org}', '{granularity}', {bucket}, '{customer}', 'gpt-4o', {values})
             ON CONFLICT (organization_id, granularity, bucket_start, customer_id, model)
             DO UPDATE SET {updates};
             INSERT INTO usage_dimension_rollups AS r (organization_id, dimension, granularity,
                bucket_start, customer_id, value, {columns})
             VALUES ('{org}', 'status', '{granularity}', {bucket}, '{customer}', '{status}',
                     {values})
             ON CONFLICT (organization_id, dimension, granularity, bucket_start, customer_id,
                          value)
             DO UPDATE SET {updates};",
            columns = columns.join(", "),
            values = values.join(", "),
            updates = updates.join(", "),
        ));
    }
    batch(app, &sql).await.expect("the usage is stored");
}

/// Runs the period close once as of `time`, with a one-hour grace.
pub async fn close(app: &TestApp, time: &str, auto_finalize: bool) -> CloseReport {
    closer(app, auto_finalize)
        .close_due(Some(at(time)))
        .await
        .expect("the close runs")
}

pub fn closer(app: &TestApp, auto_finalize: bool) -> PeriodCloseService {
    PeriodCloseService::new(
        Arc::new(PgPeriodCloseStore::new(pool(app))),
        Arc::new(SystemClock),
        PeriodCloseSettings {
            grace: TimeDelta::hours(1),
            batch: 2,
            auto_finalize,
            default_tax_rate: tollgate_domain::billing::TaxRate::ZERO,
            every: std::time::Duration::from_secs(60),
        },
    )
}

/// The organization's invoices over the API, oldest first.
pub async fn invoices(app: &TestApp, query: &str) -> Vec<Value> {
    let path = format!("/api/billing/invoices?limit=100&{query}");
    let (_, page) = expect_status(
        send(call(app, reqwest::Method::GET, &path, WRITE_KEY)).await,
        200,
    )
    .await;
    let mut data = page["data"].as_array().expect("a list").clone();
    data.reverse();
    data
}
