//! Finalize and void, each confirmed first. With the script, a `<dialog>` asks and the form
//! is posted with `confirmed=yes`; without it, the first post answers a confirmation page
//! whose button posts the same form confirmed. Done, it is 303 back to the invoice; refused
//! (a voided invoice cannot be finalized...), the invoice again with the API's code, 409.

use actix_web::{
    HttpRequest, HttpResponse, ResponseError,
    http::{StatusCode, header},
    web,
};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::invoices::{Refusal, detail};
use crate::{
    state::AppState,
    web::{
        Layout, Timing, Visitor, WebError,
        i18n::{catalog, key},
        layout::render,
    },
};

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    /// `yes` once the person confirmed (the dialog, or the confirmation page).
    #[serde(default)]
    confirmed: String,
}

#[derive(Clone, Copy)]
enum Action {
    Finalize,
    Void,
}

impl Action {
    fn verb(self) -> &'static str {
        match self {
            Self::Finalize => "finalize",
            Self::Void => "void",
        }
    }
}

#[derive(Template)]
#[template(path = "billing/confirm.html")]
struct ConfirmPage {
    layout: Layout,
    heading: String,
    message: String,
    action: String,
    button: String,
    danger: bool,
    back: String,
}

pub async fn finalize(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, WebError> {
    act(
        Action::Finalize,
        &request,
        &visitor,
        &timing,
        &state,
        &id,
        &form,
    )
    .await
}

pub async fn void(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<ActionForm>,
) -> Result<HttpResponse, WebError> {
    act(
        Action::Void,
        &request,
        &visitor,
        &timing,
        &state,
        &id,
        &form,
    )
    .await
}

async fn act(
    action: Action,
    request: &HttpRequest,
    visitor: &Visitor,
    timing: &Timing,
    state: &AppState,
    id: &str,
    form: &ActionForm,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    let id = Uuid::parse_str(id).map_err(|_| WebError::NotFound)?;
    let organization = visitor.caller.principal.organization;
    let invoices = state.billing.invoices();
    let back = format!("/billing/invoices/{id}");
    if form.confirmed != "yes" {
        let record = timing
            .measure("invoice", invoices.get(organization, id))
            .await?
            .ok_or(WebError::NotFound)?;
        let t = catalog();
        let number = record
            .invoice
            .number()
            .map_or_else(|| t.tr("invoice-draft-number"), ToString::to_string);
        let total = crate::web::figures::money(record.invoice.total());
        let (title, heading, message, button) = match action {
            Action::Finalize => (
                key("invoice-finalize-title"),
                t.tr_with("invoice-finalize-heading", &number),
                t.tr("invoice-finalize-confirm"),
                t.tr("invoice-finalize"),
            ),
            Action::Void => (
                key("invoice-void-title"),
                t.tr_with("invoice-void-heading", &number),
                t.tr_with("invoice-void-confirm", &total),
                t.tr("invoice-void"),
            ),
        };
        let page = ConfirmPage {
            layout: Layout::page(visitor, request, title, timing),
            heading,
            message,
            action: format!("{back}/{}", action.verb()),
            button,
            danger: matches!(action, Action::Void),
            back,
        };
        return render(StatusCode::OK, &page);
    }
    let audit = &visitor.caller.audit;
    let done = match action {
        Action::Finalize => {
            timing
                .measure("finalize", invoices.finalize(organization, id, audit))
                .await
        }
        Action::Void => {
            timing
                .measure("void", invoices.void(organization, id, audit))
                .await
        }
    };
    if matches!((&action, &done), (Action::Void, Ok(Some(_)))) {
        crate::routes::api::payments::cancel_after_void(state, organization, id).await;
    }
    match done {
        Ok(Some(_)) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, back))
            .finish()),
        Ok(None) => Err(WebError::NotFound),
        Err(error) => match WebError::from(error) {
            WebError::Api(api) if api.status_code().is_client_error() => {
                let refusal = Refusal {
                    code: api.code().as_str(),
                    message: api.public_message(),
                };
                detail(
                    request,
                    visitor,
                    timing,
                    state,
                    id,
                    Some((api.status_code(), refusal)),
                )
                .await
            }
            other => Err(other),
        },
    }
}
