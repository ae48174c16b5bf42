//! `Idempotency-Key` on the API's writes: a request retried with the same key gets the first
//! answer instead of running again, for 24 hours and per organization.
//!
//! The first request claims the key; a second one with the same key and the same request
//! (method, path, body) gets the stored answer once there is one, and waits its turn (409)
//! while the first still runs. The same key on another request is refused (422): it would
//! otherwise answer what the client did not ask. 2xx and 4xx answers are kept: retrying them
//! cannot change them. A 5xx lets go of the key, so that a retry runs; so does a request that
//! never answers (its process died), once its lock has expired.

use std::{sync::Arc, time::Duration};

use tollgate_domain::{
    ErrorCode,
    idempotency::{RequestFingerprint, RequestKey},
    organization::OrganizationId,
};

use crate::{
    AppError,
    ports::{Begun, IdempotencyStore, Lease, StoredAnswer},
};

/// How long a key keeps its answer.
pub const KEEP_FOR: Duration = Duration::from_secs(24 * 3600);
/// How long a running request holds its key at most: past it, the request is taken as dead.
pub const LOCK_FOR: Duration = Duration::from_secs(60);

pub struct IdempotencyService {
    store: Arc<dyn IdempotencyStore>,
}

/// A running request that holds its key: what [`IdempotencyService::finish`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    organization: OrganizationId,
    key: RequestKey,
    lease: Lease,
}

/// What a request with a key does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// Runs, then hands its answer to [`IdempotencyService::finish`].
    Run(Claim),
    /// Answers this again: the same request answered it before.
    Replay(StoredAnswer),
}

impl IdempotencyService {
    pub fn new(store: Arc<dyn IdempotencyStore>) -> Self {
        Self { store }
    }

    /// Claims `key` (the header's text) for the request `method path` with `body`.
    ///
    /// # Errors
    /// `AppError::Unprocessable` (`invalid_idempotency_key`, `idempotency_key_reused`),
    /// `AppError::Conflict` (`idempotency_key_in_use`), `AppError::Port`.
    pub async fn begin(
        &self,
        organization: OrganizationId,
        key: &str,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<Start, AppError> {
        let key = RequestKey::parse(key).map_err(|error| AppError::Unprocessable {
            code: ErrorCode::InvalidIdempotencyKey,
            message: error.to_string(),
        })?;
        let fingerprint = RequestFingerprint::of(method, path, body);
        match self
            .store
            .begin(organization, &key, &fingerprint, LOCK_FOR, KEEP_FOR)
            .await?
        {
            Begun::Claimed(lease) => Ok(Start::Run(Claim {
                organization,
                key,
                lease,
            })),
            Begun::Replay(answer) => Ok(Start::Replay(answer)),
            Begun::InUse => Err(AppError::Conflict {
                code: ErrorCode::IdempotencyKeyInUse,
                message: "a request with this Idempotency-Key is still running; retry once it \
                          has answered"
                    .to_owned(),
            }),
            Begun::Reused => Err(AppError::Unprocessable {
                code: ErrorCode::IdempotencyKeyReused,
                message: "this Idempotency-Key was used with another request (method, path or \
                          body) in the last 24 hours; use a new key for a new request"
                    .to_owned(),
            }),
        }
    }

    /// Lets go of the key of a request that did not answer, so that a retry runs.
    pub async fn abandon(&self, claim: Claim) {
        let Claim {
            organization,
            key,
            lease,
        } = claim;
        if let Err(error) = self.store.abandon(organization, &key, lease).await {
            tracing::warn!(%error, "an Idempotency-Key is held until its lock expires");
        }
    }

    /// Keeps the answer of a request that ran, or lets go of its key after a 5xx (a retry must
    /// run again). A store that fails here is logged, not answered: the request has run and
    /// its answer stands; the key is free again once its lock expires.
    pub async fn finish(&self, claim: Claim, answer: &StoredAnswer) {
        if answer.status >= 500 {
            return self.abandon(claim).await;
        }
        let Claim {
            organization,
            key,
            lease,
        } = claim;
        let kept = self.store.complete(organization, &key, lease, answer).await;
        if let Err(error) = kept {
            tracing::warn!(%error, status = answer.status, "an Idempotency-Key's answer is not kept");
        }
    }
}

#[cfg(test)]
mod tests;
