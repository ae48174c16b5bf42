//! `/settings/team`: the organization's members and their roles; add one, change a role,
//! remove one, through the memberships service (embedded, or Ory Keto when configured) as
//! the API's `/api/settings/members` does. Only an owner grants, changes or removes an owner;
//! the last owner cannot go (409 `last_owner`, shown on the page). With Kratos's admin API
//! configured, a member is added by the e-mail they sign in with and the list shows each
//! member's e-mail (left blank, the page still shown, when Kratos cannot be reached).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;
use tollgate_application::{
    ports::MemberWrite,
    services::access::memberships::people::{ListedMember, Person},
};
use tollgate_domain::access::Role;

use super::{Refusal, Section, refusal, sections, see_other};
use crate::{
    error::ApiError,
    routes::api::members::{actor, membership, refused},
    state::AppState,
    web::{
        Layout, Timing, Visitor, WebError,
        i18n::{catalog, key},
        layout::{render, role_key},
    },
};

/// Members per page.
const PAGE: i64 = 100;

const ROLES: [Role; 5] = [
    Role::Owner,
    Role::Admin,
    Role::Billing,
    Role::Viewer,
    Role::Customer,
];

/// A role in a select: value, label, selected.
pub struct RoleChoice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

pub struct MemberRow {
    pub subject: String,
    /// The member's e-mail in Kratos, empty when unknown.
    pub email: String,
    /// The subject as a path segment.
    pub path: String,
    pub role: String,
    pub customer: String,
    /// The visitor may change or remove this member (an owner's row needs an owner).
    pub editable: bool,
    pub roles: Vec<RoleChoice>,
}

#[derive(Template)]
#[template(path = "settings_team.html")]
struct TeamPage {
    layout: Layout,
    sections: Vec<Section>,
    members: Vec<MemberRow>,
    next: Option<String>,
    refusal: Option<Refusal>,
    done: Option<String>,
    /// The add form's values.
    subject: String,
    /// Members are added by e-mail (Kratos's admin API is configured).
    by_email: bool,
    customer: String,
    roles: Vec<RoleChoice>,
}

/// The roles the visitor may hand out (only an owner grants owner), `selected` chosen.
fn role_choices(visitor: &Visitor, selected: &str) -> Vec<RoleChoice> {
    let t = catalog();
    ROLES
        .iter()
        .filter(|role| **role != Role::Owner || visitor.role == Role::Owner)
        .map(|role| RoleChoice {
            value: role.as_str(),
            label: t.tr(role_key(*role)),
            selected: role.as_str() == selected,
        })
        .collect()
}

fn row(visitor: &Visitor, listed: &ListedMember) -> MemberRow {
    let member = &listed.member;
    let role = member.membership.role;
    MemberRow {
        subject: member.subject.clone(),
        email: listed.email.clone().unwrap_or_default(),
        path: url::form_urlencoded::byte_serialize(member.subject.as_bytes())
            .collect::<String>()
            .replace('+', "%20"),
        role: catalog().tr(role_key(role)),
        customer: member.membership.customer.clone().unwrap_or_default(),
        editable: role != Role::Owner || visitor.role == Role::Owner,
        roles: role_choices(visitor, role.as_str()),
    }
}

async fn team_page(
    visitor: &Visitor,
    request: &HttpRequest,
    timing: &Timing,
    state: &AppState,
    after: Option<String>,
) -> Result<TeamPage, WebError> {
    let mut members = timing
        .measure(
            "members",
            state.memberships.members_with_emails(
                visitor.caller.principal.organization,
                after,
                PAGE + 1,
            ),
        )
        .await?;
    let size = usize::try_from(PAGE).unwrap_or(usize::MAX);
    let next = if members.len() > size {
        members.truncate(size);
        members.last().map(|last| {
            format!(
                "/settings/team?after={}",
                url::form_urlencoded::byte_serialize(last.member.subject.as_bytes())
                    .collect::<String>()
            )
        })
    } else {
        None
    };
    Ok(TeamPage {
        layout: Layout::page(visitor, request, key("team-title"), timing),
        sections: sections("/settings/team"),
        members: members.iter().map(|m| row(visitor, m)).collect(),
        next,
        refusal: None,
        done: None,
        subject: String::new(),
        by_email: state.memberships.resolves_emails(),
        customer: String::new(),
        roles: role_choices(visitor, Role::Viewer.as_str()),
    })
}

