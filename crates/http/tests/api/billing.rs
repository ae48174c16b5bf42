//! Billing against real PostgreSQL: customers created, read, listed and changed over the API,
//! each change with its audit record, nothing written for a refused request, and nothing of
//! another organization's visible.

mod customers;
mod golden;
mod invoices;
mod lago_mode;
pub mod period_close;
pub mod plans;
mod subscriptions;
mod tax;
mod tenancy;

use serde_json::{Value, json};
use tollgate_domain::webhook_secret::SecretDigest;

use crate::helpers::TestApp;

/// The app in Lago mode against `lago_url` (for tests outside `billing`).
pub async fn lago_mode_spawn(lago_url: String) -> TestApp {
    lago_mode::spawn(lago_url).await
}

pub const WRITE_KEY: &str = "tg_live_billing-write-test-key-0123456789abcdefghijkl";
pub const READ_KEY: &str = "tg_live_billing-read-test-key-0123456789abcdefghijklm";
pub const OTHER_KEY: &str = "tg_live_billing-other-org-key-0123456789abcdefghijklm";

/// An API key `secret` of the organization `org` (a slug) with `scopes` (a SQL array
/// literal's contents, `billing:read,billing:write`), inserted directly.
pub async fn api_key(app: &TestApp, org: &str, secret: &str, scopes: &str) {
    let digest: String = SecretDigest::of(secret)
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let inserted = app
        .texts(&format!(
            "INSERT INTO api_keys (id, organization_id, name, display_prefix, secret_sha256,
                scopes, created_by)
             SELECT gen_random_uuid(), id, 'test', 'tg_live_bill', '\\x{digest}'::bytea,
                    '{{{scopes}}}'::text[], 'test'
             FROM organizations WHERE slug = '{org}'
             RETURNING name AS value"
        ))
        .await;
    assert_eq!(inserted.len(), 1, "the organization {org} exists");
}

/// A valid customer body with `external_id`.
pub fn customer(external_id: &str) -> Value {
    json!({
        "external_id": external_id,
        "name": "Acme Corp",
        "billing_email": "billing@acme.example",
        "currency": "eur",
        "address": {
            "line1": "1 rue de Rivoli",
            "city": "Paris",
            "postal_code": "75001",
            "country": "fr"
        },
        "tax_id": "FR40303265045",
        "timezone": "Europe/Paris",
        "metadata": { "crm": "hs-1" }
    })
}
