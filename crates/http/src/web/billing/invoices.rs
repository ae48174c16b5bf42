//! `/billing/invoices/{id}`: lines, totals, credit notes, the PDF and receipt downloads,
//! finalize and void for the roles that may (the list is in [`super::invoice_list`]).

use actix_web::{HttpRequest, HttpResponse, http::Method, http::StatusCode, web};
use askama::Template;
use chrono::TimeDelta;
use chrono_tz::Tz;
use tollgate_application::ports::{CreditNoteRecord, InvoiceRecord, InvoiceSource};
use tollgate_domain::billing::{
    BillingPeriod, CreditReason, InvoiceLine, InvoiceStatus, LineKind, ProrationFactor,
};
use uuid::Uuid;

use super::{
    Section, labels, may, params,
    payments::{AttemptRow, of_invoice},
    sections,
};
use crate::{
    routes::api::{credit_notes, invoices::attachment},
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

/// The days a billing period covers, as people say them: its last day is the one before its
/// (exclusive) end. Periods are cut in UTC, so they are shown in UTC.
pub(super) fn period(period: BillingPeriod) -> String {
    let last = period.end() - TimeDelta::seconds(1);
    catalog().tr_args(
        key("billing-period-range"),
        &[
            ("from", figures::date(period.start(), Tz::UTC)),
            ("to", figures::date(last.max(period.start()), Tz::UTC)),
        ],
    )
}

pub(super) fn number(record: &InvoiceRecord) -> String {
    record
        .invoice
        .number()
        .map_or_else(|| catalog().tr("invoice-draft-number"), ToString::to_string)
}

pub(super) fn status_class(status: InvoiceStatus) -> &'static str {
    status.as_str()
}

pub struct Fact {
    pub label: String,
    pub value: String,
}

pub struct LineRow {
    pub description: String,
    pub quantity: String,
    pub free: String,
    pub unit_price: String,
    pub amount: String,
}

pub struct CreditNoteRow {
    pub number: String,
    pub reason: String,
    pub settlement: String,
    pub issued: String,
    pub total: String,
    pub pdf: Option<String>,
}

/// A refused action, shown above the invoice: the API's code and message.
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

#[derive(Template)]
#[template(path = "billing/invoice.html")]
struct DetailPage {
    layout: Layout,
    sections: Vec<Section>,
    id: Uuid,
    number: String,
    status_class: &'static str,
    status: String,
    facts: Vec<Fact>,
    lines: Vec<LineRow>,
    subtotal: String,
    tax_label: String,
    tax: String,
    total: String,
    credit_notes: Vec<CreditNoteRow>,
    credit_notes_failure: Option<SectionFailure>,
    /// The card payment attempts; `None` without Stripe.
    attempts: Option<Vec<AttemptRow>>,
    attempts_failure: Option<SectionFailure>,
    receipt: bool,
    can_finalize: bool,
    can_void: bool,
    refusal: Option<Refusal>,
    tz_error: Option<String>,
}

fn describe(line: &InvoiceLine) -> String {
    let t = catalog();
    let days = |proration: ProrationFactor| {
        [
            ("used", proration.used_days().to_string()),
            ("days", proration.period_days().to_string()),
        ]
    };
    match line.kind() {
        LineKind::BaseFee { timing, proration } => {
            let timing = t.tr(labels::fee_timing(timing));
            if proration.is_full() {
                t.tr_with("line-base-fee", &timing)
            } else {
                let [used, of] = days(proration);
                t.tr_args(
                    key("line-base-fee-prorated"),
                    &[("value", timing), used, of],
                )
            }
        }
        LineKind::Usage { meter } => t.tr_with("line-usage", &t.tr(labels::meter(meter))),
        LineKind::ChargeMinimum { meter } => {
            t.tr_with("line-charge-minimum", &t.tr(labels::meter(meter)))
        }
        LineKind::MinimumCommitment => t.tr("line-minimum-commitment"),
        LineKind::UnusedTimeCredit { proration } => {
            let [used, of] = days(proration);
            t.tr_args(key("line-unused-time"), &[used, of])
        }
    }
}

