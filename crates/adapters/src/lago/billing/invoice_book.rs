//! The [`InvoiceBook`] of Lago mode: Lago's invoices, read and changed through its API.
//!
//! * `list`: `GET /invoices?page&per_page` (the opaque cursor is Lago's page number, valid
//!   with the same `limit`), filtered by `external_customer_id`, `statuses[]` and
//!   `payment_statuses[]`. Lago lists invoices without their fees, so each one is then read
//!   whole (`GET /invoices/{lago_id}`, a few at a time).
//! * `finalize`: `PUT /invoices/{id}/finalize`; `void`: `POST /invoices/{id}/void`, with
//!   `generate_credit_note` and the whole total as `refund_amount` for a paid invoice (Lago
//!   refuses to void a paid invoice otherwise); `mark_paid`: `PUT /invoices/{id}` with
//!   `payment_status: succeeded`.
//!
//! Each change is first tried on the domain invoice, so a change its state forbids is refused
//! with the same answer as in embedded mode, without a call. A refusal from Lago after a lost
//! answer (the change already made) is recognised by reading the invoice again. The audit
//! record is appended once Lago has made the change: Lago is the system of record, so there is
//! no transaction to share with it.
//!
//! One Lago organization (one API key) is one Tollgate organization: the one this book was
//! built for. Any other organization has no invoices here.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use futures_util::{StreamExt, TryStreamExt, stream};
use reqwest::Method;
use serde_json::{Value, json};
use tollgate_application::{
    AppError, PortError,
    ports::{
        AuditEntry, AuditTrail, InvoiceBook, InvoiceChange, InvoiceFilter, InvoicePage,
        InvoiceRecord,
    },
    services::billing::invoices::invalid_cursor,
};
use tollgate_domain::{
    DomainError,
    billing::{Invoice, InvoiceNumber, InvoiceStatus, Payment},
    organization::OrganizationId,
};
use uuid::Uuid;

use super::{
    client::{LagoClient, Repeat, Reply, decode},
    invoices::{InvoiceAnswer, InvoicesPage, LagoInvoice, is_tollgates, to_record},
};

/// Lago's largest page.
const MAX_PER_PAGE: u32 = 100;
/// Invoices read at once to complete a page.
const READ_CONCURRENCY: usize = 4;
/// Times an audit record is tried once Lago has made the change.
const AUDIT_ATTEMPTS: u32 = 3;

pub struct LagoInvoiceBook {
    client: Arc<LagoClient>,
    organization: OrganizationId,
    audit: Arc<dyn AuditTrail>,
}

impl LagoInvoiceBook {
    pub(super) fn new(
        client: Arc<LagoClient>,
        organization: OrganizationId,
        audit: Arc<dyn AuditTrail>,
    ) -> Self {
        Self {
            client,
            organization,
            audit,
        }
    }

    async fn read(&self, id: Uuid) -> Result<Option<LagoInvoice>, PortError> {
        let url = self.client.url(&["invoices", &id.to_string()], &[])?;
        let answer = self.client.get::<InvoiceAnswer>(url).await?;
        Ok(answer.map(|a| a.invoice).filter(is_tollgates))
    }

    /// The change: tried on the domain invoice by `allowed` (which gives the request's body),
    /// sent to `/invoices/{id}/{request.path}`, recognised as already made by `made`.
    async fn change(
        &self,
        organization: OrganizationId,
        id: Uuid,
        audit: &AuditEntry,
        allowed: impl FnOnce(&mut Invoice) -> Result<Option<Value>, DomainError>,
        request: Request,
        made: fn(&LagoInvoice) -> bool,
    ) -> Result<InvoiceChange, PortError> {
        if organization != self.organization {
            return Ok(InvoiceChange::NotFound);
        }
        let Some(current) = self.read(id).await? else {
            return Ok(InvoiceChange::NotFound);
        };
        let mut probe = to_record(organization, &current)?.invoice;
        let body = match allowed(&mut probe) {
            Ok(body) => body,
            Err(refused) => return Ok(InvoiceChange::Refused(refused)),
        };
        let id_text = id.to_string();
        let mut segments = vec!["invoices", id_text.as_str()];
        segments.extend(request.path);
        let url = self.client.url(&segments, &[])?;
        let sent = self
            .client
            .send(request.method, url, body.as_ref(), request.repeat);
        let changed = match sent.await? {
            Reply::Done(answer) => decode::<InvoiceAnswer>(&answer)?.invoice,
            Reply::NotFound => return Ok(InvoiceChange::NotFound),
            Reply::Refused(refusal) => match self.read(id).await? {
                Some(again) if made(&again) => again,
                _ => return Err(refusal.into_port()),
            },
        };
        let record = to_record(organization, &changed)?;
        self.append_audit(organization, audit).await;
        Ok(InvoiceChange::Done(record))
    }

