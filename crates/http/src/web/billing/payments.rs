//! `/billing/payments`: the attempts to collect invoices by card, newest first, keyset paged
//! and filtered by status with plain links (a copied URL opens the same view), read from the
//! ledger `GET /api/billing/payments` reads. Without Stripe the page says how to switch card
//! payments on: that is a setting, not an error. An invoice's own attempts are a section of
//! its page ([`of_invoice`]).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono_tz::Tz;
use tollgate_application::ports::{AttemptFilter, AttemptRecord};
use tollgate_domain::payment::AttemptStatus;
use uuid::Uuid;

use super::{Section, labels, param, params, query_string, sections};
use crate::{
    routes::api::paging::Page,
    state::AppState,
    web::{
        Layout, Timing, Visitor, WebError,
        error_page::{SectionFailure, degraded},
        figures,
        i18n::{catalog, key},
        layout::render,
        when,
    },
};

/// Attempts one page lists.
const PAGE_ROWS: i64 = 50;
/// Attempts an invoice's page lists: the dunning schedule makes a handful at most.
const INVOICE_ROWS: u32 = 50;
/// The API's list name: the page's cursors are the API's.
const LIST: &str = "payments";

/// One attempt as the tables show it.
pub struct AttemptRow {
    pub time: String,
    pub invoice_href: String,
    pub invoice: String,
    pub attempt: u32,
    pub status_class: &'static str,
    pub status: String,
    /// The exact decimal the ledger holds, with its currency.
    pub amount: String,
    /// The provider's code, the issuer's decline code and the message, as far as known.
    pub reason: String,
}

pub fn attempt_row(record: &AttemptRecord, zone: Tz) -> AttemptRow {
    let reason = record
        .decline
        .as_ref()
        .map(|decline| {
            [decline.code(), decline.decline_code(), decline.message()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .unwrap_or_default();
    AttemptRow {
        time: figures::datetime(record.created_at, zone),
        invoice_href: format!("/billing/invoices/{}", record.invoice),
        invoice: record.invoice.to_string(),
        attempt: record.attempt,
        status_class: record.status.as_str(),
        status: catalog().tr(labels::attempt_status(record.status)),
        amount: format!("{} {}", record.amount, record.currency.as_str()),
        reason,
    }
}

/// A status link above the list.
pub struct StatusLink {
    pub href: String,
    pub label: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "billing/payments.html")]
struct ListPage {
    layout: Layout,
    sections: Vec<Section>,
    /// Whether Stripe is configured; without it the page explains how to switch it on.
    enabled: bool,
    links: Vec<StatusLink>,
    errors: Vec<String>,
    failure: Option<SectionFailure>,
    attempts: Vec<AttemptRow>,
    next: Option<String>,
    first: Option<String>,
    filtered: bool,
}

/// The view's GET parameters as typed, kept in every link of the list.
struct View {
    status: String,
    tz: String,
}

impl View {
    fn url(&self, status: &str, cursor: &str) -> String {
        format!(
            "/billing/payments{}",
            query_string(&[("status", status), ("tz", &self.tz), ("cursor", cursor)])
        )
    }

    fn links(&self) -> Vec<StatusLink> {
        let t = catalog();
        let all = StatusLink {
            href: self.url("", ""),
            label: t.tr("payments-filter-all"),
            current: self.status.is_empty(),
        };
        let each = labels::ATTEMPT_FILTERS.iter().map(|status| StatusLink {
            href: self.url(status.as_str(), ""),
            label: t.tr(labels::attempt_status(*status)),
            current: self.status == status.as_str(),
        });
        std::iter::once(all).chain(each).collect()
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
    let view = View {
        status: get("status"),
        tz: get("tz"),
    };
    let cursor = Some(get("cursor")).filter(|c| !c.is_empty());
    let mut errors = Vec::new();
    let status = match view.status.as_str() {
        "" => None,
        text => text
            .parse::<AttemptStatus>()
            .map_err(|_| errors.push(t.tr("payments-status-invalid")))
            .ok(),
    };
    let zone = when::zone(Some(&view.tz)).unwrap_or_else(|_| {
        errors.push(t.tr("billing-tz-invalid"));
        Tz::UTC
    });
    let paging = Page::new(PAGE_ROWS, cursor.clone());
    let before = paging.after::<Uuid>(LIST).unwrap_or_else(|_| {
        errors.push(t.tr("billing-cursor-invalid"));
        None
    });
    let mut page = ListPage {
        layout: Layout::page(&visitor, &request, key("payments-title"), &timing),
        sections: sections("/billing/payments"),
        enabled: state.payments.is_some(),
        links: view.links(),
        errors,
        failure: None,
        attempts: Vec::new(),
        next: None,
        first: cursor.map(|_| view.url(&view.status, "")),
        filtered: status.is_some(),
    };
    let Some(payments) = &state.payments else {
        return render(StatusCode::OK, &page);
    };
    if !page.errors.is_empty() {
        return render(StatusCode::BAD_REQUEST, &page);
    }
    let filter = AttemptFilter {
        invoice: None,
        status,
    };
    let limit = u32::try_from(paging.fetch()).unwrap_or(u32::MAX);
    let listed = timing
        .measure(
            "payments",
            payments.ledger().attempts(
                visitor.caller.principal.organization,
                filter,
                before,
                limit,
            ),
        )
        .await;
    match listed {
        Ok(records) => {
            let (records, next) = paging.split(LIST, records, |record| record.id);
            page.attempts = records.iter().map(|r| attempt_row(r, zone)).collect();
            page.next = next.map(|cursor| view.url(&view.status, &cursor));
        }
        Err(error) => {
            let error = WebError::from(error);
            page.failure = Some(error.section_failure().ok_or(error)?);
        }
    }
    // Made again so the debug panel includes the section just measured.
    page.layout = Layout::page(&visitor, &request, key("payments-title"), &timing);
    match &page.failure {
        Some(failure) => failure.answer(&page),
        None => render(StatusCode::OK, &page),
    }
}

/// The invoice's attempts for its page, newest first: `None` without Stripe (the page shows
/// no payments section then), and a failing ledger as the section's failure.
///
/// # Errors
/// A failure that is not an outside system's, which the whole page answers.
pub async fn of_invoice(
    state: &AppState,
    visitor: &Visitor,
    timing: &Timing,
    invoice: Uuid,
    zone: Tz,
) -> Result<(Option<Vec<AttemptRow>>, Option<SectionFailure>), WebError> {
    let Some(payments) = &state.payments else {
        return Ok((None, None));
    };
    let filter = AttemptFilter {
        invoice: Some(invoice),
        status: None,
    };
    let listed = timing
        .measure(
            "payments",
            payments.ledger().attempts(
                visitor.caller.principal.organization,
                filter,
                None,
                INVOICE_ROWS,
            ),
        )
        .await;
    match listed {
        Ok(records) => Ok((
            Some(records.iter().map(|r| attempt_row(r, zone)).collect()),
            None,
        )),
        Err(error) => {
            let (rows, failure): (Vec<AttemptRow>, _) = degraded(error)?;
            Ok((Some(rows), failure))
        }
    }
}