fn line_row(line: &InvoiceLine) -> LineRow {
    let fixed = matches!(
        line.kind(),
        LineKind::BaseFee { .. } | LineKind::MinimumCommitment | LineKind::UnusedTimeCredit { .. }
    );
    LineRow {
        description: describe(line),
        quantity: figures::grouped(line.quantity()),
        free: if fixed || line.free_quantity().is_zero() {
            String::new()
        } else {
            figures::grouped(line.free_quantity())
        },
        unit_price: if fixed {
            String::new()
        } else {
            figures::grouped(line.unit_price())
        },
        amount: figures::money(line.amount()),
    }
}

fn facts(record: &InvoiceRecord, zone: Tz) -> Vec<Fact> {
    let t = catalog();
    let invoice = &record.invoice;
    let mut facts = vec![
        Fact {
            label: t.tr("invoice-customer"),
            value: invoice.customer().as_str().to_owned(),
        },
        Fact {
            label: t.tr("invoice-period"),
            value: period(record.period),
        },
        Fact {
            label: t.tr("invoice-issued"),
            value: figures::datetime(record.issued_at, zone),
        },
        Fact {
            label: t.tr("invoice-currency"),
            value: invoice.currency().code().to_owned(),
        },
    ];
    if let Some(subscription) = &record.subscription {
        facts.push(Fact {
            label: t.tr("invoice-subscription"),
            value: subscription.clone(),
        });
    }
    let mut moment = |label: &str, at: Option<chrono::DateTime<chrono::Utc>>| {
        if let Some(at) = at {
            facts.push(Fact {
                label: t.tr(label),
                value: figures::datetime(at, zone),
            });
        }
    };
    moment(key("invoice-finalized"), invoice.finalized_at());
    moment(key("invoice-due"), invoice.due_at());
    moment(key("invoice-paid"), invoice.paid_at());
    moment(key("invoice-voided"), invoice.voided_at());
    if let Some(payment) = invoice.payment() {
        let method = payment.method().as_str().replace('_', " ");
        let value = match payment.reference() {
            Some(reference) => format!("{method} · {reference}"),
            None => method,
        };
        facts.push(Fact {
            label: t.tr("invoice-payment"),
            value,
        });
    }
    if let InvoiceSource::Lago { payment_status, .. } = &record.source {
        facts.push(Fact {
            label: t.tr("invoice-source"),
            value: match payment_status {
                Some(status) => t.tr_with("invoice-source-lago-payment", status),
                None => t.tr("invoice-source-lago"),
            },
        });
    }
    facts
}

fn credit_note_rows(
    record: &InvoiceRecord,
    notes: &[CreditNoteRecord],
    zone: Tz,
) -> Vec<CreditNoteRow> {
    let t = catalog();
    let reason = |reason: CreditReason| match reason {
        CreditReason::Void => t.tr("credit-note-reason-void"),
        CreditReason::UnusedTime => t.tr("credit-note-reason-unused-time"),
    };
    let mut rows: Vec<CreditNoteRow> = notes
        .iter()
        .map(|note| CreditNoteRow {
            number: note.number.to_string(),
            reason: reason(note.credit_note.reason()),
            settlement: t.tr(labels::settlement(note.credit_note.settlement())),
            issued: figures::datetime(note.credit_note.issued_at(), zone),
            total: figures::money(note.credit_note.total()),
            pdf: Some(format!("/billing/credit-notes/{}/pdf", note.id)),
        })
        .collect();
    // Lago keeps its credit notes itself: the invoice carries the one its void issued.
    if rows.is_empty()
        && let Some(note) = &record.credit_note
    {
        rows.push(CreditNoteRow {
            number: String::new(),
            reason: reason(note.reason()),
            settlement: t.tr(labels::settlement(note.settlement())),
            issued: figures::datetime(note.issued_at(), zone),
            total: figures::money(note.total()),
            pdf: None,
        });
    }
    rows
}

