//! actix's own extractors answer plain-text errors; these configurations make a malformed
//! query string or path answer the API's JSON error with a stable code instead (JSON bodies
//! go through `extract::ApiJson`). Their messages quote what they refused (a value, a
//! parameter's name) whole: the quoted parts are cut.

use actix_web::web;

use tollgate_domain::{ErrorCode, error::cut_quoted};

use crate::error::ApiError;

pub(super) fn query() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _| {
        ApiError::Malformed {
            code: ErrorCode::InvalidQuery,
            message: cut_quoted(&error.to_string()).into_owned(),
        }
        .into()
    })
}

pub(super) fn path() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error, _| {
        ApiError::Malformed {
            code: ErrorCode::InvalidPath,
            message: cut_quoted(&error.to_string()).into_owned(),
        }
        .into()
    })
}
