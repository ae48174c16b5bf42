//! The ports: small capability traits the services need, implemented in `tollgate-adapters`.

mod access;
mod billing;
mod billing_engine;
mod billing_summary;
mod change_lock;
mod clock;
mod credit_notes;
mod delivery;
mod directory;
mod engine_view;
mod event_log;
mod idempotency;
mod identity;
mod invoice_parties;
mod invoices;
mod login_flows;
mod outbound_webhooks;
mod payment_events;
mod payment_gateway;
mod payments;
mod period_close;
mod plans;
mod portal_links;
mod privacy;
mod rendering;
mod settings;
mod subscriptions;
mod upstream_probe;
mod usage_events;
mod usage_query;
mod web_sessions;
mod webhook_secrets;

pub use access::{
    ApiKeyRecord, ApiKeyStore, AuditChain, AuditContext, AuditEntry, AuditTrail, AuditView,
    CreationKey, Member, MemberOutcome, MemberWrite, Membership, MembershipStore, NewApiKey,
    OrganizationDirectory, OrganizationRecord,
};
pub use billing::{CustomerRecord, CustomerStore};
pub use billing_engine::{
    BillingEngine, PlanVersionSync, SubscriptionChangeKind, SubscriptionSync,
};
#[cfg(any(test, feature = "mocks"))]
pub use billing_summary::MockBillingLedger;
pub use billing_summary::{BillingLedger, CurrencyTotals};
pub use change_lock::ChangeLock;
pub use clock::{Clock, SystemClock};
pub use credit_notes::{CreditNoteBook, CreditNoteRecord};
pub use delivery::{
    DEAD_LETTER_ERROR_CHARS, DeadLetter, DeliveryOutcome, DeliveryTarget, OutboxAdmin, OutboxDepth,
    OutboxItem, OutboxQueue, SettledItem, Settlement,
};
pub use directory::{IdentityDirectory, NoDirectory};
pub use engine_view::{
    EngineViewStore, SignatureAlgorithm, SignatureError, ViewOutcome, WebhookReceipt,
    WebhookSignatureVerifier,
};
#[cfg(any(test, feature = "mocks"))]
pub use engine_view::{MockEngineViewStore, MockWebhookSignatureVerifier};
#[cfg(any(test, feature = "mocks"))]
pub use event_log::MockEventLog;
pub use event_log::{EventDelivery, EventDetail, EventFilter, EventLog};
pub use idempotency::{Begun, IdempotencyStore, Lease, StoredAnswer};
pub use identity::{
    AccessTokenVerifier, AuthError, PermissionChecker, RelationCheck, Session, SessionCredential,
    SessionResolver, VerifiedToken,
};
pub use invoice_parties::InvoiceParties;
pub use invoices::{
    InvoiceBook, InvoiceChange, InvoiceFilter, InvoicePage, InvoiceRecord, InvoiceSource,
};
#[cfg(any(test, feature = "mocks"))]
pub use login_flows::MockLoginFlows;
pub use login_flows::{FlowFetch, FlowNode, FlowText, LoginFlow, LoginFlows};
pub use outbound_webhooks::{
    AttemptRecord as DeliveryAttemptRecord, ClaimedDelivery, DeliveryFilter, DeliveryRecord,
    DeliveryState, EndpointChange, EndpointDisable, EndpointRecord, MessageDetail, NewEndpoint,
    NewMessage, OutboundWebhook, ResendTarget, RevealedSecret, SendReport,
    Settlement as DeliverySettlement, WebhookDeliveryQueue, WebhookEndpointStore, WebhookSender,
};
#[cfg(any(test, feature = "mocks"))]
pub use outbound_webhooks::{
    MockWebhookDeliveryQueue, MockWebhookEndpointStore, MockWebhookSender,
};
pub use payment_events::{PaymentEvent, PaymentReference, ReceivedPaymentEvent};
#[cfg(any(test, feature = "mocks"))]
pub use payment_gateway::MockPaymentGateway;
pub use payment_gateway::{
    CancelReason, ChargeOutcome, ChargeRequest, CheckoutLink, CustomerRequest, Decline, EventPage,
    GatewayCustomer, GatewayEvent, IdempotencyKey, IntentStatus, LinkStatus, PaymentError,
    PaymentGateway, PaymentLinkRequest, PaymentMethodSummary, RefundOutcome, RefundReason,
    RefundRequest, RefundStatus, Refusal, SetupLinkRequest, WebhookEndpoint,
};
#[cfg(any(test, feature = "mocks"))]
pub use payments::MockPaymentLedger;
pub use payments::{
    AttemptFilter, AttemptKind, AttemptRecord, AttemptReference, AttemptSettlement, CardChange,
    Collection, InvoiceClaim, PaymentCustomer, PaymentLedger, ProviderEventId, SettlementOutcome,
};
#[cfg(any(test, feature = "mocks"))]
pub use period_close::MockOpenPeriodReader;
pub use period_close::{
    BatchOutcome, CloseCursor, CloseRequest, OpenPeriodReader, PeriodCloseStore,
};
pub use plans::{PlanDraft, PlanRecord, PlanStore, PlanVersionRecord};
#[cfg(any(test, feature = "mocks"))]
pub use portal_links::MockPortalLinkStore;
pub use portal_links::{NewPortalLink, PortalLinkStore, RedeemedPortalLink};
pub use privacy::{
    ClaimedExport, ConsentRecord, ConsentStore, ExportRecord, ExportRequested, ExportStore,
    MemberRecords, NewConsent, NewExport, SessionSummary,
};
#[cfg(any(test, feature = "mocks"))]
pub use privacy::{MockConsentStore, MockExportStore, MockMemberRecords};
pub use rendering::{CreditNoteDocument, InvoiceDocument, InvoiceRenderer, Seller};
pub use settings::{
    HostResolver, NewWebhookSecret, SettingsStore, WebhookSecretAdmin, WebhookSecretRecord,
};
pub use subscriptions::{
    NewSubscription, PhaseChange, SubscriptionConflict, SubscriptionRecord, SubscriptionStore,
};
pub use upstream_probe::UpstreamProbe;
pub use usage_events::{
    BudgetAlertStore, IncomingEvent, IngestBatch, IngestReceipt, QuarantinedEvent,
    StoredOrDuplicate, UsageEventStore,
};
pub use usage_query::{
    ExportCursor, ExportRow, GroupBy, KeyAliases, UsageExport, UsagePoint, UsageQuery, UsageReader,
    UsageSeries, Window,
};
pub use web_sessions::{SessionHolder, SignInMethod, WebSessionRecord, WebSessionStore};
pub use webhook_secrets::{WebhookSecret, WebhookSecretStore};

