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
    #[error(
        "{field} `{text}` cannot be stored exactly: at most {max_scale} decimal places and 28 \
         significant digits"
    )]
    TooPrecise {
        field: &'static str,
        text: String,
        max_scale: u32,
    },
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

impl DomainError {
    /// A stable, machine-readable name for what is wrong, for API clients to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty { .. } => "empty_value",
            Self::TooLong { .. } => "value_too_long",
            Self::Negative { .. } => "negative_value",
            Self::NotANumber { .. } => "not_a_number",
            Self::OutOfRange { .. } => "out_of_range",
            Self::TooPrecise { .. } => "too_precise",
            Self::UnsafeUrl { .. } => "unsafe_url",
            Self::Invalid { .. } => "invalid_value",
            Self::UnknownRole(_) => "unknown_role",
            Self::UnknownScope(_) => "unknown_scope",
            Self::InvalidSlug(_) => "invalid_slug",
            Self::UnknownCurrency(_) => "unknown_currency",
            Self::CurrencyMismatch { .. } => "currency_mismatch",
            Self::InvalidTiers(_) => "invalid_tiers",
            Self::Overflow { .. } => "value_too_large",
            Self::InvoiceStatus { .. } => "invalid_invoice_state",
        }
    }

    /// Whether the value is fine but the state of what it applies to refuses it (a conflict,
    /// not bad input).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::InvoiceStatus { .. })
    }
}
