//! Errors of the application layer: what ports report and what use cases answer.

use std::time::Duration;

use thiserror::Error;
use tollgate_domain::{DomainError, ErrorCode};

/// What any port may report; adapters translate their technology's errors into these.
///
/// The three upstream kinds (`Unavailable`, `TimedOut`, `InvalidAnswer`) are told apart
/// because callers answer them differently: the first is worth retrying after a while, the
/// second may have taken effect, the third will not improve by asking again. Every `reason` is
/// for the log only: it may quote what an outside system answered.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PortError {
    /// The backing system cannot be reached, or said it is failing or overloaded (5xx, 429),
    /// or the database reported a transient failure (a deadlock, a serialization failure, a
    /// lock or statement timeout, a shutdown, too many connections): the same call may
    /// succeed later, after `retry_after` when the system said how long.
    #[error("{service} is unavailable: {reason}")]
    Unavailable {
        service: &'static str,
        reason: String,
        retry_after: Option<Duration>,
    },
    /// No answer within the time allowed: whether the system acted on the call is unknown.
    #[error("{service} did not answer in time: {reason}")]
    TimedOut {
        service: &'static str,
        reason: String,
    },
    /// The system answered, but with something that cannot be read or that breaks its
    /// documented contract (a wrong JSON shape, a cut-off body, a status its API never gives).
    #[error("{service} answered something Tollgate cannot read: {reason}")]
    InvalidAnswer {
        service: &'static str,
        reason: String,
    },
    /// The outside system understood the request and refused it (Lago's 422): retrying the
    /// same request will not help. `reason` is the system's own explanation, safe to show.
    #[error("{service} refused the request: {reason}")]
    Refused {
        service: &'static str,
        reason: String,
    },
    /// The store refused a value as malformed or outside what it can hold (PostgreSQL's
    /// SQLSTATE class 22: a number too large for its column, an impossible date). The request
    /// is at fault, not Tollgate: the same request will fail again.
    #[error("{service} refused a value: {reason}")]
    InvalidInput {
        service: &'static str,
        reason: String,
    },
    /// The change clashes with a stored record (a unique or exclusion constraint). `code` and
    /// `meaning` say which rule in the client's words, never quoting the stored values;
    /// `reason` (the constraint, the database's own text) is for the log.
    #[error("{service}: {meaning} ({reason})")]
    Conflict {
        service: &'static str,
        code: ErrorCode,
        meaning: &'static str,
        reason: String,
    },
    /// Anything else: a bug or a broken invariant. Never shown to clients.
    #[error("{service} failed: {reason}")]
    Internal {
        service: &'static str,
        reason: String,
    },
}

impl PortError {
    /// `Unavailable` without a time to wait: the system said nothing about when to come back.
    pub fn unavailable(service: &'static str, reason: impl Into<String>) -> Self {
        Self::Unavailable {
            service,
            reason: reason.into(),
            retry_after: None,
        }
    }
}

/// What a use case answers when it cannot do what was asked.
#[derive(Debug, Error)]
pub enum AppError {
    #[error("missing or invalid credentials")]
    Unauthorized,
    #[error(transparent)]
    Invalid(#[from] DomainError),
    #[error(transparent)]
    Port(#[from] PortError),
    /// The request is valid but the state it applies to refuses it (409): a taken code, a
    /// customer that already has a live subscription, a subscription already terminated.
    #[error("{message}")]
    Conflict { code: ErrorCode, message: String },
    /// The request names something that does not exist or cannot be used (422): an unknown
    /// plan or customer, an upgrade to the plan already in place.
    #[error("{message}")]
    Unprocessable { code: ErrorCode, message: String },
    /// What was asked for existed but is gone for good (410): an export past its download
    /// window.
    #[error("{message}")]
    Gone { code: ErrorCode, message: String },
}
