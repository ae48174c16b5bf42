//! Stores behind identity and access: organizations, memberships, API keys, the audit trail.
//!
//! Every method that changes state takes the [`AuditEntry`] describing the change and writes it
//! in the same transaction: a change without its audit record cannot commit.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tollgate_domain::{
    access::{Role, Scope},
    organization::OrganizationId,
    webhook_secret::SecretDigest,
};
use uuid::Uuid;

use crate::PortError;

/// Who acts, from where, within which request: shared by every record of one request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditContext {
    /// `user:<subject>`, `api_key:<id>`, `system`...
    pub actor: String,
    pub request_id: Option<String>,
    /// Salted SHA-256 of the client's address: never the address itself.
    pub client_address_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub context: AuditContext,
    /// `api_key.create`, `settings.update`...
    pub action: &'static str,
    pub target: Option<String>,
    /// `success`, or `denied` / `invalid` for refused attempts recorded on their own.
    pub result: &'static str,
}

impl AuditEntry {
    pub fn success(context: &AuditContext, action: &'static str, target: Option<String>) -> Self {
        Self {
            context: context.clone(),
            action,
            target,
            result: "success",
        }
    }
}

/// Where a list in creation order resumes: the last row's creation time, and its id to break
/// ties (rows created in one microsecond; ids need not follow creation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreationKey {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

/// One audit record as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditView {
    pub sequence: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub request_id: Option<String>,
    pub result: String,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AuditTrail: Send + Sync {
    /// Appends a record on its own (refused attempts, actions with no other write).
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn append(
        &self,
        organization: OrganizationId,
        entry: &AuditEntry,
    ) -> Result<(), PortError>;

    /// Records after `after_sequence`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn page(
        &self,
        organization: OrganizationId,
        after_sequence: i64,
        limit: i64,
    ) -> Result<Vec<AuditView>, PortError>;
}

/// Checks an organization's audit chain end to end (`tollgate audit verify`, the dashboard's
/// audit page).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AuditChain: Send + Sync {
    /// `Ok(n)` when all `n` records are intact, else the first broken link.
    ///
    /// # Errors
    /// `PortError` when the database cannot be read.
    async fn verify(
        &self,
        organization: OrganizationId,
    ) -> Result<Result<usize, tollgate_domain::audit::BrokenLink>, PortError>;

    /// The sequence of the organization's newest record (0 before the first).
    ///
    /// # Errors
    /// `PortError` when the database cannot be read.
    async fn last_sequence(&self, organization: OrganizationId) -> Result<i64, PortError>;
}

/// An organization as stored: its slug, the name it was created with, and the display name
/// its settings give (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationRecord {
    pub slug: String,
    pub name: String,
    pub display_name: Option<String>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OrganizationDirectory: Send + Sync {
    /// The organization named by its id or its slug.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn resolve(&self, id_or_slug: &str) -> Result<Option<OrganizationId>, PortError>;

    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn record(
        &self,
        organization: OrganizationId,
    ) -> Result<Option<OrganizationRecord>, PortError>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub role: Role,
    pub customer: Option<String>,
}

/// A member as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub subject: String,
    pub membership: Membership,
}

/// A change to one member, from the team settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberWrite {
    /// A new member (refused when the subject already is one).
    Add(Membership),
    /// Another role (or customer) for an existing member.
    Update(Membership),
    Remove,
}

/// What [`MembershipStore::write`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberOutcome {
    /// Done; the member's previous membership (`None` for an added one).
    Done { previous: Option<Membership> },
    /// `Add` of a subject that is a member already.
    Exists(Membership),
    /// `Update` or `Remove` of a subject that is not a member.
    NotMember,
    /// It would leave the organization without an owner.
    LastOwner,
    /// It grants, changes or removes an owner and the actor is not one.
    OwnerOnly,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MembershipStore: Send + Sync {
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn membership(
        &self,
        organization: OrganizationId,
        subject: &str,
    ) -> Result<Option<Membership>, PortError>;

    /// Gives `subject` a role (replacing any other).
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn grant(
        &self,
        organization: OrganizationId,
        subject: &str,
        membership: &Membership,
        audit: &AuditEntry,
    ) -> Result<(), PortError>;

    /// At most `limit` members with a subject after `after`, by subject.
    ///
    /// # Errors
    /// `PortError` when the members cannot be read.
    async fn members(
        &self,
        organization: OrganizationId,
        after: Option<String>,
        limit: i64,
    ) -> Result<Vec<Member>, PortError>;

    /// Applies `write` to `subject` with its audit record, atomically with the checks: an
    /// owner is granted, changed or removed only by an owner (`actor_is_owner`), and the last
    /// owner stays one. Nothing is written unless the answer is `Done`.
    ///
    /// # Errors
    /// `PortError` when the members cannot be read or written.
    async fn write(
        &self,
        organization: OrganizationId,
        subject: &str,
        write: &MemberWrite,
        actor_is_owner: bool,
        audit: &AuditEntry,
    ) -> Result<MemberOutcome, PortError>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: Uuid,
    pub organization: OrganizationId,
    pub name: String,
    pub display_prefix: String,
    pub scopes: Vec<Scope>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub id: Uuid,
    pub name: String,
    pub display_prefix: String,
    pub digest: SecretDigest,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn create(
        &self,
        organization: OrganizationId,
        key: &NewApiKey,
        audit: &AuditEntry,
    ) -> Result<ApiKeyRecord, PortError>;

    /// At most `limit` keys created after `after`, oldest first.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn list(
        &self,
        organization: OrganizationId,
        after: Option<CreationKey>,
        limit: i64,
    ) -> Result<Vec<ApiKeyRecord>, PortError>;

    /// Revokes the organization's key `id`; `false` when it has no such key (another
    /// organization's key included).
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn revoke(
        &self,
        organization: OrganizationId,
        id: Uuid,
        audit: &AuditEntry,
    ) -> Result<bool, PortError>;

    /// The key with this digest if it is neither revoked nor expired at `now`; records its use.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    async fn authenticate(
        &self,
        digest: &SecretDigest,
        now: DateTime<Utc>,
    ) -> Result<Option<ApiKeyRecord>, PortError>;
}
