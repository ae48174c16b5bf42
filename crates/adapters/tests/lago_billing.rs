//! Lago billing (customers, plans, billable metrics, subscriptions, invoices) against a local
//! stand-in for Lago's REST API (wiremock), checking what goes over the wire (root keys,
//! fields, cents, decimal strings, `Authorization: Bearer`, `Content-Type`) and what each of
//! Lago's answers becomes: 404, 422 with `error_details`, 401, 429, 5xx, timeouts, pagination.
//! The shapes follow Lago's OpenAPI spec; `tests/fixtures/lago/` holds its invoice example.

mod lago_billing {
    pub mod customers;
    pub mod errors;
    pub mod invoices;
    pub mod plans;
    pub mod subscriptions;
    pub mod unusable;
}
#[path = "support/nonsense.rs"]
mod nonsense;

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use async_trait::async_trait;
use secrecy::SecretString;
use serde_json::Value;
use tollgate_adapters::lago::billing::{LagoBilling, LagoBillingConfig};
use tollgate_application::{
    PortError,
    ports::{AuditEntry, AuditTrail, AuditView},
};
use tollgate_domain::{
    billing::{BillingEmail, Currency, Customer},
    organization::OrganizationId,
    usage::CustomerId,
};
use url::Url;
use wiremock::{MockServer, Request};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub const API_KEY: &str = "lago_test_api_key";

/// A stand-in Lago and a client of it that retries quickly.
pub struct Lago {
    pub server: MockServer,
    pub billing: LagoBilling,
}

pub async fn lago() -> Result<Lago, Box<dyn std::error::Error>> {
    lago_with(|_| {}).await
}

pub async fn lago_with(
    configure: impl FnOnce(&mut LagoBillingConfig),
) -> Result<Lago, Box<dyn std::error::Error>> {
    let server = MockServer::start().await;
    let mut config = LagoBillingConfig::new(
        Url::parse(&server.uri())?,
        SecretString::from(API_KEY.to_owned()),
    );
    config.timeout = Duration::from_secs(2);
    config.max_retry_wait = Duration::from_secs(2);
    configure(&mut config);
    let billing = LagoBilling::new(config)?;
    Ok(Lago { server, billing })
}

impl Lago {
    /// Every request the stand-in received, in order.
    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }

    /// `METHOD /path?query` of every request, in order.
    pub async fn calls(&self) -> Vec<String> {
        self.requests()
            .await
            .iter()
            .map(|r| match r.url.query() {
                Some(query) => format!("{} {}?{query}", r.method, r.url.path()),
                None => format!("{} {}", r.method, r.url.path()),
            })
            .collect()
    }
}

/// The request's JSON body.
pub fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap_or(Value::Null)
}

/// What every request to Lago must carry.
pub fn assert_lago_headers(request: &Request) {
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(
        header("authorization").as_deref(),
        Some("Bearer lago_test_api_key")
    );
    if !request.body.is_empty() {
        assert_eq!(header("content-type").as_deref(), Some("application/json"));
    }
}

pub fn acme() -> Result<Customer, Box<dyn std::error::Error>> {
    Ok(Customer::new(
        CustomerId::parse("cust_1")?,
        "Acme Corp",
        BillingEmail::parse("billing@acme.example")?,
        Currency::EUR,
    )?)
}

pub fn refused_reason(result: Result<(), PortError>) -> String {
    match result {
        Err(PortError::Refused { service, reason }) => {
            assert_eq!(service, "lago");
            reason
        }
        other => panic!("expected Refused, got {other:?}"),
    }
}

/// The audit records appended, in order.
#[derive(Default)]
pub struct RecordedAudit {
    pub entries: Mutex<Vec<(OrganizationId, AuditEntry)>>,
}

impl RecordedAudit {
    pub fn actions(&self) -> Vec<String> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(_, entry)| {
                format!(
                    "{} {}",
                    entry.action,
                    entry.target.clone().unwrap_or_default()
                )
            })
            .collect()
    }
}

#[async_trait]
impl AuditTrail for RecordedAudit {
    async fn append(
        &self,
        organization: OrganizationId,
        entry: &AuditEntry,
    ) -> Result<(), PortError> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((organization, entry.clone()));
        Ok(())
    }

    async fn page(&self, _: OrganizationId, _: i64, _: i64) -> Result<Vec<AuditView>, PortError> {
        Ok(Vec::new())
    }
}

pub fn recorded_audit() -> Arc<RecordedAudit> {
    Arc::new(RecordedAudit::default())
}
