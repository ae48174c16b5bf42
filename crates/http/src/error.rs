//! The one place where errors become HTTP answers.
//!
//! Every error body is `{"error": {"code": "...", "message": "..."}}` with a stable,
//! machine-readable `code`. 5xx bodies say nothing about internals; the details go to the log
//! through the request's span.
//!
//! An outside system (OpenMeter, Lago, Ory) that gives no usable answer is told apart by how
//! it failed, whichever adapter asked it: 503 with `Retry-After` when it cannot be reached or
//! is failing or throttling, 504 `upstream_timeout` when it did not answer in time, 502
//! `upstream_invalid_answer` when it answered something that cannot be read. The body names
//! the system, never what it said.

use std::time::Duration;

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use serde::Serialize;
use tollgate_adapters::litellm::{AlertError, BodyError};
use tollgate_application::{AppError, PortError, ports::AuthError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or invalid credentials")]
    Unauthorized,
    /// A signed webhook (Lago's) whose signature headers are missing or do not verify.
    #[error("the webhook signature is missing or does not verify")]
    InvalidSignature,
    #[error("the body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    InvalidBody(#[from] BodyError),
    #[error("{0}")]
    InvalidAlert(#[from] AlertError),
    #[error("the body could not be read: {0}")]
    UnreadableBody(String),
    /// The body did not arrive within `server.body_timeout_secs`; the connection is closed.
    #[error("the body did not arrive within {secs} s")]
    BodyTimeout { secs: u64 },
    #[error("no such route")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("{what} not found")]
    Missing { what: &'static str },
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// The request is valid but clashes with what is stored (a taken unique id).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A request whose JSON body, query string or path could not even be read.
    #[error("{message}")]
    Malformed { code: &'static str, message: String },
    /// An extractor's own error, already shaped as this API's error by its configuration.
    #[error("{0}")]
    Extractor(actix_web::Error),
    #[error("too many failed authentications; wait a minute")]
    TooManyRequests,
    /// A system Tollgate depends on cannot answer now; `retry_after` is its own estimate.
    #[error("temporarily unavailable: {reason}")]
    Unavailable {
        reason: String,
        retry_after: Option<Duration>,
    },
    #[error("{service} did not answer in time: {reason}")]
    UpstreamTimeout {
        service: &'static str,
        reason: String,
    },
    #[error("{service} answered something Tollgate cannot read: {reason}")]
    UpstreamInvalidAnswer {
        service: &'static str,
        reason: String,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Unauthorized => Self::Unauthorized,
            AppError::Invalid(domain) if domain.is_conflict() => Self::Conflict {
                code: domain.code(),
                message: domain.to_string(),
            },
            AppError::Invalid(domain) => Self::Invalid {
                code: domain.code(),
                message: domain.to_string(),
            },
            AppError::Port(error) => error.into(),
            AppError::Conflict { code, message } => Self::Conflict { code, message },
            AppError::Unprocessable { code, message } => Self::Invalid { code, message },
        }
    }
}

impl From<PortError> for ApiError {
    fn from(error: PortError) -> Self {
        match error {
            // The engine's own words: they describe the client's data, not our internals.
            PortError::Refused { service, reason } => Self::Invalid {
                code: "billing_engine_refused",
                message: format!("{service} refused the request: {reason}"),
            },
            PortError::Unavailable {
                service,
                reason,
                retry_after,
            } => Self::Unavailable {
                reason: format!("{service}: {reason}"),
                retry_after,
            },
            PortError::TimedOut { service, reason } => Self::UpstreamTimeout { service, reason },
            PortError::InvalidAnswer { service, reason } => {
                Self::UpstreamInvalidAnswer { service, reason }
            }
            PortError::Internal { service, reason } => {
                Self::Internal(format!("{service}: {reason}"))
            }
        }
    }
}

/// Why a caller was not let in. `Denied` is answered here too, but the extractor records it in
/// the audit log first.
impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Unauthenticated(_) => Self::Unauthorized,
            AuthError::Forbidden(reason) | AuthError::Denied { reason, .. } => {
                Self::Forbidden(reason)
            }
            AuthError::Upstream(error) => error.into(),
        }
    }
}

