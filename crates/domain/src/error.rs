//! The domain's errors: each says what is wrong with a value, in words a client can act on.

use thiserror::Error;

use crate::ErrorCode;

/// How much of a client's text an error message may repeat.
pub const ECHO_LIMIT: usize = 64;

/// `text` as an error message may quote it: whole when short, else its first
/// [`ECHO_LIMIT`] characters marked as cut. A message must not carry a client's megabyte back.
pub fn cut(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(ECHO_LIMIT) {
        None => text.into(),
        Some((end, _)) => format!("{}… (cut)", &text[..end]).into(),
    }
}

/// `message` with every quoted part (`"…"`, with backslash escapes, or `` `…` ``) cut as
/// [`cut`] cuts it. For the messages of other crates (serde, validator, actix's extractors),
/// which quote what they were given whole; an unclosed quote runs to the end.
pub fn cut_quoted(message: &str) -> std::borrow::Cow<'_, str> {
    let mut out = String::with_capacity(message.len().min(1024));
    let mut rest = message;
    let mut changed = false;
    while let Some(open) = rest.find(['"', '`']) {
        let quote = rest[open..].chars().next().unwrap_or('"');
        out.push_str(&rest[..=open]);
        let inner_start = open + 1;
        let mut escaped = false;
        let close = rest[inner_start..]
            .char_indices()
            .find(|&(_, c)| {
                let closes = c == quote && !escaped;
                escaped = quote == '"' && c == '\\' && !escaped;
                closes
            })
            .map(|(i, _)| inner_start + i);
        let inner = &rest[inner_start..close.unwrap_or(rest.len())];
        let kept = cut(inner);
        changed |= kept.len() != inner.len();
        out.push_str(&kept);
        match close {
            Some(close) => {
                out.push(quote);
                rest = &rest[close + 1..];
            }
            None => rest = "",
        }
    }
    if !changed {
        return message.into();
    }
    out.push_str(rest);
    out.into()
}

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
    #[error("{field} must not be negative, got {}", cut(.value))]
    Negative { field: &'static str, value: String },
    #[error("{field} is not a valid number: `{}`", cut(.text))]
    NotANumber { field: &'static str, text: String },
    #[error("{field} is out of range: `{}`", cut(.text))]
    OutOfRange { field: &'static str, text: String },
    #[error(
        "{field} `{}` cannot be stored exactly: at most {max_scale} decimal places and 28 \
         significant digits",
        cut(.text)
    )]
    TooPrecise {
        field: &'static str,
        text: String,
        max_scale: u32,
    },
    #[error("`{}` cannot be a webhook target: {reason}", cut(.url))]
    UnsafeUrl { url: String, reason: String },
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("unknown webhook event type `{}`", cut(.0))]
    UnknownEventType(String),
    #[error("unknown role `{}` (owner, admin, billing, viewer, customer)", cut(.0))]
    UnknownRole(String),
    #[error(
        "unknown scope `{}` (usage:read, billing:read, billing:write, settings:write, events:write)",
        cut(.0)
    )]
    UnknownScope(String),
    #[error(
        "`{}` is not a valid organization slug (lower-case letters, digits and dashes)",
        cut(.0)
    )]
    InvalidSlug(String),
    #[error(
        "unknown currency `{}`: give its ISO 4217 code with its minor units",
        cut(.0)
    )]
    UnknownCurrency(String),
    #[error("currency mismatch: expected {expected}, got {}", cut(.found))]
    CurrencyMismatch { expected: String, found: String },
    #[error("pricing tiers: {0}")]
    InvalidTiers(crate::billing::TierError),
    #[error("dunning policy: {0}")]
    InvalidDunning(crate::payment::DunningError),
    #[error("{field} is too large to compute")]
    Overflow { field: &'static str },
    #[error("{amount} {currency} cannot be sent to the payment provider exactly: {reason}")]
    AmountNotRepresentable {
        amount: String,
        currency: String,
        reason: &'static str,
    },
    #[error("cannot {action} a {status} invoice")]
    InvoiceStatus {
        action: &'static str,
        status: &'static str,
    },
}

