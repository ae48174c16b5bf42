//! `/api/billing/plans`: the organization's billing plans: create, list (paged by id), show
//! (current version and the list of versions), and `PUT` for a new version. Running
//! subscriptions keep their version until they renew.

pub(crate) mod dto;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tollgate_adapters::postgres::encode_definition;
use tollgate_application::ports::{PlanDraft, PlanRecord, PlanVersionRecord};
use tollgate_domain::{DomainError, billing::PlanCode, organization::OrganizationId};
use uuid::Uuid;
use validator::Validate;

pub use self::dto::PlanRequest;
use super::paging::{self, Paged};
use tollgate_domain::ErrorCode;

use crate::{
    access::Caller,
    error::ApiError,
    extract::{ApiJson, Checked},
    state::AppState,
};

const LIST: &str = "plans";
const VERSIONS: &str = "plan_versions";

/// One version of a plan: its names, interval and currency, then its definition (base fee,
/// trial days, charges, minimum commitment) exactly as stored, every amount a decimal string.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PlanVersionBody {
    version: u32,
    code: String,
    name: String,
    description: Option<String>,
    interval: &'static str,
    currency: String,
    /// `base_fee`, `trial_days`, `charges`, `minimum_commitment`: as `PlanRequest` takes them.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    definition: serde_json::Value,
    version_created_at: DateTime<Utc>,
}

impl From<&PlanVersionRecord> for PlanVersionBody {
    fn from(record: &PlanVersionRecord) -> Self {
        let plan = &record.draft.plan;
        Self {
            version: record.version,
            code: plan.code().as_str().to_owned(),
            name: record.draft.name.clone(),
            description: record.draft.description.clone(),
            interval: plan.interval().as_str(),
            currency: plan.currency().code().to_owned(),
            definition: encode_definition(plan),
            version_created_at: record.created_at,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PlanResponse {
    id: Uuid,
    #[serde(flatten)]
    current: PlanVersionBody,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// Since when it takes no new subscriptions; `null` while it does.
    archived_at: Option<DateTime<Utc>>,
    /// Only when showing one plan: every version, oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    versions: Option<Vec<VersionSummary>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct VersionSummary {
    version: u32,
    name: String,
    created_at: DateTime<Utc>,
}

impl PlanResponse {
    fn new(record: &PlanRecord, versions: Option<&[PlanVersionRecord]>) -> Self {
        Self {
            id: record.id,
            current: PlanVersionBody::from(&record.current),
            created_at: record.created_at,
            updated_at: record.updated_at,
            archived_at: record.archived_at,
            versions: versions.map(|versions| {
                versions
                    .iter()
                    .map(|v| VersionSummary {
                        version: v.version,
                        name: v.draft.name.clone(),
                        created_at: v.created_at,
                    })
                    .collect()
            }),
        }
    }
}

/// An id that is not a UUID, or another organization's plan, is simply not found here.
fn plan_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::Missing { what: "plan" })
}

fn draft(body: &PlanRequest, code: PlanCode) -> Result<PlanDraft, ApiError> {
    Ok(PlanDraft {
        plan: body.plan(code).map_err(ApiError::from)?,
        name: body.name.trim().to_owned(),
        description: body.description.clone(),
    })
}

pub async fn create(
    caller: Caller,
    state: web::Data<AppState>,
    body: Checked<ApiJson<PlanRequest>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.open()?;
    let record = create_plan(&state, &caller, &body).await?;
    Ok(HttpResponse::Created().json(PlanResponse::new(&record, None)))
}

/// Creates the plan `body` describes, refused as the API refuses it (the dashboard's plan
/// form calls this too, so both answer the same codes).
///
/// # Errors
/// The API's refusal of the first bad value, a taken code, or the store's failure.
pub(crate) async fn create_plan(
    state: &AppState,
    caller: &Caller,
    body: &PlanRequest,
) -> Result<PlanRecord, ApiError> {
    body.validate()?;
    let code = body
        .code
        .as_deref()
        .ok_or(DomainError::Empty { field: "plan code" })
        .and_then(PlanCode::parse)
        .map_err(ApiError::from)?;
    let draft = draft(body, code)?;
    Ok(state
        .billing
        .plans()
        .create(caller.principal.organization, draft, &caller.audit)
        .await?)
}

pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: Paged,
) -> Result<HttpResponse, ApiError> {
    let (page, _) = query.open()?;
    let records = state
        .billing
        .plans()
        .list(
            caller.principal.organization,
            page.after(LIST)?,
            page.fetch(),
        )
        .await?;
    let (records, next) = page.split(LIST, records, |r| r.id);
    let data: Vec<PlanResponse> = records
        .iter()
        .map(|record| PlanResponse::new(record, None))
        .collect();
    Ok(paging::answer(&data, next))
}

