//! `/api/billing/subscriptions`: customers on plans. Create, list (by customer, paged by id),
//! show (phases, current period, scheduled downgrade), upgrade (now, prorated), downgrade (at
//! the period's end), terminate (now).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tollgate_application::{
    ports::SubscriptionRecord,
    services::billing::subscriptions::{START_TOLERANCE, SubscriptionRequest},
};
use tollgate_domain::billing::{Phase, PlanCode};
use uuid::Uuid;
use validator::Validate;

use super::paging::{self, Paged};
use tollgate_domain::ErrorCode;

use crate::{
    access::Caller,
    error::ApiError,
    extract::{ApiJson, Checked},
    state::AppState,
};

const LIST: &str = "subscriptions";

#[derive(Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubscriptionRequest {
    customer_id: Uuid,
    #[validate(length(min = 1, max = 64))]
    plan_code: String,
    /// Defaults to the subscription's id.
    #[validate(length(min = 1, max = 255))]
    external_id: Option<String>,
    /// Defaults to now; in the past at most `billing.max_backdate_days`.
    starts_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanChangeRequest {
    #[validate(length(min = 1, max = 64))]
    plan_code: String,
    /// Named so that asking for another time gets a clear refusal: a plan change takes effect
    /// now (an upgrade) or at the period's end (a downgrade), as in Lago, which has no
    /// effective date for a plan change.
    effective_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListFilter {
    customer_id: Option<Uuid>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PhaseBody {
    plan_id: Uuid,
    plan_code: Option<String>,
    plan_version: u32,
    starts_at: DateTime<Utc>,
    ends_at: Option<DateTime<Utc>>,
    reason: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PeriodBody {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SubscriptionResponse {
    id: Uuid,
    customer_id: Uuid,
    external_id: String,
    /// `pending` until it starts, `active`, `terminated`.
    status: &'static str,
    /// The plan running now (the first one for a pending subscription).
    plan: Option<PhaseBody>,
    billing_anchor: DateTime<Utc>,
    started_at: DateTime<Utc>,
    trial_ends_at: Option<DateTime<Utc>>,
    terminated_at: Option<DateTime<Utc>>,
    invoiced_through: DateTime<Utc>,
    /// The billing period now falls in; `null` once terminated.
    current_period: Option<PeriodBody>,
    /// A downgrade waiting for the end of the current period.
    pending_change: Option<PhaseBody>,
    phases: Vec<PhaseBody>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl SubscriptionResponse {
    fn new(record: &SubscriptionRecord, now: DateTime<Utc>) -> Self {
        let subscription = &record.subscription;
        let phase = |phase: &Phase| PhaseBody {
            plan_id: phase.plan.plan_id,
            plan_code: record.plan_codes.get(&phase.plan.plan_id).cloned(),
            plan_version: phase.plan.version,
            starts_at: phase.starts_at,
            ends_at: phase.ends_at,
            reason: phase.reason.as_str(),
        };
        let status = subscription.status_at(now);
        let running = subscription
            .phase_at(now)
            .or_else(|| subscription.phases().first());
        Self {
            id: record.id,
            customer_id: record.customer_id,
            external_id: record.external_id.clone(),
            status: status.as_str(),
            plan: running.map(phase),
            billing_anchor: subscription.billing_anchor(),
            started_at: subscription.started_at(),
            trial_ends_at: subscription.trial_ends_at(),
            terminated_at: subscription.terminated_at(),
            invoiced_through: record.invoiced_through,
            current_period: status
                .is_live()
                .then(|| subscription.current_period(now).ok())
                .flatten()
                .map(|period| PeriodBody {
                    start: period.start(),
                    end: period.end(),
                }),
            pending_change: subscription
                .scheduled_after(now.max(subscription.started_at()))
                .map(phase),
            phases: subscription.phases().iter().map(phase).collect(),
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// An id that is not a UUID, or another organization's subscription, is not found here.
fn subscription_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::Missing {
        what: "subscription",
    })
}

fn found(record: Option<SubscriptionRecord>) -> Result<HttpResponse, ApiError> {
    let record = record.ok_or(ApiError::Missing {
        what: "subscription",
    })?;
    Ok(HttpResponse::Ok().json(SubscriptionResponse::new(&record, Utc::now())))
}

pub async fn create(
    caller: Caller,
    state: web::Data<AppState>,
    body: Checked<ApiJson<CreateSubscriptionRequest>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.open()?.into_inner();
    body.validate()?;
    let request = SubscriptionRequest {
        customer_id: body.customer_id,
        plan_code: PlanCode::parse(&body.plan_code).map_err(ApiError::from)?,
        external_id: body.external_id,
        starts_at: body.starts_at,
    };
    let record = state
        .billing
        .subscriptions()
        .create(caller.principal.organization, request, &caller.audit)
        .await?;
    Ok(HttpResponse::Created().json(SubscriptionResponse::new(&record, Utc::now())))
}

pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: Paged<ListFilter>,
) -> Result<HttpResponse, ApiError> {
    let (page, filter) = query.open()?;
    let records = state
        .billing
        .subscriptions()
        .list(
            caller.principal.organization,
            filter.customer_id,
            page.after(LIST)?,
            page.fetch(),
        )
        .await?;
    let (records, next) = page.split(LIST, records, |r| r.id);
    let now = Utc::now();
    let data: Vec<SubscriptionResponse> = records
        .iter()
        .map(|record| SubscriptionResponse::new(record, now))
        .collect();
    Ok(paging::answer(&data, next))
}

pub async fn show(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = subscription_id(&id)?;
    found(
        state
            .billing
            .subscriptions()
            .get(caller.principal.organization, id)
            .await?,
    )
}

fn target_plan(body: Checked<ApiJson<PlanChangeRequest>>) -> Result<PlanCode, ApiError> {
    let body = body.open()?;
    body.validate()?;
    if let Some(at) = body.effective_at {
        let off_by = (at - Utc::now()).abs();
        if off_by > START_TOLERANCE {
            return Err(ApiError::Invalid {
                code: ErrorCode::EffectiveTimeUnsupported,
                message: format!(
                    "a plan change cannot take effect at {at}: an upgrade takes effect now and a \
                     downgrade at the end of the current period (Lago has no effective date for \
                     a plan change, so neither does Tollgate); backdating is for new \
                     subscriptions (starts_at)"
                ),
            });
        }
    }
    PlanCode::parse(&body.plan_code).map_err(ApiError::from)
}

pub async fn upgrade(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Checked<ApiJson<PlanChangeRequest>>,
) -> Result<HttpResponse, ApiError> {
    let plan = target_plan(body)?;
    let id = subscription_id(&id)?;
    found(
        state
            .billing
            .subscriptions()
            .upgrade(caller.principal.organization, id, &plan, &caller.audit)
            .await?,
    )
}

pub async fn downgrade(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Checked<ApiJson<PlanChangeRequest>>,
) -> Result<HttpResponse, ApiError> {
    let plan = target_plan(body)?;
    let id = subscription_id(&id)?;
    found(
        state
            .billing
            .subscriptions()
            .downgrade(caller.principal.organization, id, &plan, &caller.audit)
            .await?,
    )
}

pub async fn terminate(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = subscription_id(&id)?;
    found(
        state
            .billing
            .subscriptions()
            .terminate(caller.principal.organization, id, &caller.audit)
            .await?,
    )
}
