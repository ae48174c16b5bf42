//! Exports of a person's data: `POST /api/me/export` asks for the caller's own (202; 409
//! `export_pending` while one is open), `GET /api/privacy/exports/{id}` shows where it stands,
//! `GET /api/privacy/exports/{id}/download` answers the document (410 `download_expired`
//! after 7 days). Each is visible to its subject and to owners and admins only: anyone else
//! gets 404.

use actix_web::{HttpResponse, http::header, web};
use serde::Serialize;
use tollgate_application::{
    ports::ExportRecord,
    services::{access::PrincipalKind, compliance::exports::ExportReader},
};
use tollgate_domain::{
    access::Role,
    privacy::{consent::Subject, export::ExportStatus},
};
use uuid::Uuid;

use crate::{access::Caller, error::ApiError, state::AppState};

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ExportResponse {
    id: Uuid,
    /// `member:<subject>` (or `customer:<id>`).
    subject: String,
    /// `json` for a member's export.
    format: &'static str,
    /// `pending`, `running`, `done` or `failed`.
    status: &'static str,
    requested_at: chrono::DateTime<chrono::Utc>,
    /// When the answer is due by law (one month).
    due_at: chrono::DateTime<chrono::Utc>,
    completed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The download works until then.
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
    bytes: Option<i64>,
    /// Hex SHA-256 of the document.
    sha256: Option<String>,
    /// Set while the export can be downloaded.
    download_url: Option<String>,
}

impl ExportResponse {
    pub(crate) fn new(record: &ExportRecord, now: chrono::DateTime<chrono::Utc>) -> Self {
        let downloadable = record.status == ExportStatus::Done
            && record.expires_at.is_some_and(|expires| expires > now);
        Self {
            id: record.id,
            subject: record.subject.to_string(),
            format: record.format.as_str(),
            status: record.status.as_str(),
            requested_at: record.requested_at,
            due_at: record.due_at,
            completed_at: record.completed_at,
            expires_at: record.expires_at,
            bytes: record.content_bytes,
            sha256: record.content_sha256.clone(),
            download_url: downloadable
                .then(|| format!("/api/privacy/exports/{}/download", record.id)),
        }
    }
}

/// A person's subject and role; `None` for an API key.
pub(crate) fn person(caller: &Caller) -> Option<(&str, Role)> {
    match caller.principal.kind {
        PrincipalKind::Person { role } => caller
            .principal
            .actor
            .strip_prefix("user:")
            .map(|subject| (subject, role)),
        PrincipalKind::ApiKey { .. } => None,
    }
}

fn reader(caller: &Caller) -> ExportReader {
    let person = person(caller);
    ExportReader {
        subject: person.map(|(subject, _)| Subject::member(subject)),
        admin: person.is_some_and(|(_, role)| matches!(role, Role::Owner | Role::Admin)),
    }
}

fn export_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::Missing { what: "export" })
}

pub async fn request_own(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (subject, role) = person(&caller).ok_or_else(|| {
        ApiError::Forbidden(
            "an API key holds no personal data of its own; a person asks for their export"
                .to_owned(),
        )
    })?;
    let record = state
        .exports
        .request_own(
            caller.principal.organization,
            subject,
            role,
            caller.principal.customer.clone(),
            &caller.audit,
        )
        .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((
            header::LOCATION,
            format!("/api/privacy/exports/{}", record.id),
        ))
        .json(ExportResponse::new(&record, chrono::Utc::now())))
}

pub async fn show(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = export_id(&id)?;
    let record = state
        .exports
        .get(caller.principal.organization, id, &reader(&caller))
        .await?
        .ok_or(ApiError::Missing { what: "export" })?;
    Ok(HttpResponse::Ok().json(ExportResponse::new(&record, chrono::Utc::now())))
}

/// The document as an attachment named after the request.
pub(crate) fn attachment(record: &ExportRecord, content: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"tollgate-export-{}.json\"",
                record.id
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(content)
}

pub async fn download(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = export_id(&id)?;
    let (record, content) = state
        .exports
        .download(
            caller.principal.organization,
            id,
            &reader(&caller),
            &caller.audit,
        )
        .await?
        .ok_or(ApiError::Missing { what: "export" })?;
    Ok(attachment(&record, content))
}
