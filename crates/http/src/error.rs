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
//! the system, never what it said; a 503 or 504 also says what became of the request
//! ([`upstream`]).
//!
//! Every code is an [`ErrorCode`] and its status is given by [`status`] alone, so a code means
//! the same status wherever it is answered; `docs/api.md` lists them (checked by a test).
//! A 500 says only that something broke and the request's id, to be quoted in a report.

use std::time::Duration;

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use serde::Serialize;
use tollgate_adapters::litellm::{AlertError, BodyError};
use tollgate_application::{AppError, ports::AuthError};
use tollgate_domain::{ErrorCode, error::cut_quoted};

use crate::middleware::{current_method, current_request_id};

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
    /// The path exists, but not with this method; `allowed` is the `Allow` header's value.
    #[error("this path takes {allowed} only")]
    MethodNotAllowed { allowed: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("{what} not found")]
    Missing { what: &'static str },
    #[error("{message}")]
    Invalid { code: ErrorCode, message: String },
    /// The request is valid but clashes with what is stored (a taken unique id).
    #[error("{message}")]
    Conflict { code: ErrorCode, message: String },
    /// A request whose JSON body, query string, path or headers could not even be read, or
    /// that the route does not take (wrong method, wrong content type): the code's status.
    #[error("{message}")]
    Malformed { code: ErrorCode, message: String },
    /// An extractor's own error, already shaped as this API's error by its configuration.
    #[error("{0}")]
    Extractor(actix_web::Error),
    #[error("too many failed authentications; wait a minute")]
    TooManyRequests,
    /// A feature whose outside system is not configured here (card payments without
    /// Stripe): the code names it, and no retry will help until the operator sets it up.
    #[error("{message}")]
    NotConfigured { code: ErrorCode, message: String },
    /// A system Tollgate depends on cannot answer now; `retry_after` is its own estimate.
    #[error("temporarily unavailable: {reason}")]
    Unavailable {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// As `Unavailable`, an outside system (OpenMeter, Lago, Ory), which the answer names.
    #[error("{service} is unavailable: {reason}")]
    UpstreamUnavailable {
        service: &'static str,
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
    /// `/readyz` after SIGTERM, while the replica still serves but wants no new traffic.
    #[error("shutting down: this replica drains before it stops; use another")]
    ShuttingDown,
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
            AppError::Unprocessable { code, message } | AppError::Gone { code, message } => {
                Self::Invalid { code, message }
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

/// A request body that breaks a declared rule (lengths, ranges). validator's message lists
/// the refused value among its parameters, quoted whole: the quoted parts are cut.
impl From<validator::ValidationErrors> for ApiError {
    fn from(error: validator::ValidationErrors) -> Self {
        Self::Invalid {
            code: ErrorCode::InvalidRequest,
            message: cut_quoted(&error.to_string()).into_owned(),
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
    /// Only on a 500: the `x-request-id` under which the log holds what went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

/// The HTTP status of every code: one code, one status, wherever it is answered.
pub fn status(code: ErrorCode) -> StatusCode {
    use ErrorCode as C;
    match code {
        C::InvalidJson
        | C::EmptyBody
        | C::EmptyBatch
        | C::UnreadableBody
        | C::InvalidQuery
        | C::InvalidPath
        | C::InvalidHeader
        | C::MissingEvent
        | C::UnknownEvent
        | C::InvalidWebhook => StatusCode::BAD_REQUEST,
        C::Unauthorized | C::InvalidSignature => StatusCode::UNAUTHORIZED,
        C::Forbidden | C::CsrfFailed => StatusCode::FORBIDDEN,
        C::NotFound => StatusCode::NOT_FOUND,
        C::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        C::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
        C::Conflict
        | C::CustomerExists
        | C::PlanExists
        | C::PlanChanged
        | C::MembershipExists
        | C::LastOwner
        | C::SubscriptionExists
        | C::ExternalIdTaken
        | C::OverlapsPreviousSubscription
        | C::SubscriptionTerminated
        | C::SubscriptionNotStarted
        | C::SubscriptionChanged
        | C::InvoiceNotPaid
        | C::InvoiceAlreadyPaid
        | C::InvalidInvoiceState
        | C::InvoiceNotPayable
        | C::NoPaymentMethod
        | C::PaymentInProgress
        | C::IdempotencyKeyInUse
        | C::ExportPending => StatusCode::CONFLICT,
        C::DownloadExpired => StatusCode::GONE,
        C::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        C::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        C::InvalidRequest
        | C::InvalidLimit
        | C::InvalidCursor
        | C::MissingField
        | C::InvalidIdempotencyKey
        | C::IdempotencyKeyReused
        | C::InvalidText
        | C::InvalidValue
        | C::EmptyValue
        | C::ValueTooLong
        | C::ValueTooLarge
        | C::NegativeValue
        | C::NotANumber
        | C::OutOfRange
        | C::TooPrecise
        | C::UnsafeUrl
        | C::UnknownEventType
        | C::MovedField
        | C::InvalidReturnUrl
        | C::UnknownRole
        | C::UnknownScope
        | C::InvalidSlug
        | C::UnknownCurrency
        | C::CurrencyMismatch
        | C::InvalidTiers
        | C::InvalidDunningPolicy
        | C::UnknownTimeZone
        | C::ChargesRequired
        | C::EffectiveTimeUnsupported
        | C::CustomerRequired
        | C::UnknownIdentity
        | C::ArchiveUnsupported
        | C::EngineReadUnsupported
        | C::UnknownPlan
        | C::UnknownCustomer
        | C::PlanArchived
        | C::SamePlan
        | C::NotAnUpgrade
        | C::BillingEngineRefused
        | C::AmountNotRepresentable
        | C::PaymentProviderRefused
        | C::UnknownPurpose
        | C::StaleNoticeVersion => StatusCode::UNPROCESSABLE_ENTITY,
        C::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        C::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
        C::UpstreamInvalidAnswer => StatusCode::BAD_GATEWAY,
        C::Unavailable | C::ShuttingDown | C::PaymentsNotConfigured => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        C::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
    }
}

/// Seconds a client should wait before retrying a 503 when the failing system said nothing.
const RETRY_AFTER_SECS: u64 = 2;

/// `Retry-After` in whole seconds, rounded up so a client never comes back too early.
fn retry_after_secs(wait: Option<Duration>) -> u64 {
    wait.map_or(RETRY_AFTER_SECS, |wait| {
        wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
    })
}

/// The most characters a 4xx message has: every message quotes at most 64 characters of what
/// was sent (`tollgate_domain::error::cut`); this is the guard should one ever quote more.
const MESSAGE_LIMIT: usize = 1024;

fn capped(message: String) -> String {
    match message.char_indices().nth(MESSAGE_LIMIT) {
        None => message,
        Some((end, _)) => format!("{}… (cut)", &message[..end]),
    }
}

impl ApiError {
    /// 503 with the default `Retry-After`.
    pub fn unavailable(reason: impl Into<String>) -> Self {
        Self::Unavailable {
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// The code the body carries; its status follows from it ([`status`]).
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthorized => ErrorCode::Unauthorized,
            Self::InvalidSignature => ErrorCode::InvalidSignature,
            Self::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            Self::InvalidBody(error) => error.code,
            Self::InvalidAlert(error) => error.code(),
            Self::UnreadableBody(_) => ErrorCode::UnreadableBody,
            Self::BodyTimeout { .. } => ErrorCode::BodyTimeout,
            Self::NotFound | Self::Missing { .. } => ErrorCode::NotFound,
            Self::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::Invalid { code, .. }
            | Self::Malformed { code, .. }
            | Self::Conflict { code, .. }
            | Self::NotConfigured { code, .. } => *code,
            Self::TooManyRequests => ErrorCode::TooManyRequests,
            // Never answered as such: the extractor's own response (already this API's JSON
            // error) is sent instead.
            Self::Extractor(_) => ErrorCode::InvalidRequest,
            Self::Unavailable { .. } | Self::UpstreamUnavailable { .. } => ErrorCode::Unavailable,
            Self::UpstreamTimeout { .. } => ErrorCode::UpstreamTimeout,
            Self::UpstreamInvalidAnswer { .. } => ErrorCode::UpstreamInvalidAnswer,
            Self::ShuttingDown => ErrorCode::ShuttingDown,
            Self::Internal(_) => ErrorCode::InternalError,
        }
    }

    pub(crate) fn public_message(&self) -> String {
        match self {
            Self::Unavailable { .. } => "temporarily unavailable; retry later".to_owned(),
            Self::UpstreamUnavailable { service, .. } => {
                upstream::unavailable(service, current_method().as_ref())
            }
            Self::UpstreamTimeout { service, .. } => {
                upstream::timed_out(service, current_method().as_ref())
            }
            Self::UpstreamInvalidAnswer { service, .. } => {
                format!("{service} answered something Tollgate cannot read")
            }
            Self::Internal(_) => match current_request_id() {
                Some(id) => format!("an internal error occurred; quote request id {id}"),
                None => "an internal error occurred".to_owned(),
            },
            other => capped(other.to_string()),
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
            Self::Extractor(error) => error.as_response_error().status_code(),
            other => status(other.code()),
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Extractor(error) = self {
            return error.error_response();
        }
        let (line, column) = self.position();
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::Unavailable { retry_after, .. }
            | Self::UpstreamUnavailable { retry_after, .. } => {
                response.insert_header(("Retry-After", retry_after_secs(*retry_after)));
            }
            Self::ShuttingDown => {
                response.insert_header(("Retry-After", RETRY_AFTER_SECS));
            }
            Self::TooManyRequests => {
                response.insert_header(("Retry-After", "60"));
            }
            Self::Unauthorized => {
                response.insert_header(("WWW-Authenticate", "Bearer"));
            }
            Self::MethodNotAllowed { allowed } => {
                response.insert_header(("Allow", allowed.as_str()));
            }
            // The rest of a body that stalled may still come: the connection cannot be reused.
            Self::BodyTimeout { .. } => {
                response.force_close();
            }
            _ => {}
        }
        let request_id = match self {
            Self::Internal(_) => current_request_id(),
            _ => None,
        };
        response.json(ErrorBody {
            error: ErrorDetail {
                code: self.code().as_str(),
                message: self.public_message(),
                line,
                column,
                request_id,
            },
        })
    }
}

mod port;
mod upstream;

#[cfg(test)]
mod docs;
#[cfg(test)]
mod tests;
