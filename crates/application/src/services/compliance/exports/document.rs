//! A member's export: one JSON document of what Tollgate's tables hold about them, each
//! section naming the table it comes from and why that table is kept (the data inventory).

use chrono::{DateTime, Utc};
use serde::Serialize;
use tollgate_domain::privacy::inventory;

use crate::{
    PortError,
    ports::{ConsentStore, ExportRecord, MemberRecords},
};

/// The document's `format`: a reader can tell versions apart.
pub const MEMBER_EXPORT_FORMAT: &str = "tollgate.member_export.v1";

#[derive(Serialize)]
struct Document<'a> {
    format: &'static str,
    generated_at: DateTime<Utc>,
    organization: String,
    subject: String,
    request: Request<'a>,
    /// Where each section comes from and why it is kept.
    sources: Vec<Source>,
    memberships: Vec<MembershipEntry<'a>>,
    sessions: Vec<SessionEntry>,
    consents: Vec<ConsentEntry>,
    api_keys: Vec<ApiKeyEntry>,
    audit: Vec<AuditEntryView>,
}

#[derive(Serialize)]
struct Request<'a> {
    id: String,
    requested_at: DateTime<Utc>,
    requested_by: &'a str,
}

#[derive(Serialize)]
struct Source {
    section: &'static str,
    table: &'static str,
    purpose: &'static str,
    legal_basis: &'static str,
    retention: String,
}

#[derive(Serialize)]
struct MembershipEntry<'a> {
    organization: String,
    role: &'static str,
    customer: Option<&'a str>,
}

#[derive(Serialize)]
struct SessionEntry {
    method: &'static str,
    role: &'static str,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
struct ConsentEntry {
    purpose: &'static str,
    decision: &'static str,
    notice_version: String,
    notice_sha256: String,
    method: &'static str,
    actor: String,
    recorded_at: DateTime<Utc>,
    request_id: Option<String>,
}

/// Metadata only: the secret is never stored, and its digest is not exported either.
#[derive(Serialize)]
struct ApiKeyEntry {
    id: String,
    name: String,
    display_prefix: String,
    scopes: Vec<&'static str>,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
struct AuditEntryView {
    sequence: i64,
    occurred_at: DateTime<Utc>,
    action: String,
    target: Option<String>,
    result: String,
    request_id: Option<String>,
}

/// (section, table) pairs the document is made of.
const SECTIONS: &[(&str, &str)] = &[
    ("memberships", "memberships"),
    ("sessions", "web_sessions"),
    ("consents", "consent_records"),
    ("api_keys", "api_keys"),
    ("audit", "audit_log"),
];

fn sources() -> Vec<Source> {
    SECTIONS
        .iter()
        .filter_map(|(section, table)| {
            inventory::table(table).map(|table| Source {
                section,
                table: table.name,
                purpose: table.purpose.describe(),
                legal_basis: table.basis.article(),
                retention: table.retention.describe(),
            })
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The member's document, as UTF-8 JSON.
///
/// # Errors
/// `PortError` when a source cannot be read.
pub(super) async fn member(
    record: &ExportRecord,
    members: &dyn MemberRecords,
    consents: &dyn ConsentStore,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, PortError> {
    let organization = record.organization;
    let subject = &record.subject.id;
    let actor = format!("user:{subject}");
    let sessions = members.sessions(organization, subject).await?;
    let keys = members.api_keys_created_by(organization, &actor).await?;
    let audit = members.audit_by_actor(organization, &actor).await?;
    let consents = consents
        .history(organization, &record.subject, i64::MAX)
        .await?;
    let document = Document {
        format: MEMBER_EXPORT_FORMAT,
        generated_at: now,
        organization: organization.to_string(),
        subject: record.subject.to_string(),
        request: Request {
            id: record.id.to_string(),
            requested_at: record.requested_at,
            requested_by: &record.requested_by,
        },
        sources: sources(),
        memberships: record
            .member_role
            .map(|role| MembershipEntry {
                organization: organization.to_string(),
                role: role.as_str(),
                customer: record.member_customer.as_deref(),
            })
            .into_iter()
            .collect(),
        sessions: sessions
            .into_iter()
            .map(|s| SessionEntry {
                method: s.method.as_str(),
                role: s.role.as_str(),
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                revoked_at: s.revoked_at,
            })
            .collect(),
        consents: consents
            .into_iter()
            .map(|c| ConsentEntry {
                purpose: c.purpose.as_str(),
                decision: c.decision.as_str(),
                notice_version: c.notice_version,
                notice_sha256: hex(&c.notice_sha256),
                method: c.method.as_str(),
                actor: c.actor,
                recorded_at: c.recorded_at,
                request_id: c.request_id,
            })
            .collect(),
        api_keys: keys
            .into_iter()
            .map(|k| ApiKeyEntry {
                id: k.id.to_string(),
                name: k.name,
                display_prefix: k.display_prefix,
                scopes: k.scopes.iter().map(|s| s.as_str()).collect(),
                created_at: k.created_at,
                expires_at: k.expires_at,
                last_used_at: k.last_used_at,
                revoked_at: k.revoked_at,
            })
            .collect(),
        audit: audit
            .into_iter()
            .map(|a| AuditEntryView {
                sequence: a.sequence,
                occurred_at: a.occurred_at,
                action: a.action,
                target: a.target,
                result: a.result,
                request_id: a.request_id,
            })
            .collect(),
    };
    serde_json::to_vec_pretty(&document).map_err(|error| PortError::Internal {
        service: "privacy_exports",
        reason: format!("the export cannot be written as JSON: {error}"),
    })
}