/// The invoice page, with `refusal` shown when an action was just refused (answered with
/// `status`).
pub(super) async fn detail(
    request: &HttpRequest,
    visitor: &Visitor,
    timing: &Timing,
    state: &AppState,
    id: Uuid,
    refusal: Option<(StatusCode, Refusal)>,
) -> Result<HttpResponse, WebError> {
    let t = catalog();
    let organization = visitor.caller.principal.organization;
    let params = params(request);
    let tz = params.get("tz").cloned().unwrap_or_default();
    let (zone, tz_error) = match when::zone(Some(&tz)).ok() {
        Some(zone) => (zone, None),
        None => (Tz::UTC, Some(t.tr("billing-tz-invalid"))),
    };
    let record = timing
        .measure("invoice", state.billing.invoices().get(organization, id))
        .await?
        .ok_or(WebError::NotFound)?;
    let (credit_notes, credit_notes_failure) = match timing
        .measure(
            "credit_notes",
            state.billing.credit_notes().of_invoice(organization, id),
        )
        .await
    {
        Ok(notes) => (credit_note_rows(&record, &notes, zone), None),
        Err(error) => {
            let error = WebError::from(error);
            (Vec::new(), Some(error.section_failure().ok_or(error)?))
        }
    };
    let (attempts, attempts_failure) = of_invoice(state, visitor, timing, id, zone).await?;
    let invoice = &record.invoice;
    let writes = |verb: &str| {
        may(
            visitor,
            &Method::POST,
            &format!("/billing/invoices/{{id}}/{verb}"),
        )
    };
    let status = invoice.status();
    let (code, refusal) = match refusal {
        Some((code, refusal)) => (code, Some(refusal)),
        None if tz_error.is_some() => (StatusCode::BAD_REQUEST, None),
        None => (StatusCode::OK, None),
    };
    let page = DetailPage {
        layout: Layout::page(visitor, request, key("invoice-title"), timing),
        sections: sections("/billing/invoices"),
        id,
        number: number(&record),
        status_class: status_class(status),
        status: t.tr(labels::invoice_status(status)),
        facts: facts(&record, zone),
        lines: invoice.lines().iter().map(line_row).collect(),
        subtotal: figures::money(invoice.subtotal()),
        tax_label: tax_label(invoice.tax_rate().percent()),
        tax: figures::money(invoice.tax()),
        total: figures::money(invoice.total()),
        credit_notes,
        credit_notes_failure,
        attempts,
        attempts_failure,
        receipt: status == InvoiceStatus::Paid,
        can_finalize: status == InvoiceStatus::Draft && writes("finalize"),
        can_void: matches!(status, InvoiceStatus::Finalized | InvoiceStatus::Paid)
            && writes("void"),
        refusal,
        tz_error,
    };
    render(code, &page)
}

/// `Tax (20 %)`: the rate exactly.
fn tax_label(percent: rust_decimal::Decimal) -> String {
    catalog().tr_with("invoice-tax", &figures::grouped(percent))
}

fn invoice_id(id: &str) -> Result<Uuid, WebError> {
    Uuid::parse_str(id).map_err(|_| WebError::NotFound)
}

pub async fn show(
    request: HttpRequest,
    visitor: Visitor,
    timing: Timing,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = invoice_id(&id)?;
    detail(&request, &visitor, &timing, &state, id, None).await
}

/// The invoice's PDF, as the API's download answers it, under the page's session.
pub async fn pdf(
    visitor: Visitor,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = invoice_id(&id)?;
    let document = state
        .billing
        .invoices()
        .pdf(visitor.caller.principal.organization, id)
        .await?;
    Ok(attachment(document, "")?)
}

/// The receipt of a paid invoice (409 `invoice_not_paid` before it is paid).
pub async fn receipt(
    visitor: Visitor,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = invoice_id(&id)?;
    let document = state
        .billing
        .invoices()
        .receipt(visitor.caller.principal.organization, id)
        .await?;
    Ok(attachment(document, "receipt-")?)
}

/// A credit note's PDF, as the API's download answers it.
pub async fn credit_note_pdf(
    visitor: Visitor,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = Uuid::parse_str(&id).map_err(|_| WebError::NotFound)?;
    let document = state
        .billing
        .credit_notes()
        .pdf(visitor.caller.principal.organization, id)
        .await?;
    Ok(credit_notes::attachment(document)?)
}
