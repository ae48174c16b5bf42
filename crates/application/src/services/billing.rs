//! Billing: customers, versioned plans, subscriptions, invoices and their documents, the
//! embedded period close and the billing engine's (Lago's) webhooks.
//!
//! [`BillingService`] is the context's entry point: it hands out the smaller services, each
//! owning one aggregate, so that callers find billing in one place without one object doing
//! everything.

pub mod credit_notes;
pub mod customers;
pub mod engine_webhooks;
pub mod invoices;
pub mod period_close;
pub mod plans;
pub mod subscriptions;

use std::sync::Arc;

use self::{
    credit_notes::CreditNoteService, customers::CustomerService,
    engine_webhooks::LagoWebhookService, invoices::InvoiceService, plans::PlanService,
    subscriptions::SubscriptionService,
};

/// The billing use cases, backed by the embedded engine or by Lago as the system of record
/// (the composition root decides which stores and engine the parts get).
pub struct BillingService {
    customers: Arc<CustomerService>,
    plans: Arc<PlanService>,
    subscriptions: Arc<SubscriptionService>,
    invoices: Arc<InvoiceService>,
    credit_notes: Arc<CreditNoteService>,
    engine_webhooks: Option<Arc<LagoWebhookService>>,
}

impl BillingService {
    pub fn new(
        customers: Arc<CustomerService>,
        plans: Arc<PlanService>,
        subscriptions: Arc<SubscriptionService>,
        invoices: Arc<InvoiceService>,
        credit_notes: Arc<CreditNoteService>,
    ) -> Self {
        Self {
            customers,
            plans,
            subscriptions,
            invoices,
            credit_notes,
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

    /// `None` without a billing engine: its webhook route then answers 404.
    pub fn engine_webhooks(&self) -> Option<&LagoWebhookService> {
        self.engine_webhooks.as_deref()
    }
}
