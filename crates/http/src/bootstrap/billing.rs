//! Which billing backs the API: Lago when `lago.url` is set (it is then the system of record:
//! customers, plans and subscriptions are pushed to it first, invoices are read and changed
//! through its API), else the embedded billing engine in PostgreSQL.
//!
//! One Lago organization (one API key) serves one Tollgate organization: the installation's
//! (`organization.slug`). Its invoice book shows nothing to any other organization.

use std::{sync::Arc, time::Duration};

use secrecy::SecretString;
use tollgate_adapters::{
    lago::billing::{LagoBilling, LagoBillingConfig},
    postgres::{PgInvoiceBook, PgPool},
};
use tollgate_application::ports::{AuditTrail, BillingEngine, InvoiceBook};
use tollgate_domain::organization::OrganizationId;

use super::StartupError;
use crate::settings::Settings;

/// The billing engine services push to (none in embedded mode) and the invoice book the
/// invoices API reads.
pub struct Billing {
    pub engine: Option<Arc<dyn BillingEngine>>,
    pub invoices: Arc<dyn InvoiceBook>,
}

/// # Errors
/// `Invalid` for a Lago URL that is not an http(s) base URL, or Lago without an API key.
pub fn wire(
    settings: &Settings,
    pool: &PgPool,
    organization: OrganizationId,
    audit: Arc<dyn AuditTrail>,
) -> Result<Billing, StartupError> {
    let Some(lago) = lago(settings)? else {
        return Ok(Billing {
            engine: None,
            invoices: Arc::new(PgInvoiceBook::new(pool.clone())),
        });
    };
    tracing::info!(url = %settings.lago.url, "billing: Lago is the system of record");
    let invoices = Arc::new(lago.invoice_book(organization, audit));
    Ok(Billing {
        engine: Some(Arc::new(lago)),
        invoices,
    })
}

/// Lago's billing client when `lago.url` is set.
///
/// # Errors
/// As [`wire`].
pub fn lago(settings: &Settings) -> Result<Option<LagoBilling>, StartupError> {
    let lago = &settings.lago;
    if !lago.is_enabled() {
        return Ok(None);
    }
    let url = url::Url::parse(lago.url.trim())
        .map_err(|e| StartupError::Invalid(format!("lago.url: {e}")))?;
    // Lago answers every call without a key with 401: refuse to start rather than fail each.
    let api_key: SecretString = lago.api_key.clone().ok_or_else(|| {
        StartupError::Invalid(
            "lago.api_key is required with lago.url (TOLLGATE__LAGO__API_KEY)".into(),
        )
    })?;
    let mut config = LagoBillingConfig::new(url, api_key);
    config.timeout = Duration::from_millis(lago.request_timeout_ms);
    config.max_attempts = lago.max_attempts;
    config.max_retry_wait = Duration::from_millis(lago.max_retry_wait_ms);
    LagoBilling::new(config)
        .map(Some)
        .map_err(|e| StartupError::Invalid(e.to_string()))
}
