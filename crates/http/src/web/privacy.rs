//! `/privacy`: the notice (the operator's Markdown, the controller from the organization's
//! settings, what is kept from the data inventory), for everyone, signed in or not; the
//! consent banner's answer (`POST /privacy/consent`); a person's own export
//! (`/privacy/export`, in `export.rs`).

mod choice;
mod export;
mod markdown;

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use askama::Template;
use serde::Deserialize;
use tollgate_application::services::compliance::{
    consents::ConsentChange,
    records::{Activity, ProcessingRecord},
};
use tollgate_domain::privacy::{
    consent::{ConsentDecision, ConsentMethod, Subject},
    inventory::DataSubject,
};

pub use choice::{Banner, anonymous_banner, here};
pub use export::{download, page as export_page, request as request_export};

use super::{
    Layout, Timing, Visitor, WebError, csrf,
    i18n::{catalog, key},
    layout::render,
    session::{audit_context, current_session},
};
use crate::state::AppState;

pub struct Row {
    pub table: &'static str,
    pub subjects: String,
    pub purpose: &'static str,
    pub basis: &'static str,
    pub categories: String,
    pub retention: String,
    pub recipients: String,
}

pub struct Contact {
    pub name: String,
    pub email: String,
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct NoticePage {
    layout: Layout,
    version: String,
    controller: String,
    contact: Option<Contact>,
    body: String,
    rows: Vec<Row>,
    /// Optional processing asked about; empty: nothing optional is configured.
    purposes: Vec<String>,
    /// Where the visitor stands, as a sentence.
    current: String,
    signed_in: bool,
}

fn subjects_key(subjects: DataSubject) -> &'static str {
    match subjects {
        DataSubject::Customers => key("privacy-subjects-customers"),
        DataSubject::Members => key("privacy-subjects-members"),
        DataSubject::MembersAndCustomers => key("privacy-subjects-both"),
        DataSubject::Nobody => key("privacy-subjects-nobody"),
    }
}

fn row(activity: &Activity) -> Row {
    let t = catalog();
    let hosts: Vec<&str> = activity
        .recipients
        .iter()
        .map(|r| r.host.as_str())
        .collect();
    Row {
        table: activity.table,
        subjects: t.tr(subjects_key(activity.subjects)),
        purpose: activity.purpose.describe(),
        basis: activity.basis.article(),
        categories: activity
            .categories
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        retention: activity.retention.describe(),
        recipients: if hosts.is_empty() {
            t.tr("privacy-recipients-none")
        } else {
            hosts.join(", ")
        },
    }
}

/// Where someone stands, as the notice page says it.
fn standing(decision: Option<(ConsentDecision, String)>, current_version: &str) -> String {
    let t = catalog();
    match decision {
        None => t.tr("privacy-choice-none"),
        Some((_, version)) if version != current_version => t.tr("privacy-choice-stale"),
        Some((ConsentDecision::Granted, _)) => t.tr("privacy-choice-granted"),
        Some((ConsentDecision::Withdrawn, _)) => t.tr("privacy-choice-withdrawn"),
    }
}

