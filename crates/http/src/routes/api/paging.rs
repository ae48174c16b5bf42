//! Keyset pages of the billing lists: `?after=<id>&limit=` in, `{"data": [...], "next_after":
//! <id of the last row, or null on the last page>}` out.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// Rows a page holds when the request does not say, and at most.
const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub after: Option<Uuid>,
    pub limit: Option<i64>,
}

impl PageQuery {
    /// The page size asked for, within 1..=1000.
    pub fn limit(&self) -> i64 {
        clamped(self.limit)
    }
}

/// `requested` rows, within 1..=1000 (100 when not given).
pub fn clamped(requested: Option<i64>) -> i64 {
    requested.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
}

/// The page's answer: a full page names its last id as the next page's `after`.
pub fn answer<T: Serialize>(data: &[T], limit: i64, last: Option<Uuid>) -> HttpResponse {
    let full = i64::try_from(data.len()).ok() == Some(limit);
    let next = full.then_some(last).flatten();
    HttpResponse::Ok().json(json!({ "data": data, "next_after": next }))
}
