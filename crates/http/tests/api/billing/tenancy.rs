//! The database itself keeps organizations apart: a subscription, invoice or plan phase of one
//! organization cannot point at another organization's customer or plan, whatever a query
//! gets wrong.

use super::period_close::support;
use crate::identity::support::{batch, create_org, execute};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_of_one_organization_cannot_point_into_another() {
    let app = support::spawn().await;
    // The default organization's customer and plan version...
    let customer = support::customer(&app, "cust_a", "USD").await;
    let definition = serde_json::json!({
        "base_fee": null, "trial_days": 0, "minimum_commitment": null,
        "charges": [{"meter": "requests", "free_units": "0", "minimum": null,
                     "model": {"type": "per_unit", "unit_price": "0.01"}}]
    });
    let plan = support::plan_version(&app, "basic", "USD", &definition).await;
    // ...referenced from rows of another organization.
    let other = create_org(&app, "other").await;
    let subscription = execute(
        &app,
        &format!(
            "INSERT INTO billing_subscriptions (id, organization_id, customer_id, external_id,
                status, billing_anchor, started_at, invoiced_through)
             VALUES (gen_random_uuid(), '{other}', '{customer}', 'sub_x', 'active',
                     now(), now(), now())"
        ),
    )
    .await;
    assert!(
        subscription.is_err(),
        "a subscription on another org's customer"
    );

    let invoice = execute(
        &app,
        &format!(
            "INSERT INTO billing_invoices (id, organization_id, customer_id, source,
                period_start, period_end, status, currency, subtotal, tax, total, issued_at)
             VALUES (gen_random_uuid(), '{other}', '{customer}', 'embedded',
                     now(), now() + interval '1 day', 'draft', 'USD', 0, 0, 0, now())"
        ),
    )
    .await;
    assert!(invoice.is_err(), "an invoice to another org's customer");

    // The other organization's own subscription cannot run on the default org's plan.
    let own_customer = uuid::Uuid::now_v7();
    batch(
        &app,
        &format!(
            "INSERT INTO billing_customers (id, organization_id, external_id, name,
                billing_email, currency, currency_minor_units)
             VALUES ('{own_customer}', '{other}', 'cust_b', 'B', 'b@b.example', 'USD', 2);
             INSERT INTO billing_subscriptions (id, organization_id, customer_id, external_id,
                status, billing_anchor, started_at, invoiced_through)
             VALUES ('{own_customer}', '{other}', '{own_customer}', 'sub_b', 'active',
                     now(), now(), now())"
        ),
    )
    .await
    .expect("the other organization's own customer and subscription");
    let phase = execute(
        &app,
        &format!(
            "INSERT INTO billing_subscription_phases (subscription_id, organization_id,
                starts_at, plan_id, plan_version, reason)
             VALUES ('{own_customer}', '{other}', now(), '{plan}', 1, 'created')"
        ),
    )
    .await;
    assert!(phase.is_err(), "a phase on another org's plan");

    // The same invoice row to the organization's own customer is fine: the refusal above was
    // the organization, nothing else.
    execute(
        &app,
        &format!(
            "INSERT INTO billing_invoices (id, organization_id, customer_id, source,
                period_start, period_end, status, currency, subtotal, tax, total, issued_at)
             VALUES (gen_random_uuid(), '{other}', '{own_customer}', 'embedded',
                     now(), now() + interval '1 day', 'draft', 'USD', 0, 0, 0, now())"
        ),
    )
    .await
    .expect("an invoice to the organization's own customer");
}
