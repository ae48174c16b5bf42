//! `/billing/invoices`: the list (newest first, keyset paged, filtered by GET parameters so a
//! copied URL opens the same view). Issue dates are read as whole days in the page's `tz`,
//! the zone the list shows them in.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::NaiveDate;
use chrono_tz::Tz;
use tollgate_application::ports::{InvoiceFilter, InvoiceRecord};
use tollgate_domain::{billing::CurrencyCode, usage::CustomerId};

use super::{
    Section,
    invoices::{number, period, status_class},
    labels, param, params, query_string, sections,
};
use crate::{
    routes::api::paging::{Page, next_cursor},
    state::AppState,
    web::{
        Layout, Timing, Visitor, WebError,
        error_page::SectionFailure,
        figures,
        i18n::{catalog, key},
        layout::render,
        when,
    },
};

/// Invoices one page lists.
const PAGE_ROWS: i64 = 50;
/// The API's list name: a page's `after` is the API's cursor.
const LIST: &str = "invoices";

/// The filters as typed, shown again and kept in every link of the list.
#[derive(Default)]
pub struct Filters {
    pub status: String,
    pub customer: String,
    pub currency: String,
    pub issued_from: String,
    pub issued_to: String,
    pub tz: String,
}

impl Filters {
    /// The list's URL with these filters, from `after` (the first page when empty).
    fn url(&self, after: &str) -> String {
        format!(
            "/billing/invoices{}",
            query_string(&[
                ("status", &self.status),
                ("customer", &self.customer),
                ("currency", &self.currency),
                ("issued_from", &self.issued_from),
                ("issued_to", &self.issued_to),
                ("tz", &self.tz),
                ("after", after),
            ])
        )
    }
}

/// A bad parameter's message, by field.
#[derive(Default)]
pub struct FilterErrors {
    pub status: Option<String>,
    pub customer: Option<String>,
    pub currency: Option<String>,
    pub issued_from: Option<String>,
    pub issued_to: Option<String>,
    pub tz: Option<String>,
    pub after: Option<String>,
}

impl FilterErrors {
    fn any(&self) -> bool {
        [
            &self.status,
            &self.customer,
            &self.currency,
            &self.issued_from,
            &self.issued_to,
            &self.tz,
            &self.after,
        ]
        .iter()
        .any(|error| error.is_some())
    }
}

pub struct Row {
    pub href: String,
    pub number: String,
    pub customer: String,
    pub customer_href: String,
    pub status_class: &'static str,
    pub status: String,
    pub period: String,
    pub issued: String,
    pub total: String,
}

