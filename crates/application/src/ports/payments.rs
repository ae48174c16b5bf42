//! Where card payments are kept: the provider's customer behind each billing customer, the
//! collection of each finalized invoice (its payment status, and the queue the collector works
//! from), its attempts, and the provider events already applied.
//!
//! Every change that moves money is recorded in one transaction with its consequences (the
//! attempt, the collection, the invoice marked paid, the provider event's id), so a crash
//! between two of them cannot leave an invoice paid twice or a payment forgotten.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tollgate_domain::{
    billing::CurrencyCode,
    organization::OrganizationId,
    payment::{AttemptStatus, DeclineDetails, InvoicePaymentStatus},
};
use uuid::Uuid;

use crate::{PortError, ports::AuditEntry};

/// The payment provider's customer behind a billing customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentCustomer {
    pub organization: OrganizationId,
    /// The billing customer's id (`billing_customers.id`).
    pub customer: Uuid,
    pub provider_customer: String,
    /// The saved card charged off-session.
    pub default_payment_method: Option<String>,
    pub auto_collect: bool,
    pub delinquent: bool,
}

/// An invoice being collected by card, as the collector claims it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    pub invoice: Uuid,
    pub organization: OrganizationId,
    pub invoice_number: Option<String>,
    pub status: InvoicePaymentStatus,
    pub amount_due: Decimal,
    pub currency: CurrencyCode,
    pub attempts_made: u32,
    pub first_attempt_at: Option<DateTime<Utc>>,
    pub customer: PaymentCustomer,
}

/// Whether an attempt was made by the collector or by the customer on a pay-now page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKind {
    OffSession,
    Link,
}

impl AttemptKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OffSession => "off_session",
            Self::Link => "link",
        }
    }
}

/// One attempt to collect an invoice. Its idempotency key is stored before the provider is
/// called, so a retry after a crash asks with the same key and cannot charge twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub id: Uuid,
    pub organization: OrganizationId,
    pub invoice: Uuid,
    pub attempt: u32,
    pub kind: AttemptKind,
    pub idempotency_key: String,
    pub provider_payment: Option<String>,
    pub amount: Decimal,
    pub currency: CurrencyCode,
    pub status: AttemptStatus,
    pub decline: Option<DeclineDetails>,
    pub created_at: DateTime<Utc>,
}

/// What an attempt came to, with what follows for its invoice: the ledger applies all of it
/// in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptSettlement {
    pub organization: OrganizationId,
    pub invoice: Uuid,
    pub attempt: u32,
    pub provider_payment: Option<String>,
    pub status: AttemptStatus,
    pub decline: Option<DeclineDetails>,
    /// The invoice's payment status after it.
    pub invoice_status: InvoicePaymentStatus,
    /// When the collector tries again; `None` stops it.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Set when dunning gave up: the customer is marked delinquent.
    pub delinquent: bool,
    pub at: DateTime<Utc>,
}

/// What applying a settlement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettlementOutcome {
    Applied,
    /// The attempt is already in that state or past it (a repeated or stale answer).
    Unchanged,
    /// No such attempt.
    NotFound,
}

