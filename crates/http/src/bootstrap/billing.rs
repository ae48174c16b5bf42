//! Which billing backs the API: Lago when `lago.url` is set (it is then the system of record:
//! customers, plans and subscriptions are pushed to it first, invoices are read and changed
//! through its API), else the embedded billing engine in PostgreSQL.
//!
//! One Lago organization (one API key) serves one Tollgate organization: the installation's
//! (`organization.slug`). Its invoice book shows nothing to any other organization.

use std::{sync::Arc, time::Duration};

use chrono::TimeDelta;

use secrecy::SecretString;
use tollgate_adapters::{
    lago::billing::{LagoBilling, LagoBillingConfig},
    pdf::{FontConfig, PdfInvoiceRenderer},
    postgres::{
        PgBillingLedger, PgCreditNoteBook, PgCustomerStore, PgInvoiceBook, PgInvoiceParties,
        PgPeriodCloseStore, PgPlanStore, PgPool, PgPortalLinkStore, PgSubscriptionStore,
    },
};
use tollgate_application::{
    ports::{
        AuditTrail, BillingEngine, BillingLedger, InvoiceBook, InvoiceRenderer, OpenPeriodReader,
        SystemClock,
    },
    services::billing::{
        BillingParts, BillingService, credit_notes::CreditNoteService,
        current_usage::CurrentUsageService, customers::CustomerService, invoices::InvoiceService,
        plans::PlanService, portal_links::PortalLinkService, subscriptions::SubscriptionService,
        summary::BillingSummaryService,
    },
};
use tollgate_domain::organization::OrganizationId;

use super::StartupError;
use crate::settings::Settings;

/// # Errors
/// `Invalid` for a Lago URL that is not an http(s) base URL, or Lago without an API key.
pub fn wire(
    settings: &Settings,
    pool: &PgPool,
    organization: OrganizationId,
    audit: Arc<dyn AuditTrail>,
) -> Result<BillingService, StartupError> {
    let (engine, book): (Option<Arc<dyn BillingEngine>>, Arc<dyn InvoiceBook>) =
        match lago(settings)? {
            Some(lago) => {
                tracing::info!(url = %settings.lago.url, "billing: Lago is the system of record");
                let book = Arc::new(lago.invoice_book(organization, audit));
                (Some(Arc::new(lago)), book)
            }
            None => (None, Arc::new(PgInvoiceBook::new(pool.clone()))),
        };
    let plans = Arc::new(PgPlanStore::new(pool.clone()));
    let customers = Arc::new(PgCustomerStore::new(pool.clone()));
    let parties = Arc::new(PgInvoiceParties::new(pool.clone()));
    let renderer = renderer(settings);
    // Lago keeps the ledger there: the embedded one has nothing to sum (see the service).
    let embedded = engine.is_none();
    let ledger: Option<Arc<dyn BillingLedger>> =
        embedded.then(|| Arc::new(PgBillingLedger::new(pool.clone())) as Arc<dyn BillingLedger>);
    // Lago rates its subscriptions itself: Tollgate's rules would estimate another invoice.
    let open_periods: Option<Arc<dyn OpenPeriodReader>> = embedded
        .then(|| Arc::new(PgPeriodCloseStore::new(pool.clone())) as Arc<dyn OpenPeriodReader>);
    Ok(BillingService::new(BillingParts {
        customers: Arc::new(CustomerService::new(customers.clone()).with_engine(engine.clone())),
        plans: Arc::new(PlanService::new(plans.clone(), engine.clone())),
        subscriptions: Arc::new(
            SubscriptionService::new(
                Arc::new(PgSubscriptionStore::new(pool.clone())),
                plans,
                customers,
                engine,
                Arc::new(SystemClock),
            )
            .with_max_backdate(TimeDelta::days(i64::from(
                settings.billing.max_backdate_days,
            ))),
        ),
        invoices: Arc::new(InvoiceService::new(
            book,
            parties.clone(),
            renderer.clone(),
            Arc::new(SystemClock),
        )),
        // Lago's credit notes are Lago's: in Lago mode this finds none.
        credit_notes: Arc::new(CreditNoteService::new(
            Arc::new(PgCreditNoteBook::new(pool.clone())),
            parties,
            renderer,
        )),
        summary: Arc::new(BillingSummaryService::new(ledger)),
        current_usage: Arc::new(CurrentUsageService::new(
            open_periods,
            Arc::new(SystemClock),
            settings.billing.default_tax_rate_percent,
        )),
        // Customers are Tollgate's in both modes (Lago's mirror them): links work in both.
        portal_links: Arc::new(PortalLinkService::new(
            Arc::new(PgPortalLinkStore::new(pool.clone())),
            Arc::new(SystemClock),
        )),
    }))
}

/// The PDF renderer, when the configured fonts can be read. Without them every other
/// billing route still works and PDFs answer 503, so a missing font package costs the
/// documents, not the service.
fn renderer(settings: &Settings) -> Option<Arc<dyn InvoiceRenderer>> {
    let fonts = FontConfig {
        directory: settings.pdf.font_directory.clone(),
        family: settings.pdf.font_family.clone(),
    };
    match PdfInvoiceRenderer::new(fonts) {
        Ok(renderer) => Some(Arc::new(renderer)),
        Err(error) => {
            tracing::error!(%error, "invoice PDFs are unavailable: install the fonts or set pdf.font_directory");
            None
        }
    }
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
