//! `/api/settings/members`: the organization's team. List (by subject, with each member's
//! e-mail when Kratos's admin API is configured), add (by subject, or by e-mail through
//! Kratos), change a member's role, remove. Only an owner grants, changes or removes an owner (403 otherwise);
//! the last owner cannot be removed or demoted (409 `last_owner`); every change is audited.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use tollgate_application::{
    ports::{MemberWrite, Membership},
    services::access::{
        PrincipalKind,
        memberships::{
            people::{ListedMember, Person},
            team::{Actor, TeamRefusal},
        },
    },
};
use tollgate_domain::{ErrorCode, access::Role};

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
    /// Give this or `email`.
    subject: Option<String>,
    /// The e-mail the person signs in with, looked up in Kratos (`ory.kratos_admin_url`):
    /// their identity id becomes the member's subject; 422 `unknown_identity` when nobody
    /// signs in with it. Give this or `subject`.
    email: Option<String>,
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
    /// The member's e-mail in Kratos; absent without Kratos's admin API, for a subject it
    /// does not know, or while it cannot be reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
}

impl MemberResponse {
    fn new(subject: &str, membership: &Membership, email: Option<String>) -> Self {
        Self {
            subject: subject.to_owned(),
            role: membership.role.as_str(),
            customer: membership.customer.clone(),
            email,
        }
    }
}

impl From<&ListedMember> for MemberResponse {
    fn from(listed: &ListedMember) -> Self {
        Self::new(
            &listed.member.subject,
            &listed.member.membership,
            listed.email.clone(),
        )
    }
}

/// Who the request names: a subject or an e-mail, exactly one.
fn person(subject: Option<String>, email: Option<String>) -> Result<Person, ApiError> {
    match (subject, email) {
        (Some(subject), None) => Ok(Person::Subject(subject)),
        (None, Some(email)) => Ok(Person::Email(email)),
        (None, None) => Err(ApiError::Invalid {
            code: ErrorCode::MissingField,
            message: "give the member's `subject` or `email`".into(),
        }),
        (Some(_), Some(_)) => Err(ApiError::Invalid {
            code: ErrorCode::InvalidRequest,
            message: "give the member's `subject` or `email`, not both".into(),
        }),
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
        .members_with_emails(
            caller.principal.organization,
            page.after::<String>(LIST)?,
            page.fetch(),
        )
        .await?;
    let (members, next) = page.split(LIST, members, |m| m.member.subject.clone());
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
    let person = person(body.subject, body.email)?;
    let added = state
        .memberships
        .add_member(
            caller.principal.organization,
            &person,
            wanted.clone(),
            actor(&caller),
            &caller.audit,
        )
        .await?
        .map_err(refused)?;
    Ok(HttpResponse::Created().json(MemberResponse::new(&added.subject, &wanted, added.email)))
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
    Ok(HttpResponse::Ok().json(MemberResponse::new(&subject, &wanted, None)))
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
