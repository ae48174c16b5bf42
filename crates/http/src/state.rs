//! What handlers share: the services, built once in the composition root.

use std::sync::Arc;

use tollgate_adapters::{
    embedded_identity::EmbeddedIssuer, litellm::DecodeOptions, postgres::PgPool,
};
use tollgate_application::{
    ports::{AuditChain, AuditTrail, OutboxAdmin},
    services::{
        access::{
            AccessService, api_keys::ApiKeyService, idempotency::IdempotencyService,
            memberships::MembershipService, settings::SettingsService,
        },
        billing::BillingService,
        compliance::{
            consents::ConsentService, exports::ExportService, records::ProcessingRecordService,
        },
        ingest::WebhookService,
        metering::MeteringService,
        outbound_webhooks::OutboundWebhookService,
    },
};

use crate::{access::FailedAuthLimiter, body::BodyReader, metrics::Metrics};

#[derive(Clone)]
pub struct AppState {
    pub webhooks: Arc<WebhookService>,
    pub metrics: Arc<Metrics>,
    pub pool: PgPool,
    /// How LiteLLM events are decoded (`received_at` is set per request).
    pub decode_options: DecodeOptions,
    pub body_limit_bytes: usize,
    /// Reads bodies under a deadline and the in-flight byte budget.
    pub bodies: BodyReader,
    pub access: Arc<AccessService>,
    pub api_keys: Arc<ApiKeyService>,
    /// The team: members and their roles.
    pub memberships: Arc<MembershipService>,
    /// Customers, plans, subscriptions, invoices and the billing engine's webhooks.
    pub billing: Arc<BillingService>,
    pub settings: Arc<SettingsService>,
    /// The endpoints Tollgate sends its events to, their deliveries and messages.
    pub outbound_webhooks: Arc<OutboundWebhookService>,
    /// `Idempotency-Key`s of `POST /api/...` requests.
    pub idempotency: Arc<IdempotencyService>,
    pub audit: Arc<dyn AuditTrail>,
    /// Verifies the audit log's hash chain (the dashboard's audit page).
    pub audit_chain: Arc<dyn AuditChain>,
    /// Consent to optional processing, under the notice in force.
    pub consents: Arc<ConsentService>,
    /// Requests to export a person's data (built by the workers).
    pub exports: Arc<ExportService>,
    /// The record of processing activities (GDPR Art. 30).
    pub processing_record: Arc<ProcessingRecordService>,
    pub outbox: Arc<dyn OutboxAdmin>,
    /// Usage, analytics and the export.
    pub metering: Arc<MeteringService>,
    /// Rows read per page while streaming an export.
    pub export_page_rows: i64,
    pub auth_limiter: Arc<FailedAuthLimiter>,
    /// Salt for hashing client addresses in the audit log, the same on every replica.
    pub address_salt: Arc<[u8]>,
    /// The embedded issuer, when Ory is not configured: its JWKS is served.
    pub embedded_issuer: Option<Arc<EmbeddedIssuer>>,
    /// The web dashboard's sessions and settings.
    pub web: Arc<crate::web::WebState>,
    /// Card payments through Stripe; `None` when Stripe is not configured.
    pub payments: Option<Arc<tollgate_application::services::payments::PaymentService>>,
    pub stripe_webhooks: Option<crate::bootstrap::payments::StripeWebhooks>,
}
