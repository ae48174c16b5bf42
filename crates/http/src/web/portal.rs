//! `/portal`: a customer's own view, for its members (signed in with the customer role) and
//! for portal-link visitors (`/portal/links/{token}` opens a session limited to the link's
//! customer). It shows the month's usage and cost, usage by model, what the open periods
//! would invoice now, the invoices with their PDF and receipt, and a download of the
//! customer's own events. Every read is scoped by the visitor's principal, never by anything
//! the URL says; a section whose system fails says so and the rest is still shown.

mod documents;
mod link;
mod models;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::Utc;
use chrono_tz::Tz;
use serde::Deserialize;
use tollgate_application::ports::SignInMethod;
use tollgate_domain::usage::CustomerId;
use uuid::Uuid;

use self::models::{ModelRow, by_model};
pub use self::{
    documents::{invoice_pdf, invoice_receipt},
    link::open,
};
use super::{
    Layout, Timing, Visitor, WebError,
    customers::{
        DayUsage, Estimate, InvoiceRow, Usage, daily_usage, estimates, invoice_status_key,
        invoices, subscriptions, usage_section,
    },
    error_page::{SectionFailure, degraded},
    figures::month_start,
    i18n::{catalog, key},
    layout::render,
    when::zone,
};
use crate::state::AppState;

/// The subject of a portal link's session: this prefix, then the link's id.
const LINK_SUBJECT: &str = "portal_link:";

#[derive(Deserialize)]
pub struct PortalQuery {
    tz: Option<String>,
}

#[derive(Template)]
#[template(path = "portal.html")]
struct PortalPage {
    layout: Layout,
    name: String,
    tz_error: Option<String>,
    usage: Option<Usage>,
    models: Vec<ModelRow>,
    models_chart: String,
    usage_failure: Option<SectionFailure>,
    estimates: Vec<Estimate>,
    billing_failure: Option<SectionFailure>,
    invoices: Vec<InvoiceRow>,
    more_invoices: bool,
    invoices_failure: Option<SectionFailure>,
    /// This month's events, as a query string for the download links.
    export_query: String,
    return_url: Option<String>,
}

impl PortalPage {
    fn invoice_status_key(&self, status: &str) -> &'static str {
        invoice_status_key(status)
    }
}

/// The link a portal-link visitor came through, whose `return_url` the page links back to.
fn link_id(visitor: &Visitor) -> Option<Uuid> {
    let record = &visitor.session.record;
    if record.method != SignInMethod::PortalLink {
        return None;
    }
    record
        .holder
        .subject
        .strip_prefix(LINK_SUBJECT)
        .and_then(|id| Uuid::parse_str(id).ok())
}

pub async fn page(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    query: web::Query<PortalQuery>,
) -> Result<HttpResponse, WebError> {
    let t = catalog();
    let (tz, tz_error) = match zone(query.tz.as_deref()) {
        Ok(tz) => (tz, None),
        Err(refused) => (Tz::UTC, Some(t.tr_with("customers-tz-invalid", &refused))),
    };
    let reader = &visitor.caller.principal;
    let organization = reader.organization;
    // The access table lets only the customer role in, and a customer's principal always
    // names its customer; anything else has no portal to show.
    let external_id = reader.customer.clone().ok_or(WebError::NotFound)?;
    let customer = CustomerId::parse(&external_id).map_err(|_| WebError::NotFound)?;
    // A customer LiteLLM reports usage for may have no billing record yet: its usage is
    // still shown, with no subscriptions or invoices.
    let record = timing
        .measure(
            "customer",
            state
                .billing
                .customers()
                .by_external_id(organization, &customer),
        )
        .await?;
    let name = record.as_ref().map_or_else(
        || external_id.clone(),
        |record| record.customer.name().to_owned(),
    );
    let now = Utc::now();
    let usage = async {
        let days: Vec<DayUsage> = daily_usage(&state, organization, &external_id, tz, now).await?;
        let models = by_model(&state, organization, &external_id, tz, now).await?;
        Ok::<_, WebError>((Some(usage_section(t, &days, tz)), models))
    };
    let ((usage, models), usage_failure) = match timing.measure("metering", usage).await {
        Ok(section) => (section, None),
        Err(error) => degraded(error)?,
    };
    let billing = async {
        let Some(record) = &record else {
            return Ok(Vec::new());
        };
        let rows = subscriptions(&state, reader, record.id, tz, now).await?;
        estimates(&state, reader, &rows, tz).await
    };
    let (estimates, billing_failure) = match timing.measure("billing", billing).await {
        Ok(section) => (section, None),
        Err(error) => degraded(error)?,
    };
    let ((invoices, more_invoices), invoices_failure) = match timing
        .measure("invoices", invoices(&state, reader, &customer, tz))
        .await
    {
        Ok(section) => (section, None),
        Err(error) => degraded(error)?,
    };
    let return_url = match link_id(&visitor) {
        Some(id) => {
            timing
                .measure(
                    "portal_link",
                    state.billing.portal_links().return_url(organization, id),
                )
                .await?
        }
        None => None,
    };
    let month = month_start(now, tz).with_timezone(&tz);
    let export_query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("from", &month.format("%Y-%m-%d").to_string())
        .append_pair("tz", tz.name())
        .finish();
    let mut layout = Layout::page(&visitor, &request, key("portal-title"), &timing);
    // A link's visitor has no account to name: the customer is who they are here.
    if let Some(account) = layout.account.as_mut() {
        account.subject.clone_from(&name);
    }
    let models_chart = models::chart(t, &models);
    let page = PortalPage {
        layout,
        name,
        tz_error,
        usage,
        models,
        models_chart,
        usage_failure,
        estimates,
        billing_failure,
        invoices,
        more_invoices,
        invoices_failure,
        export_query,
        return_url,
    };
    let status = if page.tz_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(status, &page)
}
