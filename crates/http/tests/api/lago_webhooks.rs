//! `POST /v1/webhooks/lago` against real PostgreSQL and a stand-in Lago serving its webhook
//! public key: signatures (HMAC and JWT), exactly-once application per `X-Lago-Unique-Key`,
//! the invoice and subscription view, and a database outage.

mod invoices;
mod outage;
mod signatures;
mod subscriptions;

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Response;
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::Sha256;
use tollgate_http::{Settings, settings::LagoWebhookSignature};
use uuid::Uuid;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use crate::helpers::{TestApp, status_and_json};

pub const PATH: &str = "/v1/webhooks/lago";
/// The contract vectors' key, so their signatures verify here too.
pub const HMAC_KEY: &str = "lago_hmac_key_test_vector_0001";

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/lago/",
            $name
        ))
    };
}
pub(crate) use fixture;

/// The app with Lago configured (accepting both algorithms) and the stand-in serving the
/// test-only key A; `configure` applies last.
pub async fn spawn_lago(configure: impl FnOnce(&mut Settings)) -> (TestApp, MockServer) {
    let lago = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/webhooks/json_public_key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "webhook": { "public_key": encode64(fixture!("test_key_a.pub.pem").as_bytes()) }
        })))
        .mount(&lago)
        .await;
    let url = lago.uri();
    let app = TestApp::spawn_with(|settings| {
        settings.lago.url = url;
        settings.lago.api_key = Some(SecretString::from("lago-test-api-key"));
        settings.lago.webhook_signature = LagoWebhookSignature::Either;
        settings.lago.webhook_hmac_key = Some(SecretString::from(HMAC_KEY));
        // No usage is delivered in these tests: keep the dispatchers out of the way.
        settings.delivery.run_in_server = false;
        configure(settings);
    })
    .await;
    (app, lago)
}

/// Ruby's `Base64.encode64`, as Lago serves its key: a line break every 60 characters.
fn encode64(bytes: &[u8]) -> String {
    let text = STANDARD.encode(bytes);
    let lines: Vec<String> = text
        .as_bytes()
        .chunks(60)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect();
    format!("{}\n", lines.join("\n"))
}

pub fn hmac_signature(body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(HMAC_KEY.as_bytes()).expect("any key length");
    mac.update(body.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Lago's JWT over `body`, issued by the stand-in's URL (the default issuer), signed by key A.
pub fn jwt_signature(lago: &MockServer, body: &str) -> String {
    let key = EncodingKey::from_rsa_pem(fixture!("test_key_a.pem").as_bytes()).expect("a key");
    jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &json!({ "data": body, "iss": lago.uri() }),
        &key,
    )
    .expect("a token")
}

/// A webhook with exactly these headers (`None` leaves one out).
pub async fn post_raw(
    app: &TestApp,
    unique_key: Option<&str>,
    algorithm: Option<&str>,
    signature: Option<&str>,
    body: &str,
) -> Response {
    let mut request = app
        .client
        .post(app.url(PATH))
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (name, value) in [
        ("X-Lago-Unique-Key", unique_key),
        ("X-Lago-Signature-Algorithm", algorithm),
        ("X-Lago-Signature", signature),
    ] {
        if let Some(value) = value {
            request = request.header(name, value);
        }
    }
    request.send().await.expect("the webhook answers")
}

/// `body` HMAC-signed under `unique_key`: the status and the answer.
pub async fn post_hmac(app: &TestApp, unique_key: &str, body: &Value) -> (u16, Value) {
    let body = body.to_string();
    let signature = hmac_signature(&body);
    status_and_json(post_raw(app, Some(unique_key), Some("hmac"), Some(&signature), &body).await)
        .await
}

/// `body` JWT-signed under `unique_key`.
pub async fn post_jwt(
    app: &TestApp,
    lago: &MockServer,
    unique_key: &str,
    body: &Value,
) -> (u16, Value) {
    let body = body.to_string();
    let signature = jwt_signature(lago, &body);
    status_and_json(post_raw(app, Some(unique_key), Some("jwt"), Some(&signature), &body).await)
        .await
}

pub fn new_key() -> String {
    Uuid::new_v4().to_string()
}

/// The default organization's customer `external_id` (USD), inserted directly.
pub async fn add_customer(app: &TestApp, external_id: &str) -> String {
    app.scalar_text(&format!(
        "INSERT INTO billing_customers (id, organization_id, external_id, name, billing_email,
            currency, currency_minor_units)
         SELECT gen_random_uuid(), id, '{external_id}', 'Acme', 'ap@acme.example', 'USD', 2
         FROM organizations WHERE slug = 'default' RETURNING id::text AS value"
    ))
    .await
    .expect("an id")
}

pub const LAGO_INVOICE_ID: &str = "2b012b01-2b01-2b01-2b01-2b012b012b01";

/// An invoice webhook of `webhook_type` for `cust_0001`, with Lago's `InvoiceObjectExtended`
/// fields: 42.00 USD of fees (a 12.00 base fee in arrears, 30.00 of input tokens), 8.40 tax.
pub fn invoice_webhook(webhook_type: &str, status: &str, payment_status: &str) -> Value {
    json!({
        "webhook_type": webhook_type,
        "object_type": "invoice",
        "organization_id": "1a901a90-1a90-1a90-1a90-1a901a901a90",
        "invoice": {
            "lago_id": LAGO_INVOICE_ID,
            "sequential_id": 1,
            "number": if status == "draft" { "ACME-DRAFT" } else { "ACME-202601-001" },
            "issuing_date": "2026-02-01",
            "invoice_type": "subscription",
            "status": status,
            "payment_status": payment_status,
            "currency": "USD",
            "fees_amount_cents": 4200,
            "coupons_amount_cents": 0,
            "credit_notes_amount_cents": 0,
            "sub_total_excluding_taxes_amount_cents": 4200,
            "taxes_amount_cents": 840,
            "sub_total_including_taxes_amount_cents": 5040,
            "prepaid_credit_amount_cents": 0,
            "progressive_billing_credit_amount_cents": 0,
            "total_amount_cents": 5040,
            "version_number": 4,
            "customer": { "lago_id": "5c1a5c1a-5c1a-5c1a-5c1a-5c1a5c1a5c1a", "external_id": "cust_0001" },
            "subscriptions": [{ "external_id": "sub_0001" }],
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
            "fees": [
                {
                    "item": { "type": "subscription", "code": "pro", "name": "Pro plan" },
                    "amount_cents": 1200, "units": "1.0", "precise_unit_amount": "12.0",
                    "pay_in_advance": false
                },
                {
                    "item": { "type": "charge", "code": "input_tokens", "name": "Input tokens",
                              "invoice_display_name": "Input tokens (1M)" },
                    "amount_cents": 3000, "units": "1500000", "precise_unit_amount": "0.00002",
                    "pay_in_advance": false,
                    "from_date": "2026-01-01T00:00:00Z", "to_date": "2026-01-31T23:59:59Z"
                }
            ]
        }
    })
}