/// `GET /privacy`: the notice, for anyone.
pub async fn notice(
    request: HttpRequest,
    visitor: Option<Visitor>,
    timing: Timing,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let t = catalog();
    let consents = &state.consents;
    let notice = consents.notice();
    let (layout, organization, decision) = match &visitor {
        Some(visitor) => {
            let organization = visitor.caller.principal.organization;
            let subject = Subject::member(visitor.session.record.holder.subject.clone());
            let history = timing
                .measure("consents", consents.history(organization, &subject))
                .await?;
            let decision = history
                .first()
                .map(|record| (record.decision, record.notice_version.clone()));
            let layout = Layout::page(visitor, &request, key("privacy-title"), &timing);
            (layout, organization, decision)
        }
        None => {
            let organization = state
                .access
                .find_organization(&state.web.default_organization)
                .await?
                .ok_or(WebError::NotFound)?;
            let mut layout = Layout::bare(t.tr("privacy-title"));
            layout.banner = anonymous_banner(&request);
            let decision = choice::cookie_choice(&request).map(|(version, d)| (d, version));
            (layout, organization, decision)
        }
    };
    let ProcessingRecord {
        controller,
        activities,
        ..
    } = timing
        .measure("record", state.processing_record.record(organization))
        .await?;
    let organization_name = match &layout.org_name {
        Some(name) => name.clone(),
        None => state
            .access
            .organization(organization)
            .await?
            .map(|named| named.display_name)
            .unwrap_or_default(),
    };
    let contact = controller.contact_email.map(|email| Contact {
        name: controller.contact_name.unwrap_or_default(),
        email,
    });
    let page = NoticePage {
        version: notice.version.clone(),
        controller: controller
            .name
            .filter(|name| !name.trim().is_empty())
            .unwrap_or(organization_name),
        contact,
        body: markdown::to_html(&notice.body),
        rows: activities.iter().map(row).collect(),
        purposes: consents
            .optional_purposes()
            .iter()
            .map(|p| t.tr(choice::purpose_key(*p)))
            .collect(),
        current: standing(decision, &notice.version),
        signed_in: visitor.is_some(),
        layout,
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct ChoiceForm {
    #[serde(default)]
    csrf: String,
    decision: String,
    version: String,
    return_to: Option<String>,
}

/// Only a path of this site (never `//host` or an absolute URL).
fn back_to(path: Option<&str>) -> String {
    match path {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// `POST /privacy/consent`: the banner's (or the notice's) Accept or Refuse. Signed in: a
/// consent record per optional purpose, audited, under the notice version the form showed
/// (another is 422 `stale_notice_version`). Either way the choice cookie remembers it.
pub async fn answer(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ChoiceForm>,
) -> Result<HttpResponse, WebError> {
    csrf::check_origin(&request, &state.web)?;
    let form = form.into_inner();
    let decision =
        ConsentDecision::parse(&form.decision).ok_or_else(|| crate::error::ApiError::Invalid {
            code: tollgate_domain::ErrorCode::InvalidValue,
            message: "decision must be granted or withdrawn".to_owned(),
        })?;
    let purposes = state.consents.optional_purposes().to_vec();
    if let Some(session) = current_session(&request).await? {
        csrf::verify(
            &csrf::token(&state.web.csrf_key, &session.digest),
            &form.csrf,
        )?;
        if !purposes.is_empty() {
            let holder = &session.record.holder;
            let context = audit_context(&request, &state, format!("user:{}", holder.subject));
            state
                .consents
                .record(
                    holder.organization,
                    ConsentChange {
                        subject: Subject::member(holder.subject.clone()),
                        purposes,
                        decision,
                        notice_version: &form.version,
                        method: ConsentMethod::Banner,
                    },
                    &context,
                )
                .await?;
        }
    } else if form.version != state.consents.notice().version {
        return Err(WebError::from(
            tollgate_application::AppError::Unprocessable {
                code: tollgate_domain::ErrorCode::StaleNoticeVersion,
                message: "the privacy notice changed since this page was shown; read it again"
                    .to_owned(),
            },
        ));
    }
    Ok(HttpResponse::SeeOther()
        .cookie(choice::choice_cookie(
            state.web.secure,
            &form.version,
            decision,
        ))
        .insert_header((header::LOCATION, back_to(form.return_to.as_deref())))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::back_to;

    #[test]
    fn the_banner_returns_only_to_this_site() {
        assert_eq!(back_to(Some("/usage?x=1")), "/usage?x=1");
        assert_eq!(back_to(Some("//evil.example")), "/");
        assert_eq!(back_to(Some("https://evil.example")), "/");
        assert_eq!(back_to(None), "/");
    }
}
