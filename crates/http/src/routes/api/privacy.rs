//! `GET /api/privacy/records`: the record of processing activities (GDPR Art. 30), generated
//! from the data inventory (`tollgate_domain::privacy::inventory`). Consents and exports are in
//! the submodules.

pub(crate) mod consents;
pub(crate) mod exports;

use actix_web::{HttpResponse, web};
use serde::Serialize;
use tollgate_application::services::compliance::records::{
    Activity, ConfiguredRecipient, ProcessingRecord,
};
use tollgate_domain::privacy::inventory::Retention;

use crate::{access::Caller, error::ApiError, state::AppState};

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ProcessingRecordResponse {
    controller: ControllerDto,
    /// One per table holding personal data.
    activities: Vec<ActivityDto>,
    /// Every host outside Tollgate that receives personal data, as configured now.
    recipients: Vec<RecipientDto>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ControllerDto {
    /// The organization's display name (settings).
    name: Option<String>,
    contact_name: Option<String>,
    contact_email: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ActivityDto {
    table: &'static str,
    /// `customers` or `members`.
    data_subjects: &'static str,
    purpose: &'static str,
    purpose_description: &'static str,
    /// `contract`, `legal_obligation` or `legitimate_interests`.
    legal_basis: &'static str,
    legal_basis_article: &'static str,
    /// `contact`, `identifier`, `usage`, `financial`, `credential`, `audit`, `diagnostic`.
    categories: Vec<&'static str>,
    retention: RetentionDto,
    recipients: Vec<RecipientDto>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct RetentionDto {
    /// `days`, `while_active` or `statutory_hold`.
    kind: &'static str,
    /// For `days` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    days: Option<u32>,
    description: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct RecipientDto {
    /// `openmeter` or `lago`.
    name: &'static str,
    host: String,
}

fn recipient(configured: &ConfiguredRecipient) -> RecipientDto {
    RecipientDto {
        name: configured.recipient.as_str(),
        host: configured.host.clone(),
    }
}

fn retention(retention: Retention) -> RetentionDto {
    let (kind, days) = match retention {
        Retention::Days(days) => ("days", Some(days)),
        Retention::WhileActive => ("while_active", None),
        Retention::StatutoryHold => ("statutory_hold", None),
    };
    RetentionDto {
        kind,
        days,
        description: retention.describe(),
    }
}

fn activity(activity: &Activity) -> ActivityDto {
    ActivityDto {
        table: activity.table,
        data_subjects: activity.subjects.as_str(),
        purpose: activity.purpose.as_str(),
        purpose_description: activity.purpose.describe(),
        legal_basis: activity.basis.as_str(),
        legal_basis_article: activity.basis.article(),
        categories: activity.categories.iter().map(|c| c.as_str()).collect(),
        retention: retention(activity.retention),
        recipients: activity.recipients.iter().map(recipient).collect(),
    }
}

pub async fn records(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let ProcessingRecord {
        controller,
        activities,
        recipients,
    } = state
        .processing_record
        .record(caller.principal.organization)
        .await?;
    Ok(HttpResponse::Ok().json(ProcessingRecordResponse {
        controller: ControllerDto {
            name: controller.name,
            contact_name: controller.contact_name,
            contact_email: controller.contact_email,
        },
        activities: activities.iter().map(activity).collect(),
        recipients: recipients.iter().map(recipient).collect(),
    }))
}