#[cfg(any(test, feature = "mocks"))]
pub use {
    access::MockApiKeyStore, access::MockAuditTrail, access::MockMembershipStore,
    access::MockOrganizationDirectory, billing::MockCustomerStore,
    billing_engine::MockBillingEngine, clock::MockClock, credit_notes::MockCreditNoteBook,
    delivery::MockDeliveryTarget, delivery::MockOutboxAdmin, delivery::MockOutboxQueue,
    directory::MockIdentityDirectory, idempotency::MockIdempotencyStore,
    identity::MockAccessTokenVerifier, identity::MockPermissionChecker,
    identity::MockSessionResolver, invoice_parties::MockInvoiceParties, invoices::MockInvoiceBook,
    period_close::MockPeriodCloseStore, rendering::MockInvoiceRenderer, settings::MockHostResolver,
    settings::MockSettingsStore, settings::MockWebhookSecretAdmin,
    usage_events::MockBudgetAlertStore, usage_events::MockUsageEventStore,
    usage_query::MockKeyAliases, usage_query::MockUsageExport, usage_query::MockUsageReader,
    web_sessions::MockWebSessionStore, webhook_secrets::MockWebhookSecretStore,
};
#[cfg(any(test, feature = "mocks"))]
pub use {plans::MockPlanStore, subscriptions::MockSubscriptionStore};
