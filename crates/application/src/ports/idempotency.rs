//! Where `Idempotency-Key`s are kept: per organization and key, the first request's
//! fingerprint and, once it has answered, its answer.

use std::time::Duration;

use async_trait::async_trait;
use tollgate_domain::{
    idempotency::{RequestFingerprint, RequestKey},
    organization::OrganizationId,
};
use uuid::Uuid;

use crate::PortError;

/// A stored answer, as it is sent again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    /// The headers that describe the body (`content-type`...), by lower-case name.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Which request holds a key while it runs: only it may record the answer or let go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease(pub Uuid);

/// What `begin` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begun {
    /// The key is this request's now: run it, then `complete` or `abandon`.
    Claimed(Lease),
    /// The same request answered before: this is its answer.
    Replay(StoredAnswer),
    /// The same request is running now, elsewhere.
    InUse,
    /// The key was used with another request.
    Reused,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request with `fingerprint`, held for `lock_for` at most (a request
    /// that dies lets go then). A key older than `keep_for` counts as unused; some such keys
    /// are purged on the way.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn begin(
        &self,
        organization: OrganizationId,
        key: &RequestKey,
        fingerprint: &RequestFingerprint,
        lock_for: Duration,
        keep_for: Duration,
    ) -> Result<Begun, PortError>;

    /// Records the answer of the request holding `lease`; nothing when the lease was lost.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn complete(
        &self,
        organization: OrganizationId,
        key: &RequestKey,
        lease: Lease,
        answer: &StoredAnswer,
    ) -> Result<(), PortError>;

    /// Lets go of the key, so that a retry runs; nothing when the lease was lost.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn abandon(
        &self,
        organization: OrganizationId,
        key: &RequestKey,
        lease: Lease,
    ) -> Result<(), PortError>;
}