    /// Lago has made the change: a failing audit store cannot undo it, so it is retried, then
    /// logged with everything the record would have held.
    async fn append_audit(&self, organization: OrganizationId, entry: &AuditEntry) {
        for attempt in 1..=AUDIT_ATTEMPTS {
            match self.audit.append(organization, entry).await {
                Ok(()) => return,
                Err(error) if attempt == AUDIT_ATTEMPTS => {
                    tracing::error!(%error, action = entry.action, audit_target = ?entry.target,
                        actor = %entry.context.actor, "a Lago invoice change has no audit record");
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        }
    }
}

/// Lago's `issuing_date_from` and `issuing_date_to` (both inclusive) for issue times
/// `[from, before)`. Tollgate shows a Lago invoice as issued at the midnight (UTC) of its
/// `issuing_date`, so the dates asked for are exactly those whose midnight falls in the range:
/// the list holds what the filter says, as the dates on the page show it.
fn issuing_dates(
    from: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let midnight = |at: DateTime<Utc>| at.time() == NaiveTime::MIN;
    let first = from.map(|at| {
        let day = at.date_naive();
        if midnight(at) {
            day
        } else {
            day.succ_opt().unwrap_or(NaiveDate::MAX)
        }
    });
    let last = before.map(|at| {
        let day = at.date_naive();
        if midnight(at) {
            day.pred_opt().unwrap_or(NaiveDate::MIN)
        } else {
            day
        }
    });
    (first, last)
}

#[async_trait]
impl InvoiceBook for LagoInvoiceBook {
    async fn list(
        &self,
        organization: OrganizationId,
        filter: &InvoiceFilter,
        cursor: Option<String>,
        limit: u32,
    ) -> Result<InvoicePage, AppError> {
        let page = match cursor.as_deref() {
            None => 1,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(invalid_cursor)?,
        };
        let only_hidden_drafts_asked =
            filter.issued_only && filter.status == Some(InvoiceStatus::Draft);
        if organization != self.organization || only_hidden_drafts_asked {
            return Ok(InvoicePage {
                invoices: Vec::new(),
                next: None,
            });
        }
        let mut query = vec![
            ("page", page.to_string()),
            ("per_page", limit.clamp(1, MAX_PER_PAGE).to_string()),
        ];
        if let Some(customer) = &filter.customer {
            query.push(("external_customer_id", customer.as_str().to_owned()));
        }
        let (statuses, payment_statuses): (&[&str], &[&str]) = match filter.status {
            None if filter.issued_only => (&["finalized", "voided"], &[]),
            None => (&[], &[]),
            Some(InvoiceStatus::Draft) => (&["draft"], &[]),
            Some(InvoiceStatus::Finalized) => (&["finalized"], &["pending", "failed"]),
            Some(InvoiceStatus::Paid) => (&["finalized"], &["succeeded"]),
            Some(InvoiceStatus::Voided) => (&["voided"], &[]),
        };
        query.extend(statuses.iter().map(|s| ("statuses[]", (*s).to_owned())));
        query.extend(
            payment_statuses
                .iter()
                .map(|s| ("payment_statuses[]", (*s).to_owned())),
        );
        if let Some(currency) = &filter.currency {
            query.push(("currency", currency.as_str().to_owned()));
        }
        let (from, to) = issuing_dates(filter.issued_from, filter.issued_before);
        query.extend(from.map(|d| ("issuing_date_from", d.to_string())));
        query.extend(to.map(|d| ("issuing_date_to", d.to_string())));
        let url = self.client.url(&["invoices"], &query)?;
        let listed: InvoicesPage = self
            .client
            .get(url)
            .await?
            .ok_or_else(|| super::client::internal("Lago has no /invoices endpoint".into()))?;
        let invoices: Vec<Option<LagoInvoice>> = stream::iter(listed.invoices)
            .map(|summary| self.read(summary.lago_id))
            .buffered(READ_CONCURRENCY)
            .try_collect()
            .await?;
        // One invoice Tollgate cannot show (a coupon, credits) must not hide the others: it is
        // left out of the page and logged; `get` still answers its error.
        let invoices: Vec<InvoiceRecord> = invoices
            .iter()
            .flatten()
            .filter_map(|invoice| match to_record(organization, invoice) {
                Ok(record) => Some(record),
                Err(error) => {
                    tracing::warn!(
                        lago_id = %invoice.lago_id,
                        %error,
                        "Lago invoice left out of the list: Tollgate cannot show it"
                    );
                    None
                }
            })
            .collect();
        Ok(InvoicePage {
            invoices,
            next: listed.meta.next_page.map(|page| page.to_string()),
        })
    }

    async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<InvoiceRecord>, PortError> {
        if organization != self.organization {
            return Ok(None);
        }
        self.read(id)
            .await?
            .map(|invoice| to_record(organization, &invoice))
            .transpose()
    }

    async fn finalize(
        &self,
        organization: OrganizationId,
        id: Uuid,
        at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<InvoiceChange, PortError> {
        let allowed = |invoice: &mut Invoice| {
            // Lago numbers the invoice; any number does to ask whether finalizing is allowed.
            invoice.finalize(InvoiceNumber::new("CHECK", 1)?, at)?;
            Ok(None)
        };
        let request = Request {
            method: Method::PUT,
            path: Some("finalize"),
            repeat: Repeat::Safe,
        };
        let made = |i: &LagoInvoice| i.status == "finalized";
        self.change(organization, id, audit, allowed, request, made)
            .await
    }

    async fn void(
        &self,
        organization: OrganizationId,
        id: Uuid,
        at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<InvoiceChange, PortError> {
        let allowed = |invoice: &mut Invoice| {
            let paid_total = (invoice.status() == InvoiceStatus::Paid)
                .then(|| invoice.total().to_minor())
                .flatten();
            invoice.void(at)?;
            // Lago voids a paid invoice only when told what becomes of the payment: refunded
            // whole, as the credit note says.
            Ok(paid_total
                .map(|total| json!({ "generate_credit_note": true, "refund_amount": total })))
        };
        let request = Request {
            method: Method::POST,
            path: Some("void"),
            repeat: Repeat::OnlyIfUnsent,
        };
        let made = |i: &LagoInvoice| i.status == "voided";
        self.change(organization, id, audit, allowed, request, made)
            .await
    }

    /// Lago's invoice has a payment status and nothing else of a payment made outside it:
    /// the method and reference are not sent (its manual payments, `POST /payments`, are not
    /// used yet).
    async fn mark_paid(
        &self,
        organization: OrganizationId,
        id: Uuid,
        at: DateTime<Utc>,
        _payment: &Payment,
        audit: &AuditEntry,
    ) -> Result<InvoiceChange, PortError> {
        let allowed = |invoice: &mut Invoice| {
            invoice.mark_paid(at)?;
            Ok(Some(
                json!({ "invoice": { "payment_status": "succeeded" } }),
            ))
        };
        let request = Request {
            method: Method::PUT,
            path: None,
            repeat: Repeat::Safe,
        };
        let made = |i: &LagoInvoice| i.payment_status == "succeeded";
        self.change(organization, id, audit, allowed, request, made)
            .await
    }
}

/// Where a change goes under `/invoices/{id}` and whether it may be sent again.
struct Request {
    method: Method,
    path: Option<&'static str>,
    repeat: Repeat,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(text: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|at| at.with_timezone(&Utc))
    }

    fn day(text: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
    }

    #[test]
    fn issue_ranges_become_the_dates_whose_midnight_falls_in_them() {
        // Whole UTC days: the 1st to the 3rd, as asked.
        assert_eq!(
            issuing_dates(at("2026-12-01T00:00:00Z"), at("2026-12-04T00:00:00Z")),
            (day("2026-12-01"), day("2026-12-03"))
        );
        // Paris's 1st to 3rd starts at 23:00 UTC on the 30th: that day's midnight is before it.
        let paris = chrono_tz::Europe::Paris;
        let from = paris.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).single();
        let before = paris.with_ymd_and_hms(2026, 12, 4, 0, 0, 0).single();
        assert_eq!(
            issuing_dates(
                from.map(|a| a.with_timezone(&Utc)),
                before.map(|a| a.with_timezone(&Utc))
            ),
            (day("2026-12-01"), day("2026-12-03"))
        );
        assert_eq!(issuing_dates(None, None), (None, None));
        assert_eq!(
            issuing_dates(None, at("2026-12-04T05:00:00Z")),
            (None, day("2026-12-04"))
        );
    }
}
