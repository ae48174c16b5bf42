//! Who is calling and what they may do: access tokens (Ory Hydra or the embedded issuer),
//! browser sessions (Ory Kratos) and relation checks (Ory Keto or the embedded roles).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Why a caller could not be identified or allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No valid credential: answer 401.
    #[error("not authenticated: {0}")]
    Unauthenticated(String),
    /// A valid credential that may not do this (or needs a second factor first): answer 403.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// An identified caller, known in `organization`, refused what they asked: answer 403, and
    /// keep a record of the attempt in that organization's audit log.
    #[error("forbidden: {reason}")]
    Denied {
        organization: tollgate_domain::organization::OrganizationId,
        actor: String,
        reason: String,
    },
    /// The identity system (or the store behind the embedded one) gave no usable answer:
    /// never allow. How it failed decides the answer: 503, 504, or 502 for an answer that
    /// cannot be read, which is not the same as a credential found invalid (401).
    #[error(transparent)]
    Upstream(#[from] crate::PortError),
}

/// What a verified access token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// `sub`: the identity (a Kratos identity id, an OAuth2 client id...).
    pub subject: String,
    /// `scp` (JWT) or `scope` (introspection), split into single scopes.
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The organization the token was minted for, when the issuer puts one in (`ext.org` /
    /// `org` claim); requests may still name another organization, subject to a check.
    pub organization: Option<String>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AccessTokenVerifier: Send + Sync {
    /// Verifies a bearer access token (signature or introspection, issuer, audience, times).
    ///
    /// # Errors
    /// `Unauthenticated` for any token that is not valid now; `Upstream` when the issuer's
    /// keys or introspection endpoint give no usable answer and nothing cached can answer.
    async fn verify(&self, token: &str) -> Result<VerifiedToken, AuthError>;
}

/// How a browser (or app) presented a Kratos session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionCredential {
    /// The request's whole `Cookie` header, forwarded to Kratos as it is.
    Cookie(String),
    /// The `X-Session-Token` header (native apps).
    Token(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The Kratos identity id.
    pub subject: String,
    pub email: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SessionResolver: Send + Sync {
    /// Resolves a session to its identity.
    ///
    /// # Errors
    /// `Unauthenticated` for no or an expired session; `Forbidden` when Kratos requires a
    /// second factor (its 403); `Upstream` when Kratos gives no usable answer.
    async fn whoami(&self, credential: &SessionCredential) -> Result<Session, AuthError>;
}

/// One relation tuple question, Keto style: is `subject` in `relation` of `namespace:object`?
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RelationCheck {
    pub namespace: String,
    pub object: String,
    pub relation: String,
    pub subject: String,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PermissionChecker: Send + Sync {
    /// # Errors
    /// `Upstream` when the checker gives no usable answer: callers must fail closed.
    async fn check(&self, question: &RelationCheck) -> Result<bool, AuthError>;
}
