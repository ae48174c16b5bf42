//! The billing engine's webhooks in: who signed them, and the view of invoices and
//! subscriptions they keep up to date.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tollgate_domain::{billing::engine_event::ViewUpdate, organization::OrganizationId};

use super::AuditEntry;
use crate::PortError;

/// How a webhook is signed (`X-Lago-Signature-Algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// Base64 of HMAC-SHA256 over the raw body with the organization's HMAC key.
    Hmac,
    /// An RS256 JWT whose `data` claim is the raw body, signed with Lago's key.
    Jwt,
}

impl SignatureAlgorithm {
    /// The header's value (`hmac`, `jwt`), exactly as Lago writes it.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "hmac" => Some(Self::Hmac),
            "jwt" => Some(Self::Jwt),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Hmac => "hmac",
            Self::Jwt => "jwt",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// The signature does not prove the body came from the engine.
    #[error("invalid signature: {0}")]
    Invalid(String),
    /// It cannot be checked now (the engine's public key cannot be fetched): retry later.
    #[error("{service} is unavailable: {reason}")]
    Unavailable {
        service: &'static str,
        reason: String,
    },
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookSignatureVerifier: Send + Sync {
    /// Whether `signature` signs exactly `body` with `algorithm`.
    ///
    /// # Errors
    /// `Invalid` when it does not (or the algorithm is not configured); `Unavailable` when the
    /// key to check it with cannot be had.
    async fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        signature: &str,
        body: &[u8],
    ) -> Result<(), SignatureError>;
}

/// One webhook handled: kept by its unique key so that a repeat is recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookReceipt {
    /// `X-Lago-Unique-Key`.
    pub unique_key: String,
    pub organization: OrganizationId,
    pub webhook_type: String,
    pub object_id: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// What applying a webhook did. In every case but `Duplicate` the receipt is now stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewOutcome {
    /// The view changed.
    Applied,
    /// The unique key was already handled: nothing changed.
    Duplicate,
    /// The view already holds a later state (or the same one).
    Unchanged,
    /// The invoice's customer is not one of the organization's customers.
    UnknownCustomer,
    /// The subscription is not one of the organization's subscriptions.
    UnknownSubscription,
    /// Nothing to apply: an unhandled type or an object the view cannot hold.
    ReceiptOnly,
}

impl ViewOutcome {
    /// The metric label.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Duplicate => "duplicate",
            Self::Unchanged => "unchanged",
            Self::UnknownCustomer => "unknown_customer",
            Self::UnknownSubscription => "unknown_subscription",
            Self::ReceiptOnly => "receipt_only",
        }
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EngineViewStore: Send + Sync {
    /// Stores `receipt` and applies `update` in one transaction, with `audit` when the view
    /// changes: a receipt already stored (the same unique key, even concurrently) changes
    /// nothing, and a failure leaves neither.
    ///
    /// # Errors
    /// `PortError` when the database fails; then nothing was written.
    async fn apply(
        &self,
        receipt: &WebhookReceipt,
        update: &ViewUpdate,
        audit: &AuditEntry,
    ) -> Result<ViewOutcome, PortError>;
}
