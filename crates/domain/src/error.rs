//! The domain's errors: each says what is wrong with a value, in words a client can act on.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} is too long ({len} characters, at most {max})")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{field} must not be negative, got {value}")]
    Negative { field: &'static str, value: String },
    #[error("{field} is not a valid number: `{text}`")]
    NotANumber { field: &'static str, text: String },
    #[error("{field} is out of range: `{text}`")]
    OutOfRange { field: &'static str, text: String },
    #[error("`{url}` cannot be a webhook target: {reason}")]
    UnsafeUrl { url: String, reason: String },
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("unknown role `{0}` (owner, admin, billing, viewer, customer)")]
    UnknownRole(String),
    #[error(
        "unknown scope `{0}` (usage:read, billing:read, billing:write, settings:write, events:write)"
    )]
    UnknownScope(String),
    #[error("`{0}` is not a valid organization slug (lower-case letters, digits and dashes)")]
    InvalidSlug(String),
    #[error("unknown currency `{0}`: give its ISO 4217 code with its minor units")]
    UnknownCurrency(String),
    #[error("currency mismatch: expected {expected}, got {found}")]
    CurrencyMismatch { expected: String, found: String },
    #[error("pricing tiers: {0}")]
    InvalidTiers(crate::billing::TierError),
    #[error("{field} is too large to compute")]
    Overflow { field: &'static str },
    #[error("cannot {action} a {status} invoice")]
    InvoiceStatus {
        action: &'static str,
        status: &'static str,
    },
}
