//! `/api/settings/members`: the organization's team. List (by subject), add, change a
//! member's role, remove. Only an owner grants, changes or removes an owner (403 otherwise);
//! the last owner cannot be removed or demoted (409 `last_owner`); every change is audited.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use tollgate_application::{
    ports::{Member, MemberWrite, Membership},
    services::access::{
        PrincipalKind,
        memberships::team::{Actor, TeamRefusal},
    },
};
use tollgate_domain::access::Role;

use super::paging::{self, Paged};
use crate::{
    access::Caller,
    error::ApiError,
    extract::{ApiJson, Checked},
    state::AppState,
};

const LIST: &str = "members";

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    /// The person's identity: the Kratos identity id (or the subject its tokens carry).
    subject: String,
    /// `owner`, `admin`, `billing`, `viewer` or `customer`.
    role: String,
    /// The customer's external id: required for `customer`, refused for other roles.
    customer: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeMemberRequest {
    role: String,
    customer: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct MemberResponse {
    subject: String,
    role: &'static str,
    customer: Option<String>,
}

impl MemberResponse {
    fn new(subject: &str, membership: &Membership) -> Self {
        Self {
            subject: subject.to_owned(),
            role: membership.role.as_str(),
            customer: membership.customer.clone(),
        }
    }
}

impl From<&Member> for MemberResponse {
    fn from(member: &Member) -> Self {
        Self::new(&member.subject, &member.membership)
    }
}

pub(crate) fn actor(caller: &Caller) -> Actor {
    match caller.principal.kind {
        PrincipalKind::Person { role } => Actor::Person(role),
        PrincipalKind::ApiKey { .. } => Actor::ApiKey,
    }
}

pub(crate) fn membership(role: &str, customer: Option<String>) -> Result<Membership, ApiError> {
    Ok(Membership {
        role: Role::parse(role)?,
        customer,
    })
}

pub(crate) fn refused(refusal: TeamRefusal) -> ApiError {
    match refusal {
        TeamRefusal::NotMember => ApiError::Missing { what: "member" },
        TeamRefusal::OwnerOnly => {
            ApiError::Forbidden("only an owner grants, changes or removes an owner".into())
        }
    }
}

pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: Paged,
) -> Result<HttpResponse, ApiError> {
    let (page, _) = query.open()?;
    let members = state
        .memberships
        .members(
            caller.principal.organization,
            page.after::<String>(LIST)?,
            page.fetch(),
        )
        .await?;
    let (members, next) = page.split(LIST, members, |m| m.subject.clone());
    let data: Vec<MemberResponse> = members.iter().map(MemberResponse::from).collect();
    Ok(paging::answer(&data, next))
}

pub async fn add(
    caller: Caller,
    state: web::Data<AppState>,
    body: Checked<ApiJson<AddMemberRequest>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.open()?.into_inner();
    let wanted = membership(&body.role, body.customer)?;
    state
        .memberships
        .change_member(
            caller.principal.organization,
            &body.subject,
            MemberWrite::Add(wanted.clone()),
            actor(&caller),
            &caller.audit,
        )
        .await?
        .map_err(refused)?;
    Ok(HttpResponse::Created().json(MemberResponse::new(&body.subject, &wanted)))
}

pub async fn change(
    caller: Caller,
    state: web::Data<AppState>,
    subject: web::Path<String>,
    body: Checked<ApiJson<ChangeMemberRequest>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.open()?.into_inner();
    let wanted = membership(&body.role, body.customer)?;
    state
        .memberships
        .change_member(
            caller.principal.organization,
            &subject,
            MemberWrite::Update(wanted.clone()),
            actor(&caller),
            &caller.audit,
        )
        .await?
        .map_err(refused)?;
    Ok(HttpResponse::Ok().json(MemberResponse::new(&subject, &wanted)))
}

pub async fn remove(
    caller: Caller,
    state: web::Data<AppState>,
    subject: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .memberships
        .change_member(
            caller.principal.organization,
            &subject,
            MemberWrite::Remove,
            actor(&caller),
            &caller.audit,
        )
        .await?
        .map_err(refused)?;
    Ok(HttpResponse::NoContent().finish())
}
