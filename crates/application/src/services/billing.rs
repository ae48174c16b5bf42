//! Billing: customers, versioned plans, subscriptions, invoices and their documents, the
//! embedded period close and the billing engine's (Lago's) webhooks.
//!
//! [`BillingService`] is the context's entry point: it hands out the smaller services, each
//! owning one aggregate, so that callers find billing in one place without one object doing
//! everything.

pub mod credit_notes;
pub mod current_usage;
pub mod customers;
pub mod engine_webhooks;
pub mod invoices;
pub mod period_close;
pub mod plans;
pub mod portal_links;
pub mod subscriptions;
pub mod summary;

use std::sync::Arc;

use self::{
    credit_notes::CreditNoteService, current_usage::CurrentUsageService,
    customers::CustomerService, engine_webhooks::LagoWebhookService, invoices::InvoiceService,
    plans::PlanService, portal_links::PortalLinkService, subscriptions::SubscriptionService,
    summary::BillingSummaryService,
};

/// The billing use cases, backed by the embedded engine or by Lago as the system of record
/// (the composition root decides which stores and engine the parts get).
pub struct BillingService {
    customers: Arc<CustomerService>,
    plans: Arc<PlanService>,
    subscriptions: Arc<SubscriptionService>,
    invoices: Arc<InvoiceService>,
    credit_notes: Arc<CreditNoteService>,
    summary: Arc<BillingSummaryService>,
    current_usage: Arc<CurrentUsageService>,
    portal_links: Arc<PortalLinkService>,
    engine_webhooks: Option<Arc<LagoWebhookService>>,
}

/// The services [`BillingService`] hands out, as the composition root built them.
pub struct BillingParts {
    pub customers: Arc<CustomerService>,
    pub plans: Arc<PlanService>,
    pub subscriptions: Arc<SubscriptionService>,
    pub invoices: Arc<InvoiceService>,
    pub credit_notes: Arc<CreditNoteService>,
    pub summary: Arc<BillingSummaryService>,
    pub current_usage: Arc<CurrentUsageService>,
    pub portal_links: Arc<PortalLinkService>,
}

impl BillingService {
    pub fn new(parts: BillingParts) -> Self {
        Self {
            customers: parts.customers,
            plans: parts.plans,
            subscriptions: parts.subscriptions,
            invoices: parts.invoices,
            credit_notes: parts.credit_notes,
            summary: parts.summary,
            current_usage: parts.current_usage,
            portal_links: parts.portal_links,
            engine_webhooks: None,
        }
    }

    /// Lago's webhooks, when Lago is the billing engine.
    #[must_use]
    pub fn with_engine_webhooks(mut self, webhooks: Option<Arc<LagoWebhookService>>) -> Self {
        self.engine_webhooks = webhooks;
        self
    }

    pub fn customers(&self) -> &CustomerService {
        &self.customers
    }

    pub fn plans(&self) -> &PlanService {
        &self.plans
    }

    pub fn subscriptions(&self) -> &SubscriptionService {
        &self.subscriptions
    }

    pub fn invoices(&self) -> &InvoiceService {
        &self.invoices
    }

    pub fn credit_notes(&self) -> &CreditNoteService {
        &self.credit_notes
    }

    /// Invoiced, paid, outstanding and credited per currency over a span.
    pub fn summary(&self) -> &BillingSummaryService {
        &self.summary
    }

    /// A subscription's open period rated to date.
    pub fn current_usage(&self) -> &CurrentUsageService {
        &self.current_usage
    }

    /// One-time links into a customer's portal.
    pub fn portal_links(&self) -> &PortalLinkService {
        &self.portal_links
    }

    /// `None` without a billing engine: its webhook route then answers 404.
    pub fn engine_webhooks(&self) -> Option<&LagoWebhookService> {
        self.engine_webhooks.as_deref()
    }
}
