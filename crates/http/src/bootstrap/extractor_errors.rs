//! actix's own extractors answer plain-text errors; these configurations make a malformed
//! query string or path answer the API's JSON error with a stable code instead (JSON bodies
//! go through `extract::ApiJson`).

use actix_web::web;

use tollgate_domain::ErrorCode;

use crate::error::ApiError;

pub(super) fn query() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _| {
        ApiError::Malformed {
            code: ErrorCode::InvalidQuery,
            message: error.to_string(),
        }
        .into()
    })
}

pub(super) fn path() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error, _| {
        ApiError::Malformed {
            code: ErrorCode::InvalidPath,
            message: error.to_string(),
        }
        .into()
    })
}