#[derive(Deserialize)]
pub struct TeamQuery {
    after: Option<String>,
    done: Option<String>,
}

pub async fn page(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    query: web::Query<TeamQuery>,
) -> Result<HttpResponse, WebError> {
    let query = query.into_inner();
    let mut page = team_page(&visitor, &request, &timing, &state, query.after).await?;
    let t = catalog();
    page.done = match query.done.as_deref() {
        Some("added") => Some(t.tr("team-added")),
        Some("changed") => Some(t.tr("team-changed")),
        Some("removed") => Some(t.tr("team-removed")),
        _ => None,
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    customer: String,
}

/// Who the add form names: with Kratos, text with an `@` is the e-mail they sign in with
/// (Kratos identity ids never hold one); otherwise a subject, as it always was (the embedded
/// identity's subjects may look like e-mails).
fn person_of(state: &AppState, text: &str) -> Person {
    let text = text.trim();
    if state.memberships.resolves_emails() && text.contains('@') {
        Person::Email(text.to_owned())
    } else {
        Person::Subject(text.to_owned())
    }
}

/// Applies `write` to `subject` as the API's member routes do.
async fn write(
    visitor: &Visitor,
    state: &AppState,
    subject: &str,
    write: MemberWrite,
) -> Result<(), ApiError> {
    state
        .memberships
        .change_member(
            visitor.caller.principal.organization,
            subject,
            write,
            actor(&visitor.caller),
            &visitor.caller.audit,
        )
        .await?
        .map_err(refused)?;
    Ok(())
}

fn customer_of(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|c| !c.is_empty())
}

/// The team page again with why `error` refused the form, the add form's values kept.
async fn refused_page(
    visitor: &Visitor,
    request: &HttpRequest,
    timing: &Timing,
    state: &AppState,
    error: ApiError,
    kept: Option<&MemberForm>,
) -> Result<HttpResponse, WebError> {
    let (status, refused) = refusal(error)?;
    let mut page = team_page(visitor, request, timing, state, None).await?;
    page.refusal = Some(refused);
    if let Some(form) = kept {
        page.subject.clone_from(&form.subject);
        page.customer.clone_from(&form.customer);
        page.roles = role_choices(visitor, &form.role);
    }
    render(status, &page)
}

/// `POST /settings/team`: a new member.
pub async fn add(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    form: web::Form<MemberForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    let outcome = async {
        let wanted = membership(&form.role, customer_of(&form.customer))?;
        let person = person_of(&state, &form.subject);
        timing
            .measure(
                "members",
                state.memberships.add_member(
                    visitor.caller.principal.organization,
                    &person,
                    wanted,
                    actor(&visitor.caller),
                    &visitor.caller.audit,
                ),
            )
            .await?
            .map_err(refused)?;
        Ok::<(), ApiError>(())
    }
    .await;
    match outcome {
        Ok(()) => Ok(see_other("/settings/team?done=added")),
        Err(error) => refused_page(&visitor, &request, &timing, &state, error, Some(&form)).await,
    }
}

#[derive(Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    customer: String,
}

/// `POST /settings/team/{subject}/role`: the member's new role.
pub async fn change(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    subject: web::Path<String>,
    form: web::Form<ChangeForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    let outcome = async {
        let wanted = membership(&form.role, customer_of(&form.customer))?;
        timing
            .measure(
                "members",
                write(&visitor, &state, &subject, MemberWrite::Update(wanted)),
            )
            .await
    }
    .await;
    match outcome {
        Ok(()) => Ok(see_other("/settings/team?done=changed")),
        Err(error) => refused_page(&visitor, &request, &timing, &state, error, None).await,
    }
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /settings/team/{subject}/remove`: the member gone (not the last owner).
pub async fn remove(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    subject: web::Path<String>,
    form: web::Form<RemoveForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    match timing
        .measure(
            "members",
            write(&visitor, &state, &subject, MemberWrite::Remove),
        )
        .await
    {
        Ok(()) => Ok(see_other("/settings/team?done=removed")),
        Err(error) => refused_page(&visitor, &request, &timing, &state, error, None).await,
    }
}
