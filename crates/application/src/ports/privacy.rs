//! Where consents and export requests are kept, and what an export reads about a member.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tollgate_domain::{
    access::Role,
    organization::OrganizationId,
    privacy::{
        consent::{ConsentDecision, ConsentMethod, ConsentPurpose, Standing, Subject},
        export::{ExportFormat, ExportStatus},
    },
};
use uuid::Uuid;

use crate::PortError;
use crate::ports::{ApiKeyRecord, AuditEntry, AuditView, SignInMethod};

/// One decision to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsent {
    pub subject: Subject,
    pub purpose: ConsentPurpose,
    pub decision: ConsentDecision,
    pub notice_version: String,
    pub notice_sha256: [u8; 32],
    pub method: ConsentMethod,
}

/// A decision as recorded; actor and request id come from the audit context it was recorded
/// under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    pub id: i64,
    pub subject: Subject,
    pub purpose: ConsentPurpose,
    pub decision: ConsentDecision,
    pub notice_version: String,
    pub notice_sha256: [u8; 32],
    pub method: ConsentMethod,
    pub actor: String,
    pub recorded_at: DateTime<Utc>,
    pub request_id: Option<String>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// Appends every decision with its audit record, in one transaction.
    ///
    /// # Errors
    /// `PortError` when the database cannot be written.
    async fn append(
        &self,
        organization: OrganizationId,
        consents: &[(NewConsent, AuditEntry)],
    ) -> Result<Vec<ConsentRecord>, PortError>;

    /// The subject's records, newest first, at most `limit`.
    ///
    /// # Errors
    /// `PortError` when the database cannot be read.
    async fn history(
        &self,
        organization: OrganizationId,
        subject: &Subject,
        limit: i64,
    ) -> Result<Vec<ConsentRecord>, PortError>;

    /// The latest decision per purpose.
    ///
    /// # Errors
    /// `PortError` when the database cannot be read.
    async fn standing(
        &self,
        organization: OrganizationId,
        subject: &Subject,
    ) -> Result<Standing, PortError>;
}

/// A request to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExport {
    pub id: Uuid,
    pub subject: Subject,
    pub format: ExportFormat,
    /// A member's role and customer as the access decision saw them.
    pub member_role: Option<Role>,
    pub member_customer: Option<String>,
    pub due_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRecord {
    pub id: Uuid,
    pub organization: OrganizationId,
    pub subject: Subject,
    pub format: ExportFormat,
    pub member_role: Option<Role>,
    pub member_customer: Option<String>,
    pub status: ExportStatus,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub attempts: i32,
    pub completed_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Hex SHA-256 and size of the content, once built.
    pub content_sha256: Option<String>,
    pub content_bytes: Option<i64>,
}

/// What [`ExportStore::request`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportRequested {
    Queued(ExportRecord),
    /// The subject has an open request already: this one.
    AlreadyOpen(ExportRecord),
}

/// A request a worker holds under a lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedExport {
    pub record: ExportRecord,
    /// Settling checks it: a worker whose lease ran out cannot settle another's claim.
    pub claim: Uuid,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ExportStore: Send + Sync {
    /// Queues the request with its audit record, unless the subject has an open one.
    ///
    /// # Errors
    /// `PortError` when the database cannot be written.
    async fn request(
        &self,
        organization: OrganizationId,
        export: &NewExport,
        audit: &AuditEntry,
    ) -> Result<ExportRequested, PortError>;

    /// # Errors
    /// `PortError` when the database cannot be read.
    async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<ExportRecord>, PortError>;

    /// The subject's requests, newest first, at most `limit`.
    ///
    /// # Errors
    /// `PortError` when the database cannot be read.
    async fn of_subject(
        &self,
        organization: OrganizationId,
        subject: &Subject,
        limit: i64,
    ) -> Result<Vec<ExportRecord>, PortError>;

    /// The built content while it may be downloaded (done, not expired at `now`), with the
    /// download's audit record written in the same transaction.
    ///
    /// # Errors
    /// `PortError` when the database cannot be read.
    async fn content(
        &self,
        organization: OrganizationId,
        id: Uuid,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Option<Vec<u8>>, PortError>;

    /// The oldest open request that no live lease holds, leased until `now + lease`
    /// (`FOR UPDATE SKIP LOCKED`: replicas never take the same one).
    ///
    /// # Errors
    /// `PortError` when the database cannot be written.
    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: chrono::TimeDelta,
    ) -> Result<Option<ClaimedExport>, PortError>;

    /// Stores the content and marks the request done; `false` when the claim was lost.
    ///
    /// # Errors
    /// `PortError` when the database cannot be written.
    async fn complete(
        &self,
        claimed: &ClaimedExport,
        content: &[u8],
        sha256: [u8; 32],
        completed_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, PortError>;

    /// A failed build: back to pending for another attempt, or `failed` when `give_up`.
    ///
    /// # Errors
    /// `PortError` when the database cannot be written.
    async fn fail(
        &self,
        claimed: &ClaimedExport,
        reason: &str,
        give_up: bool,
    ) -> Result<(), PortError>;

    /// Deletes the content of exports that expired before `now`; how many.
    ///
    /// # Errors
    /// `PortError` when the database cannot be written.
    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, PortError>;
}

/// A dashboard session as a member's export shows it (never its digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    pub method: SignInMethod,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What Tollgate's own tables hold about a member, for their export.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MemberRecords: Send + Sync {
    /// # Errors
    /// `PortError` when the database cannot be read.
    async fn sessions(
        &self,
        organization: OrganizationId,
        subject: &str,
    ) -> Result<Vec<SessionSummary>, PortError>;

    /// Keys whose `created_by` is `actor` (metadata only: no digest).
    ///
    /// # Errors
    /// `PortError` when the database cannot be read.
    async fn api_keys_created_by(
        &self,
        organization: OrganizationId,
        actor: &str,
    ) -> Result<Vec<ApiKeyRecord>, PortError>;

    /// Audit records where `actor` acts, oldest first.
    ///
    /// # Errors
    /// `PortError` when the database cannot be read.
    async fn audit_by_actor(
        &self,
        organization: OrganizationId,
        actor: &str,
    ) -> Result<Vec<AuditView>, PortError>;
}
