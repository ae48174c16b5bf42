//! One page shape for every `/api` list: `?limit=` (1 to 500, 100 when absent) and `?cursor=`
//! in, `{"data": [...], "next_cursor": <opaque text, or null on the last page>}` out.
//!
//! A cursor is base64url of `1|<list>|<key>`: the format's version, the list that handed it
//! out (a customers cursor given to the plans list is refused, not misread) and the position
//! the list resumes after, in the list's own sort order (its last row's sort key: an id, a
//! sequence, or creation time and id where ids do not follow creation). Clients must not read
//! or build one: the format may change.

mod cursor;

use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, web};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::json;
use tollgate_domain::{ErrorCode, error::cut};

pub use cursor::CursorKey;

use crate::error::ApiError;

/// Rows a page holds when the request does not say.
pub const DEFAULT_LIMIT: i64 = 100;
/// The most rows one page may ask for.
pub const MAX_LIMIT: i64 = 500;

/// What one list request asks for: how many rows, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    limit: i64,
    cursor: Option<String>,
}

/// A list request: its [`Page`] and the list's own filters `F`, read from every other query
/// parameter (`F` refuses unknown ones). Like [`Checked`](crate::extract::Checked), it always
/// extracts, so a malformed query is answered only once the caller has been authorized.
pub struct Paged<F = NoFilter>(Result<(Page, F), ApiError>);

/// The filters of a list that has none: any other parameter is refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoFilter {}

impl<F> Paged<F> {
    /// The page and the filters.
    ///
    /// # Errors
    /// `invalid_limit`, `invalid_cursor` (given twice) or `invalid_query` (422, 422, 400).
    pub fn open(self) -> Result<(Page, F), ApiError> {
        self.0
    }
}

impl<F: DeserializeOwned> FromRequest for Paged<F> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self(parse(request.query_string()))))
    }
}

fn parse<F: DeserializeOwned>(query: &str) -> Result<(Page, F), ApiError> {
    let (mut limit, mut cursor) = (None, None);
    let mut rest = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let (slot, refusal): (_, fn() -> ApiError) = match name.as_ref() {
            "limit" => (&mut limit, invalid_limit),
            "cursor" => (&mut cursor, invalid_cursor),
            _ => {
                rest.append_pair(&name, &value);
                continue;
            }
        };
        // Which of two values was meant cannot be told.
        if slot.replace(value.into_owned()).is_some() {
            return Err(refusal());
        }
    }
    let limit = match limit {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .ok_or_else(invalid_limit)?,
    };
    let filter = web::Query::<F>::from_query(&rest.finish())
        .map_err(|error| ApiError::Malformed {
            code: ErrorCode::InvalidQuery,
            message: format!(
                "the query string cannot be read: {}",
                cut(&error.to_string())
            ),
        })?
        .into_inner();
    Ok((Page { limit, cursor }, filter))
}

fn invalid_limit() -> ApiError {
    ApiError::Invalid {
        code: ErrorCode::InvalidLimit,
        message: format!("`limit` must be a whole number from 1 to {MAX_LIMIT}"),
    }
}

/// A cursor this list did not hand out. Its text is not repeated: it may be anything.
pub fn invalid_cursor() -> ApiError {
    ApiError::Invalid {
        code: ErrorCode::InvalidCursor,
        message: "`cursor` is not one this list handed out; start again without it".to_owned(),
    }
}

impl Page {
    /// A page asked for some other way than the API's query (the dashboard's `?after=`):
    /// `limit` rows from `cursor`.
    pub fn new(limit: i64, cursor: Option<String>) -> Self {
        Self {
            limit: limit.clamp(1, MAX_LIMIT),
            cursor,
        }
    }

    /// The rows the page holds at most.
    pub fn limit(&self) -> i64 {
        self.limit
    }

    /// The rows to read: one more than the page holds, to tell whether another page follows
    /// (so the last page says so itself, instead of an empty page after it).
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// Where `list` resumes: the key in the cursor it handed out, `None` on the first page.
    ///
    /// # Errors
    /// `invalid_cursor` for anything else.
    pub fn after<K: CursorKey>(&self, list: &str) -> Result<Option<K>, ApiError> {
        self.cursor
            .as_deref()
            .map(|text| cursor::decode(list, text).ok_or_else(invalid_cursor))
            .transpose()
    }

    /// The page's rows of `rows` (read with [`Page::fetch`]), and the cursor after the last
    /// of them when more follow.
    pub fn split<R, K: CursorKey>(
        &self,
        list: &str,
        mut rows: Vec<R>,
        key: impl Fn(&R) -> K,
    ) -> (Vec<R>, Option<String>) {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = rows
            .last()
            .filter(|_| more)
            .map(|last| cursor::encode(list, &key(last)));
        (rows, next)
    }
}

/// The cursor `list` hands out to resume after `key`, for lists whose store decides itself
/// whether another page follows.
pub fn next_cursor<K: CursorKey>(list: &str, key: &K) -> String {
    cursor::encode(list, key)
}

/// The answer of every list.
pub fn answer<T: Serialize>(data: &[T], next_cursor: Option<String>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "data": data, "next_cursor": next_cursor }))
}

#[cfg(test)]
mod tests;