impl DomainError {
    /// A stable, machine-readable name for what is wrong, for API clients to branch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Empty { .. } => ErrorCode::EmptyValue,
            Self::TooLong { .. } => ErrorCode::ValueTooLong,
            Self::Negative { .. } => ErrorCode::NegativeValue,
            Self::NotANumber { .. } => ErrorCode::NotANumber,
            Self::OutOfRange { .. } => ErrorCode::OutOfRange,
            Self::TooPrecise { .. } => ErrorCode::TooPrecise,
            Self::UnsafeUrl { .. } => ErrorCode::UnsafeUrl,
            Self::UnknownEventType(_) => ErrorCode::UnknownEventType,
            Self::Invalid { .. } => ErrorCode::InvalidValue,
            Self::UnknownRole(_) => ErrorCode::UnknownRole,
            Self::UnknownScope(_) => ErrorCode::UnknownScope,
            Self::InvalidSlug(_) => ErrorCode::InvalidSlug,
            Self::UnknownCurrency(_) => ErrorCode::UnknownCurrency,
            Self::CurrencyMismatch { .. } => ErrorCode::CurrencyMismatch,
            Self::InvalidTiers(_) => ErrorCode::InvalidTiers,
            Self::InvalidDunning(_) => ErrorCode::InvalidDunningPolicy,
            Self::Overflow { .. } => ErrorCode::ValueTooLarge,
            Self::AmountNotRepresentable { .. } => ErrorCode::AmountNotRepresentable,
            // Paying twice is its own code: a client retrying a recorded payment can tell it
            // from paying a draft or a voided invoice.
            Self::InvoiceStatus {
                action: "pay",
                status: "paid",
            } => ErrorCode::InvoiceAlreadyPaid,
            Self::InvoiceStatus { .. } => ErrorCode::InvalidInvoiceState,
        }
    }

    /// Whether the value is fine but the state of what it applies to refuses it (a conflict,
    /// not bad input).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::InvoiceStatus { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_quote_at_most_64_characters_of_the_input() {
        let long = "9".repeat(10_000);
        let message = DomainError::NotANumber {
            field: "amount",
            text: format!("{long}x"),
        }
        .to_string();
        assert!(message.len() < 150, "{message}");
        assert!(message.contains(&"9".repeat(ECHO_LIMIT)) && message.contains("(cut)"));
        let short = DomainError::UnknownCurrency("XYZ".into()).to_string();
        assert!(short.contains("`XYZ`") && !short.contains("cut"), "{short}");
        assert_eq!(cut(&"é".repeat(65)), format!("{}… (cut)", "é".repeat(64)));
    }

    #[test]
    fn quoted_parts_of_other_messages_are_cut_and_the_rest_kept() {
        let long = "a".repeat(10_000);
        let kept = "a".repeat(ECHO_LIMIT);
        assert_eq!(
            cut_quoted(&format!(
                "invalid type: string \"{long}\", expected u32 at line 1 column 10010"
            )),
            format!("invalid type: string \"{kept}… (cut)\", expected u32 at line 1 column 10010")
        );
        assert_eq!(
            cut_quoted(&format!("unknown field `{long}`, expected `from` or `to`")),
            format!("unknown field `{kept}… (cut)`, expected `from` or `to`")
        );
        // An escaped quote does not end the quoted part; an unclosed one runs to the end.
        let escaped = format!("\\\"{long}");
        assert_eq!(
            cut_quoted(&format!("value \"{escaped}\" refused")),
            format!(
                "value \"\\\"{}… (cut)\" refused",
                "a".repeat(ECHO_LIMIT - 2)
            )
        );
        assert_eq!(
            cut_quoted(&format!("cut off: `{long}")),
            format!("cut off: `{kept}… (cut)")
        );
        let short = "unknown field `colour`, expected \"from\"";
        assert!(matches!(cut_quoted(short), std::borrow::Cow::Borrowed(s) if s == short));
    }
}
