//! What handlers share: the services, built once in the composition root.

use std::sync::Arc;

use tollgate_adapters::{
    embedded_identity::EmbeddedIssuer, litellm::CustomerFallback, postgres::PgPool,
};
use tollgate_application::{
    ports::{AuditTrail, OutboxAdmin, UsageExport, UsageReader},
    services::{
        WebhookService, access::AccessService, analytics::AnalyticsService,
        api_keys::ApiKeyService, customers::CustomerService, settings::SettingsService,
    },
};

use crate::{access::FailedAuthLimiter, metrics::Metrics};

#[derive(Clone)]
pub struct AppState {
    pub webhooks: Arc<WebhookService>,
    pub metrics: Arc<Metrics>,
    pub pool: PgPool,
    pub customer_fallback: CustomerFallback,
    pub body_limit_bytes: usize,
    pub access: Arc<AccessService>,
    pub api_keys: Arc<ApiKeyService>,
    pub customers: Arc<CustomerService>,
    /// Invoices: the embedded book (or Lago's), the PDF renderer.
    pub invoices: Arc<tollgate_application::services::invoices::InvoiceService>,
    /// Plans and their versions; subscriptions on them.
    pub plans: Arc<tollgate_application::services::plans::PlanService>,
    pub subscriptions: Arc<tollgate_application::services::subscriptions::SubscriptionService>,
    pub settings: Arc<SettingsService>,
    pub audit: Arc<dyn AuditTrail>,
    pub usage: Arc<dyn UsageReader>,
    pub outbox: Arc<dyn OutboxAdmin>,
    pub export: Arc<dyn UsageExport>,
    pub analytics: Arc<AnalyticsService>,
    /// Rows read per page while streaming an export.
    pub export_page_rows: i64,
    pub auth_limiter: Arc<FailedAuthLimiter>,
    /// Salt for hashing client addresses in the audit log, the same on every replica.
    pub address_salt: Arc<[u8]>,
    /// The embedded issuer, when Ory is not configured: its JWKS is served.
    pub embedded_issuer: Option<Arc<EmbeddedIssuer>>,
    /// Lago's webhooks, when Lago is configured (`POST /v1/webhooks/lago` answers 404 otherwise).
    pub lago_webhooks:
        Option<Arc<tollgate_application::services::engine_webhooks::LagoWebhookService>>,
}
