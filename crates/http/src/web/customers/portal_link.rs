//! `POST /customers/{id}/portal-links`: a one-time link into the customer's portal, issued
//! by the service of `POST /api/billing/customers/{id}/portal-links`. The answer is a page
//! showing the link once, with a copy button (only its hash is kept, so it cannot be shown
//! again); a refused return URL or lifetime shows the form again with the API's code.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use super::customer;
use crate::{
    access::portal::PORTAL_LINK_PATH,
    error::ApiError,
    state::AppState,
    web::{
        Layout, Timing, Visitor, WebError,
        figures::datetime,
        i18n::{catalog, key},
        layout::render,
    },
};

/// The lifetimes offered, in seconds, with their label keys.
pub const LIFETIMES: &[(i64, &str)] = &[
    (3600, key("portal-link-1h")),
    (4 * 3600, key("portal-link-4h")),
    (24 * 3600, key("portal-link-24h")),
];

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    return_url: String,
    #[serde(default)]
    expires_in: String,
}

#[derive(Template)]
#[template(path = "customers/portal_link.html")]
struct IssuedPage {
    layout: Layout,
    customer_id: Uuid,
    customer_name: String,
    /// The link, shown this once; `None` when the form was refused.
    url: Option<String>,
    expires_at: String,
    return_url: String,
    expires_in: String,
    /// (seconds, label)
    lifetimes: Vec<(i64, String)>,
    refusal: Option<(&'static str, String)>,
}

pub async fn create(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<LinkForm>,
) -> Result<HttpResponse, WebError> {
    visitor.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    let record = timing
        .measure("customer", customer(&state, &visitor, &id))
        .await?;
    let return_url = Some(form.return_url.trim()).filter(|url| !url.is_empty());
    let outcome = async {
        let expires_in = match form.expires_in.trim() {
            "" => None,
            seconds => Some(seconds.parse::<i64>().map_err(|_| ApiError::Invalid {
                code: tollgate_domain::ErrorCode::OutOfRange,
                message: "expires_in must be a number of seconds".into(),
            })?),
        };
        timing
            .measure(
                "billing",
                state.billing.portal_links().issue(
                    visitor.caller.principal.organization,
                    record.id,
                    return_url,
                    expires_in,
                    &visitor.caller.audit,
                ),
            )
            .await?
            .ok_or(ApiError::Missing { what: "customer" })
    }
    .await;
    let t = catalog();
    let mut page = IssuedPage {
        layout: Layout::page(&visitor, &request, key("portal-link-title"), &timing),
        customer_id: record.id,
        customer_name: record.customer.name().to_owned(),
        url: None,
        expires_at: String::new(),
        return_url: form.return_url.clone(),
        expires_in: form.expires_in.clone(),
        lifetimes: LIFETIMES
            .iter()
            .map(|(seconds, label)| (*seconds, t.tr(label)))
            .collect(),
        refusal: None,
    };
    match outcome {
        Ok(issued) => {
            page.url = Some(format!(
                "{}{PORTAL_LINK_PATH}{}",
                state.web.origin, issued.token
            ));
            page.expires_at = datetime(issued.expires_at, chrono_tz::Tz::UTC);
            render(StatusCode::CREATED, &page)
        }
        Err(error) if actix_web::ResponseError::status_code(&error).is_client_error() => {
            page.refusal = Some((error.code().as_str(), error.public_message()));
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(error) => Err(error.into()),
    }
}