pub async fn show(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = plan_id(&id)?;
    let organization = caller.principal.organization;
    let Some(record) = state.billing.plans().get(organization, id).await? else {
        return Err(ApiError::Missing { what: "plan" });
    };
    let versions = state.billing.plans().versions(organization, id).await?;
    Ok(HttpResponse::Ok().json(PlanResponse::new(&record, Some(&versions))))
}

/// A new version: the whole plan again (its code, interval and currency unchanged).
pub async fn update(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Checked<ApiJson<PlanRequest>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.open()?;
    let id = plan_id(&id)?;
    let record = add_version(&state, &caller, id, &body).await?;
    let versions = state
        .billing
        .plans()
        .versions(caller.principal.organization, id)
        .await?;
    Ok(HttpResponse::Ok().json(PlanResponse::new(&record, Some(&versions))))
}

/// Adds the version `body` describes to the plan `id`, refused as the API refuses it (the
/// dashboard's version form calls this too).
///
/// # Errors
/// The API's refusal of the first bad value, `Missing` for an unknown plan, a conflicting
/// change, or the store's failure.
pub(crate) async fn add_version(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    body: &PlanRequest,
) -> Result<PlanRecord, ApiError> {
    body.validate()?;
    if body.charges.is_none() {
        return Err(ApiError::Invalid {
            code: ErrorCode::ChargesRequired,
            message: "a new version states every charge: list them in `charges` (`[]` for \
                      a version without usage charges)"
                .to_owned(),
        });
    }
    let organization = caller.principal.organization;
    let Some(current) = state.billing.plans().get(organization, id).await? else {
        return Err(ApiError::Missing { what: "plan" });
    };
    // The code is the stored one; a different one in the body is refused by the service.
    let code = match body.code.as_deref() {
        Some(code) => PlanCode::parse(code).map_err(ApiError::from)?,
        None => current.current.draft.plan.code().clone(),
    };
    let draft = draft(body, code)?;
    state
        .billing
        .plans()
        .update(organization, id, draft, &caller.audit)
        .await?
        .ok_or(ApiError::Missing { what: "plan" })
}

/// The plan a path names, by id or by code (codes are what people and the subscriptions API
/// use); another organization's is not found.
async fn find(
    state: &AppState,
    organization: OrganizationId,
    key: &str,
) -> Result<PlanRecord, ApiError> {
    let plans = state.billing.plans();
    let found = match Uuid::parse_str(key) {
        Ok(id) => plans.get(organization, id).await?,
        Err(_) => match PlanCode::parse(key) {
            Ok(code) => plans.get_by_code(organization, &code).await?,
            Err(_) => None,
        },
    };
    found.ok_or(ApiError::Missing { what: "plan" })
}

/// The plan's versions, oldest first, each in full (its definition as stored).
pub async fn versions(
    caller: Caller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    query: Paged,
) -> Result<HttpResponse, ApiError> {
    let (page, _) = query.open()?;
    let organization = caller.principal.organization;
    let record = find(&state, organization, &key).await?;
    let versions = state
        .billing
        .plans()
        .version_page(organization, record.id, page.after(VERSIONS)?, page.fetch())
        .await?;
    let (versions, next) = page.split(VERSIONS, versions, |v| v.version);
    let data: Vec<PlanVersionBody> = versions.iter().map(PlanVersionBody::from).collect();
    Ok(paging::answer(&data, next))
}

/// Archives the plan: no new subscriptions from now on, running ones go on.
pub async fn archive(
    caller: Caller,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let organization = caller.principal.organization;
    let record = find(&state, organization, &key).await?;
    let Some(archived) = state
        .billing
        .plans()
        .archive(organization, record.id, &caller.audit)
        .await?
    else {
        return Err(ApiError::Missing { what: "plan" });
    };
    let versions = state
        .billing
        .plans()
        .versions(organization, archived.id)
        .await?;
    Ok(HttpResponse::Ok().json(PlanResponse::new(&archived, Some(&versions))))
}
