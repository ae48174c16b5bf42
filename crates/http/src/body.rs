//! Reading request bodies so that memory stays bounded whatever clients do.
//!
//! Two clients used to be able to exhaust the process: one that declares a large body, sends a
//! few bytes and goes silent (it held its connection and buffer for as long as it liked), and
//! many that send large bodies at once (16 concurrent 30 MiB bodies lifted the RSS by half a
//! gigabyte). Every body is now read under a deadline (`server.body_timeout_secs`: 408, and
//! the connection is closed) and under a process-wide budget of body bytes in flight
//! (`server.max_inflight_body_bytes`): a request whose body would pass it is answered 503
//! with `Retry-After` before a byte of it is read.

use std::{sync::Arc, time::Duration};

use actix_web::{HttpRequest, http::header, web};
use futures_util::StreamExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;

/// How soon a client refused for the budget should try again.
const BUDGET_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Bytes of the budget a body holds until it is dropped.
pub struct BodyPermit(#[allow(dead_code)] OwnedSemaphorePermit);

#[derive(Clone)]
pub struct BodyReader {
    timeout: Duration,
    budget: Arc<Semaphore>,
    budget_bytes: usize,
}

impl BodyReader {
    pub fn new(timeout: Duration, max_inflight_bytes: usize) -> Self {
        let budget_bytes = max_inflight_bytes.min(Semaphore::MAX_PERMITS);
        Self {
            timeout,
            budget: Arc::new(Semaphore::new(budget_bytes)),
            budget_bytes,
        }
    }

    /// The whole body, at most `limit` bytes, with its share of the budget: the declared length
    /// (or `limit` when none is declared, since a chunked body may grow to it), held until the
    /// permit is dropped.
    ///
    /// # Errors
    /// 413 past `limit`, 503 when the budget cannot take it now, 408 when the body has not
    /// arrived within the deadline, 400 when the connection fails mid-body.
    pub async fn read(
        &self,
        request: &HttpRequest,
        mut payload: web::Payload,
        limit: usize,
    ) -> Result<(web::Bytes, BodyPermit), ApiError> {
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|length| length > limit) {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        let share = declared.unwrap_or(limit).min(self.budget_bytes);
        let permit = u32::try_from(share)
            .ok()
            .and_then(|share| Arc::clone(&self.budget).try_acquire_many_owned(share).ok())
            .ok_or_else(|| ApiError::Unavailable {
                reason: "too many request bodies in flight".into(),
                retry_after: Some(BUDGET_RETRY_AFTER),
            })?;
        let read = async {
            let mut body = web::BytesMut::with_capacity(declared.unwrap_or(8 * 1024).min(limit));
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| ApiError::UnreadableBody(e.to_string()))?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge { limit });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body.freeze())
        };
        match tokio::time::timeout(self.timeout, read).await {
            Ok(body) => Ok((body?, BodyPermit(permit))),
            Err(_) => Err(ApiError::BodyTimeout {
                secs: self.timeout.as_secs(),
            }),
        }
    }
}
