//! The one place where errors become HTTP answers.
//!
//! Every error body is `{"error": {"code": "...", "message": "..."}}` with a stable,
//! machine-readable `code`. 5xx bodies say nothing about internals; the details go to the log
//! through the request's span.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use serde::Serialize;
use tollgate_adapters::litellm::{AlertError, BodyError};
use tollgate_application::{AppError, PortError};

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
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
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
            // The engine's own words: they describe the client's data, not our internals.
            AppError::Port(PortError::Refused { service, reason }) => Self::Invalid {
                code: "billing_engine_refused",
                message: format!("{service} refused the request: {reason}"),
            },
            AppError::Port(PortError::Unavailable { service, reason }) => {
                Self::Unavailable(format!("{service}: {reason}"))
            }
            AppError::Port(PortError::Internal { service, reason }) => {
                Self::Internal(format!("{service}: {reason}"))
            }
            AppError::Conflict { code, message } => Self::Conflict { code, message },
            AppError::Unprocessable { code, message } => Self::Invalid { code, message },
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

/// Seconds a client should wait before retrying a 503.
const RETRY_AFTER_SECS: &str = "2";

impl ApiError {
    fn code(&self) -> &str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::InvalidSignature => "invalid_signature",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::InvalidBody(error) => error.code,
            Self::InvalidAlert(error) => error.code(),
            Self::UnreadableBody(_) => "unreadable_body",
            Self::NotFound | Self::Missing { .. } => "not_found",
            Self::Forbidden(_) => "forbidden",
            Self::Invalid { code, .. }
            | Self::Malformed { code, .. }
            | Self::Conflict { code, .. } => code,
            Self::TooManyRequests => "too_many_requests",
            Self::Extractor(_) => "invalid_request",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::Unavailable(_) => {
                "the service cannot store data right now; retry later".to_owned()
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
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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
            Self::Unavailable(_) => {
                response.insert_header(("Retry-After", RETRY_AFTER_SECS));
            }
            Self::TooManyRequests => {
                response.insert_header(("Retry-After", "60"));
            }
            Self::Unauthorized => {
                response.insert_header(("WWW-Authenticate", "Bearer"));
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
mod tests {
    use actix_web::body::to_bytes;

    use super::*;

    async fn body_of(error: ApiError) -> serde_json::Value {
        let bytes = to_bytes(error.error_response().into_body()).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[actix_web::test]
    async fn server_errors_hide_their_details() {
        let body = body_of(ApiError::Internal("password=hunter2 at db:5432".into())).await;
        assert_eq!(body["error"]["code"], "internal_error");
        assert!(!body.to_string().contains("hunter2"));

        let error = ApiError::Unavailable("postgres: connection refused 10.0.0.5".into());
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get("Retry-After").unwrap(), "2");
        let body = body_of(error).await;
        assert!(!body.to_string().contains("10.0.0.5"));
    }

    #[actix_web::test]
    async fn client_errors_carry_a_code_a_message_and_a_position() {
        let error = ApiError::InvalidBody(BodyError {
            code: "invalid_json",
            message: "expected value".into(),
            line: Some(3),
            column: Some(7),
        });
        assert_eq!(error.status_code(), StatusCode::BAD_REQUEST);
        let body = body_of(error).await;
        assert_eq!(body["error"]["code"], "invalid_json");
        assert_eq!(body["error"]["line"], 3);
        assert_eq!(body["error"]["column"], 7);
    }
}
