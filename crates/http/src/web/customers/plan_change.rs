//! A customer's subscription changed from its page, as `POST
//! /api/billing/subscriptions/{id}/upgrade|downgrade|terminate` change it (the same service):
//! an upgrade now, a downgrade at the period's end, a termination now. Terminating asks
//! first: the script's `<dialog>`, or without the script a page that asks (the form posts
//! `confirmed=yes` only from there or from the dialog). A refusal is shown with the API's code
//! and the form again, the chosen plan kept; success is a 303 back to the customer.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use askama::Template;
use serde::Deserialize;
use tollgate_application::ports::SubscriptionRecord;
use tollgate_domain::billing::PlanCode;
use uuid::Uuid;

use super::customer;
use crate::{
    error::ApiError,
    state::AppState,
    web::{
        Layout, Timing, Visitor, WebError,
        i18n::{catalog, key},
        layout::render,
    },
};

#[derive(Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    plan_code: String,
}

#[derive(Deserialize)]
pub struct TerminateForm {
    #[serde(default)]
    csrf: String,
    /// `yes` once the person confirmed (the dialog, or the page that asks).
    #[serde(default)]
    confirmed: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Change {
    Upgrade,
    Downgrade,
    Terminate,
}

impl Change {
    fn path(self) -> &'static str {
        match self {
            Self::Upgrade => "upgrade",
            Self::Downgrade => "downgrade",
            Self::Terminate => "terminate",
        }
    }
}

/// The page that asks before terminating, or says why a change was refused.
#[derive(Template)]
#[template(path = "customers/subscription_change.html")]
struct ChangePage {
    layout: Layout,
    customer_id: Uuid,
    customer_name: String,
    subscription_id: Uuid,
    subscription: String,
    /// `upgrade`, `downgrade` or `terminate`: the form shown again.
    change: &'static str,
    plan_code: String,
    plans: Vec<String>,
    refusal: Option<(&'static str, String)>,
}

/// The customer and its subscription `subscription` (another customer's is not found).
async fn subscription_of(
    state: &AppState,
    visitor: &Visitor,
    path: &(String, String),
) -> Result<
    (
        tollgate_application::ports::CustomerRecord,
        SubscriptionRecord,
    ),
    WebError,
> {
    let record = customer(state, visitor, &path.0).await?;
    let id = Uuid::parse_str(&path.1).map_err(|_| WebError::NotFound)?;
    let subscription = state
        .billing
        .subscriptions()
        .get(visitor.caller.principal.organization, id)
        .await?
        .filter(|subscription| subscription.customer_id == record.id)
        .ok_or(WebError::NotFound)?;
    Ok((record, subscription))
}

async fn plan_codes(state: &AppState, visitor: &Visitor) -> Result<Vec<String>, WebError> {
    Ok(state
        .billing
        .plans()
        .list(visitor.caller.principal.organization, None, 200)
        .await?
        .into_iter()
        .filter(|plan| plan.archived_at.is_none())
        .map(|plan| plan.current.draft.plan.code().as_str().to_owned())
        .collect())
}

fn back(customer: Uuid) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/customers/{customer}")))
        .finish()
}

#[allow(clippy::too_many_arguments, reason = "the handler's extractors")]
async fn change(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    change: Change,
    plan_code: String,
    confirmed: bool,
) -> Result<HttpResponse, WebError> {
    let (record, subscription) = timing
        .measure("billing", subscription_of(&state, &visitor, &path))
        .await?;
    let organization = visitor.caller.principal.organization;
    let audit = &visitor.caller.audit;
    let subscriptions = state.billing.subscriptions();
    if change == Change::Terminate && !confirmed {
        let page = ChangePage {
            layout: Layout::page(
                &visitor,
                &request,
                key("customer-subscription-terminate-title"),
                &timing,
            ),
            customer_id: record.id,
            customer_name: record.customer.name().to_owned(),
            subscription_id: subscription.id,
            subscription: subscription.external_id,
            change: change.path(),
            plan_code,
            plans: Vec::new(),
            refusal: None,
        };
        return render(StatusCode::OK, &page);
    }
    let outcome: Result<(), ApiError> = async {
        let done = match change {
            Change::Terminate => {
                timing
                    .measure(
                        "billing",
                        subscriptions.terminate(organization, subscription.id, audit),
                    )
                    .await?
            }
            Change::Upgrade | Change::Downgrade => {
                let plan = PlanCode::parse(plan_code.trim()).map_err(ApiError::from)?;
                if change == Change::Upgrade {
                    let work = subscriptions.upgrade(organization, subscription.id, &plan, audit);
                    timing.measure("billing", work).await?
                } else {
                    let work = subscriptions.downgrade(organization, subscription.id, &plan, audit);
                    timing.measure("billing", work).await?
                }
            }
        };
        done.map(|_| ()).ok_or(ApiError::Missing {
            what: "subscription",
        })
    }
    .await;
    let error = match outcome {
        Ok(()) => return Ok(back(record.id)),
        Err(error) => error,
    };
    if !actix_web::ResponseError::status_code(&error).is_client_error() {
        return Err(error.into());
    }
    let plans = if change == Change::Terminate {
        Vec::new()
    } else {
        plan_codes(&state, &visitor).await?
    };
    let page = ChangePage {
        layout: Layout::page(
            &visitor,
            &request,
            key("customer-subscription-refused-title"),
            &timing,
        ),
        customer_id: record.id,
        customer_name: record.customer.name().to_owned(),
        subscription_id: subscription.id,
        subscription: subscription.external_id,
        change: change.path(),
        plan_code,
        plans,
        refusal: Some((error.code().as_str(), error.public_message())),
    };
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// `POST /customers/{id}/subscriptions/{subscription}/upgrade`: the new plan now, prorated.
pub async fn upgrade(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<PlanForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    change(
        request,
        visitor,
        timing,
        state,
        path,
        Change::Upgrade,
        form.plan_code,
        false,
    )
    .await
}

/// `POST /customers/{id}/subscriptions/{subscription}/downgrade`: at the period's end.
pub async fn downgrade(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<PlanForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    change(
        request,
        visitor,
        timing,
        state,
        path,
        Change::Downgrade,
        form.plan_code,
        false,
    )
    .await
}

/// `POST /customers/{id}/subscriptions/{subscription}/terminate`: asks, then ends it now.
pub async fn terminate(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<TerminateForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    let confirmed = form.confirmed == "yes";
    change(
        request,
        visitor,
        timing,
        state,
        path,
        Change::Terminate,
        String::new(),
        confirmed,
    )
    .await
}

impl ChangePage {
    fn action(&self) -> String {
        format!(
            "/customers/{}/subscriptions/{}/{}",
            self.customer_id, self.subscription_id, self.change
        )
    }

    fn confirm_message(&self) -> String {
        catalog().tr_with(
            "customer-subscription-terminate-confirm",
            &self.subscription,
        )
    }
}
