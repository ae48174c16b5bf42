//! `/privacy/export`: a signed-in person asks for what Tollgate holds about them; the workers
//! build it (a JSON document); they download it here for 7 days. One open request at a time:
//! a second is refused with 409 `export_pending`, said on the page.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tollgate_application::{
    AppError, ports::ExportRecord, services::compliance::exports::ExportReader,
};
use tollgate_domain::{
    ErrorCode,
    access::Role,
    privacy::{consent::Subject, export::ExportStatus},
};
use uuid::Uuid;

use super::super::{
    Layout, Timing, Visitor, WebError,
    i18n::{catalog, key},
    layout::render,
};
use crate::{routes::api::privacy::exports::attachment, state::AppState};

pub struct ExportRow {
    pub id: String,
    pub status: String,
    pub requested_at: String,
    pub expires_at: Option<String>,
    pub size: Option<String>,
    pub download: bool,
}

#[derive(Template)]
#[template(path = "privacy_export.html")]
struct ExportPage {
    layout: Layout,
    rows: Vec<ExportRow>,
    /// A refusal to show (409 `export_pending`).
    refusal: Option<(String, &'static str)>,
    /// The page was reached right after a request was queued.
    queued: bool,
    open: bool,
}

#[derive(Deserialize)]
pub struct ExportQuery {
    queued: Option<String>,
}

#[derive(Deserialize)]
pub struct ExportForm {
    #[serde(default)]
    csrf: String,
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn status_key(status: ExportStatus) -> &'static str {
    match status {
        ExportStatus::Pending => key("export-status-pending"),
        ExportStatus::Running => key("export-status-running"),
        ExportStatus::Done => key("export-status-done"),
        ExportStatus::Failed => key("export-status-failed"),
    }
}

fn row(record: &ExportRecord, now: DateTime<Utc>) -> ExportRow {
    let t = catalog();
    let live = record.expires_at.is_some_and(|expires| expires > now);
    let status = if record.status == ExportStatus::Done && !live {
        t.tr("export-status-expired")
    } else {
        t.tr(status_key(record.status))
    };
    ExportRow {
        id: record.id.to_string(),
        status,
        requested_at: time(record.requested_at),
        expires_at: record.expires_at.filter(|_| live).map(time),
        size: record
            .content_bytes
            .filter(|_| live)
            .map(|bytes| t.tr_count("export-bytes", bytes)),
        download: record.status == ExportStatus::Done && live,
    }
}

fn subject(visitor: &Visitor) -> Subject {
    Subject::member(visitor.session.record.holder.subject.clone())
}

async fn show(
    request: &HttpRequest,
    visitor: &Visitor,
    timing: &Timing,
    state: &AppState,
    status: StatusCode,
    refusal: Option<(String, &'static str)>,
    queued: bool,
) -> Result<HttpResponse, WebError> {
    let records = timing
        .measure(
            "exports",
            state
                .exports
                .of_subject(visitor.caller.principal.organization, &subject(visitor)),
        )
        .await?;
    let now = Utc::now();
    let page = ExportPage {
        layout: Layout::page(visitor, request, key("export-title"), timing),
        open: records.iter().any(|r| r.status.is_open()),
        rows: records.iter().map(|r| row(r, now)).collect(),
        refusal,
        queued,
    };
    render(status, &page)
}

/// `GET /privacy/export`: the person's requests, newest first, and the button.
pub async fn page(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, WebError> {
    let queued = query.queued.is_some();
    show(
        &request,
        &visitor,
        &timing,
        &state,
        StatusCode::OK,
        None,
        queued,
    )
    .await
}

/// `POST /privacy/export`: queue one (audited); 303 back, or the page again with 409.
pub async fn request(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    form: web::Form<ExportForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    let principal = &visitor.caller.principal;
    let outcome = state
        .exports
        .request_own(
            principal.organization,
            &visitor.session.record.holder.subject,
            visitor.role,
            principal.customer.clone(),
            &visitor.caller.audit,
        )
        .await;
    match outcome {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header((
                actix_web::http::header::LOCATION,
                "/privacy/export?queued=1",
            ))
            .finish()),
        Err(AppError::Conflict { code, .. }) if code == ErrorCode::ExportPending => {
            let message = catalog().tr("export-pending");
            show(
                &request,
                &visitor,
                &timing,
                &state,
                StatusCode::CONFLICT,
                Some((message, code.as_str())),
                false,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// `GET /privacy/export/{id}/download`: the document, for its subject (or an owner or admin).
pub async fn download(
    visitor: Visitor,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound)?;
    let reader = ExportReader {
        subject: Some(subject(&visitor)),
        admin: matches!(visitor.role, Role::Owner | Role::Admin),
    };
    let (record, content) = state
        .exports
        .download(
            visitor.caller.principal.organization,
            id,
            &reader,
            &visitor.caller.audit,
        )
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(attachment(&record, content))
}