/// A value the domain refused: 422 with the domain's own code (`negative_value`,
/// `currency_mismatch`...), or 409 when the value is fine but the state refuses it.
impl From<tollgate_domain::DomainError> for ApiError {
    fn from(error: tollgate_domain::DomainError) -> Self {
        AppError::Invalid(error).into()
    }
}

/// A request body that breaks a declared rule (lengths, ranges).
impl From<validator::ValidationErrors> for ApiError {
    fn from(error: validator::ValidationErrors) -> Self {
        Self::Invalid {
            code: "invalid_request",
            message: error.to_string(),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
}

/// Seconds a client should wait before retrying a 503 when the failing system said nothing.
const RETRY_AFTER_SECS: u64 = 2;

/// `Retry-After` in whole seconds, rounded up so a client never comes back too early.
fn retry_after_secs(wait: Option<Duration>) -> u64 {
    wait.map_or(RETRY_AFTER_SECS, |wait| {
        wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
    })
}

impl ApiError {
    /// 503 with the default `Retry-After`.
    pub fn unavailable(reason: impl Into<String>) -> Self {
        Self::Unavailable {
            reason: reason.into(),
            retry_after: None,
        }
    }

    fn code(&self) -> &str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::InvalidSignature => "invalid_signature",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::InvalidBody(error) => error.code,
            Self::InvalidAlert(error) => error.code(),
            Self::UnreadableBody(_) => "unreadable_body",
            Self::BodyTimeout { .. } => "body_timeout",
            Self::NotFound | Self::Missing { .. } => "not_found",
            Self::Forbidden(_) => "forbidden",
            Self::Invalid { code, .. }
            | Self::Malformed { code, .. }
            | Self::Conflict { code, .. } => code,
            Self::TooManyRequests => "too_many_requests",
            Self::Extractor(_) => "invalid_request",
            Self::Unavailable { .. } => "unavailable",
            Self::UpstreamTimeout { .. } => "upstream_timeout",
            Self::UpstreamInvalidAnswer { .. } => "upstream_invalid_answer",
            Self::Internal(_) => "internal_error",
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::Unavailable { .. } => "temporarily unavailable; retry later".to_owned(),
            Self::UpstreamTimeout { service, .. } => {
                format!("{service} did not answer in time; retry later")
            }
            Self::UpstreamInvalidAnswer { service, .. } => {
                format!("{service} answered something Tollgate cannot read")
            }
            Self::Internal(_) => "an internal error occurred".to_owned(),
            other => other.to_string(),
        }
    }

    fn position(&self) -> (Option<usize>, Option<usize>) {
        match self {
            Self::InvalidBody(error) => (error.line, error.column),
            Self::InvalidAlert(AlertError::InvalidJson { line, column, .. }) => {
                (Some(*line), Some(*column))
            }
            _ => (None, None),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::InvalidSignature => StatusCode::UNAUTHORIZED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::InvalidBody(_)
            | Self::InvalidAlert(_)
            | Self::UnreadableBody(_)
            | Self::Malformed { .. } => StatusCode::BAD_REQUEST,
            Self::NotFound | Self::Missing { .. } => StatusCode::NOT_FOUND,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::Extractor(error) => error.as_response_error().status_code(),
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::UpstreamTimeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            Self::UpstreamInvalidAnswer { .. } => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Extractor(error) = self {
            return error.error_response();
        }
        let (line, column) = self.position();
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::Unavailable { retry_after, .. } => {
                response.insert_header(("Retry-After", retry_after_secs(*retry_after)));
            }
            Self::TooManyRequests => {
                response.insert_header(("Retry-After", "60"));
            }
            Self::Unauthorized => {
                response.insert_header(("WWW-Authenticate", "Bearer"));
            }
            // The rest of a body that stalled may still come: the connection cannot be reused.
            Self::BodyTimeout { .. } => {
                response.force_close();
            }
            _ => {}
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.public_message(),
                line,
                column,
            },
        })
    }
}

#[cfg(test)]
mod tests;