/// A provider event that touches a customer's saved cards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardChange {
    /// A card was saved for later charges: it becomes the default, and the customer's failed
    /// collections are tried again at once.
    Saved {
        provider_customer: String,
        payment_method: String,
    },
    /// A card was removed: it is no longer the default.
    Removed {
        provider_customer: String,
        payment_method: String,
    },
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PaymentLedger: Send + Sync {
    /// The provider's customer behind `customer`, if one was made.
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn payment_customer(
        &self,
        organization: OrganizationId,
        customer: Uuid,
    ) -> Result<Option<PaymentCustomer>, PortError>;

    /// Records the provider's customer made for `customer` (the first one recorded stands).
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn save_payment_customer(
        &self,
        customer: &PaymentCustomer,
    ) -> Result<PaymentCustomer, PortError>;

    /// Opens a collection, due at `now`, for every finalized invoice of a customer whose card
    /// is on file and collected automatically: how a finalized invoice reaches the collector
    /// whichever path finalized it (the period close, the API, the dashboard). Answers how
    /// many were opened.
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn open_collections(&self, now: DateTime<Utc>) -> Result<u64, PortError>;

    /// The invoice's collection, if it has one.
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn collection(
        &self,
        organization: OrganizationId,
        invoice: Uuid,
    ) -> Result<Option<Collection>, PortError>;

    /// Up to `limit` collections due at `now`, each leased for `lease` so that no other
    /// worker takes it meanwhile.
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Collection>, PortError>;

    /// Claims the invoice's collection to charge it now, whatever its schedule: `Busy` while
    /// another worker holds it or an attempt is under way or waits for the customer,
    /// `NotCollectable` when the invoice has no collection (its customer has no card, or it is
    /// not a finalized invoice with an amount due) or is past collecting (paid, refunded...).
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn claim_invoice(
        &self,
        organization: OrganizationId,
        invoice: Uuid,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<InvoiceClaim, PortError>;

    /// The collection's current attempt if it has no outcome yet (a retry after a crash), else
    /// a new one numbered after the last, its key [`IdempotencyKey::charge`] of the invoice
    /// and that number.
    ///
    /// [`IdempotencyKey::charge`]: crate::ports::IdempotencyKey::charge
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn begin_attempt(
        &self,
        collection: &Collection,
        kind: AttemptKind,
        at: DateTime<Utc>,
    ) -> Result<AttemptRecord, PortError>;

    /// Applies an attempt's outcome and its consequences in one transaction, each status
    /// moving only forward (`AttemptStatus::advance`, `InvoicePaymentStatus::advance`): the
    /// invoice is marked paid by card when `invoice_status` is `succeeded`, and the customer
    /// delinquent with `delinquent` (cleared by a success); with `event`, the provider
    /// event's id is recorded in the same transaction, whatever the outcome.
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn settle(
        &self,
        settlement: &AttemptSettlement,
        event: Option<ProviderEventId>,
    ) -> Result<SettlementOutcome, PortError>;

    /// Gives a claimed collection back after a failure that says nothing about the card (the
    /// provider could not be reached): it is due again at `retry_at`, same attempt, same key.
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn release(
        &self,
        organization: OrganizationId,
        invoice: Uuid,
        retry_at: DateTime<Utc>,
    ) -> Result<(), PortError>;

    /// The attempt the provider's payment id (or, before the provider answered, the
    /// Tollgate ids in its metadata) names.
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn find_attempt(
        &self,
        reference: &AttemptReference,
    ) -> Result<Option<AttemptRecord>, PortError>;

    /// Applies a card change and records the event's id, in one transaction. Answers whether
    /// a payment customer was found.
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn change_card(
        &self,
        change: &CardChange,
        event: &ProviderEventId,
        at: DateTime<Utc>,
    ) -> Result<bool, PortError>;

    /// Sets (or clears, with `None`) the card charged off-session, with its audit record, in
    /// one transaction; a new card makes the customer's failed collections due at `at`.
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn set_default_card(
        &self,
        organization: OrganizationId,
        customer: Uuid,
        payment_method: Option<String>,
        at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), PortError>;

    /// Records an event that changes nothing (unknown, or about no Tollgate object), so that
    /// it is counted once. Answers `false` when its id was already recorded.
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn record_event(&self, event: &ProviderEventId) -> Result<bool, PortError>;

    /// Whether the event was applied already.
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn event_seen(&self, event: &ProviderEventId) -> Result<bool, PortError>;

    /// The organization's attempts that `filter` lets through, newest first, from `before`
    /// (an attempt id).
    ///
    /// # Errors
    /// `PortError` when the database fails.
    async fn attempts(
        &self,
        organization: OrganizationId,
        filter: AttemptFilter,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<AttemptRecord>, PortError>;
}

/// What claiming one invoice's collection found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvoiceClaim {
    Claimed(Box<Collection>),
    Busy,
    NotCollectable,
}

/// Which attempts a list shows; `None` lets any through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttemptFilter {
    /// Only the attempts at this invoice.
    pub invoice: Option<Uuid>,
    /// Only the attempts in this status.
    pub status: Option<AttemptStatus>,
}

/// A provider event's identity, stored with its effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderEventId {
    pub id: String,
    pub event_type: String,
}

/// How a provider event names an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptReference {
    ProviderPayment(String),
    Tollgate { invoice: Uuid, attempt: u32 },
}
