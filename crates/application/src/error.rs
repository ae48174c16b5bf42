//! Errors of the application layer: what ports report and what use cases answer.

use thiserror::Error;
use tollgate_domain::DomainError;

/// What any port may report; adapters translate their technology's errors into these.
#[derive(Debug, Error)]
pub enum PortError {
    /// The backing system cannot be reached or is overloaded; the same call may succeed later.
    #[error("{service} is unavailable: {reason}")]
    Unavailable {
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
    /// Anything else: a bug or a broken invariant. Never shown to clients.
    #[error("{service} failed: {reason}")]
    Internal {
        service: &'static str,
        reason: String,
    },
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
    Conflict { code: &'static str, message: String },
    /// The request names something that does not exist or cannot be used (422): an unknown
    /// plan or customer, an upgrade to the plan already in place.
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
}