#[derive(Template)]
#[template(path = "billing/invoices.html")]
struct ListPage {
    layout: Layout,
    sections: Vec<Section>,
    filters: Filters,
    errors: FilterErrors,
    /// (value, label, selected)
    statuses: Vec<(&'static str, String, bool)>,
    failure: Option<SectionFailure>,
    rows: Vec<Row>,
    /// The next page's URL, when there is one.
    next: Option<String>,
    /// The first page's URL, when this is a later one.
    first: Option<String>,
    filtered: bool,
}

fn row(record: &InvoiceRecord, zone: Tz) -> Row {
    let t = catalog();
    let invoice = &record.invoice;
    let customer = invoice.customer().as_str().to_owned();
    Row {
        href: format!("/billing/invoices/{}", record.id),
        number: number(record),
        customer_href: format!(
            "/billing/invoices{}",
            query_string(&[("customer", &customer)])
        ),
        customer,
        status_class: status_class(invoice.status()),
        status: t.tr(labels::invoice_status(invoice.status())),
        period: period(record.period),
        issued: figures::date(record.issued_at, zone),
        total: figures::money(invoice.total()),
    }
}

/// The filter the typed `filters` ask for, each unusable value noted in `errors` by field.
fn read(filters: &Filters, errors: &mut FilterErrors) -> InvoiceFilter {
    let t = catalog();
    let status = match filters.status.as_str() {
        "" => None,
        text => {
            let found = labels::INVOICE_STATUSES
                .into_iter()
                .find(|s| s.as_str() == text);
            if found.is_none() {
                errors.status = Some(t.tr("invoices-status-invalid"));
            }
            found
        }
    };
    let customer = match filters.customer.as_str() {
        "" => None,
        text => CustomerId::parse(text)
            .map_err(|_| errors.customer = Some(t.tr("invoices-customer-invalid")))
            .ok(),
    };
    let currency = match filters.currency.as_str() {
        "" => None,
        text => CurrencyCode::parse(text)
            .map_err(|_| errors.currency = Some(t.tr("invoices-currency-invalid")))
            .ok(),
    };
    let zone = when::zone(Some(&filters.tz))
        .map_err(|_| errors.tz = Some(t.tr("billing-tz-invalid")))
        .ok();
    let day = |text: &str, error: &mut Option<String>| match text {
        "" => None,
        text => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| *error = Some(t.tr("invoices-date-invalid")))
            .ok(),
    };
    let from = day(&filters.issued_from, &mut errors.issued_from);
    let to = day(&filters.issued_to, &mut errors.issued_to);
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        errors.issued_to = Some(t.tr("invoices-date-order"));
    }
    // Without a zone there is no day to read: the page answers the tz's message instead.
    let zone = zone.unwrap_or(Tz::UTC);
    InvoiceFilter {
        customer,
        status,
        currency,
        issued_from: from.map(|day| when::start_of_day(zone, day)),
        // The last day is included: the range ends where the day after it starts.
        issued_before: to
            .and_then(|day| day.succ_opt())
            .map(|day| when::start_of_day(zone, day)),
        // The billing pages are staff's, who finalize drafts from this list.
        issued_only: false,
    }
}

pub async fn list(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let t = catalog();
    let params = params(&request);
    let get = |name: &str| param(&params, name);
    let filters = Filters {
        status: get("status"),
        customer: get("customer"),
        currency: get("currency"),
        issued_from: get("issued_from"),
        issued_to: get("issued_to"),
        tz: get("tz"),
    };
    let after = params.get("after").cloned().filter(|a| !a.is_empty());
    let mut errors = FilterErrors::default();
    let filter = read(&filters, &mut errors);
    let zone = when::zone(Some(&filters.tz)).unwrap_or(Tz::UTC);
    let cursor = Page::new(PAGE_ROWS, after.clone())
        .after::<String>(LIST)
        .map_err(|_| errors.after = Some(t.tr("billing-cursor-invalid")))
        .ok()
        .flatten();
    let statuses = labels::INVOICE_STATUSES
        .iter()
        .map(|s| {
            (
                s.as_str(),
                t.tr(labels::invoice_status(*s)),
                s.as_str() == filters.status,
            )
        })
        .collect();
    let mut page = ListPage {
        layout: Layout::page(&visitor, &request, key("invoices-title"), &timing),
        sections: sections("/billing/invoices"),
        statuses,
        failure: None,
        rows: Vec::new(),
        next: None,
        first: after.as_ref().map(|_| filters.url("")),
        filtered: filter != InvoiceFilter::default(),
        filters,
        errors,
    };
    if page.errors.any() {
        return render(StatusCode::BAD_REQUEST, &page);
    }
    let listed = timing
        .measure(
            "invoices",
            state.billing.invoices().list(
                visitor.caller.principal.organization,
                &filter,
                cursor,
                u32::try_from(PAGE_ROWS).unwrap_or(u32::MAX),
            ),
        )
        .await;
    match listed {
        Ok(listed) => {
            page.rows = listed.invoices.iter().map(|r| row(r, zone)).collect();
            page.next = listed
                .next
                .map(|inner| page.filters.url(&next_cursor(LIST, &inner)));
        }
        Err(error) => {
            let error = WebError::from(error);
            page.failure = Some(error.section_failure().ok_or(error)?);
        }
    }
    // The layout is made again so the debug panel includes the section just measured.
    page.layout = Layout::page(&visitor, &request, key("invoices-title"), &timing);
    match &page.failure {
        Some(failure) => failure.answer(&page),
        None => render(StatusCode::OK, &page),
    }
}
