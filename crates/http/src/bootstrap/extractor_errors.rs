//! actix's own extractors answer plain-text errors; these configurations make a malformed
//! JSON body, query string or path answer the API's JSON error with a stable code instead.

use actix_web::web;

use crate::error::ApiError;

/// JSON bodies of the API are small; webhooks read their bodies themselves.
const JSON_LIMIT_BYTES: usize = 1024 * 1024;

pub(super) fn json() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_LIMIT_BYTES)
        .error_handler(|error, _| {
            ApiError::Malformed {
                code: "invalid_json",
                message: error.to_string(),
            }
            .into()
        })
}

pub(super) fn query() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _| {
        ApiError::Malformed {
            code: "invalid_query",
            message: error.to_string(),
        }
        .into()
    })
}

pub(super) fn path() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error, _| {
        ApiError::Malformed {
            code: "invalid_path",
            message: error.to_string(),
        }
        .into()
    })
}
