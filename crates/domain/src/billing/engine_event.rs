//! What the outside billing engine (Lago) reports by webhook, and the change it makes to
//! Tollgate's view of invoices and subscriptions.
//!
//! The adapter decodes the wire format into an [`EngineEvent`]; [`EngineEvent::view_update`]
//! decides, without I/O, what the view should become; the store applies it. The rules:
//!
//! - **An invoice object is the invoice's whole current state**, whatever the webhook type
//!   (`invoice.created`, `invoice.payment_status_updated`, `invoice.voided`...), so every
//!   webhook carrying one is mapped the same way. `invoice.deleted` discards a draft.
//! - **Status**: Lago `draft`, `pending` (taxes being fetched) and `failed` (finalization
//!   failed, to be retried) are all our `draft`: not issued, figures may still change.
//!   `finalized` is ours, or `paid` once Lago's `payment_status` is `succeeded`; `voided` is
//!   ours whatever the payment status. Lago's own payment status is kept beside it.
//! - **Never backwards** ([`InvoiceView::supersedes`]): webhooks arrive out of order (Lago
//!   retries each one on its own) and the unique key that deduplicates them is not signed, so a
//!   stale state (an old `invoice.created` after the payment) never moves an invoice back.
//! - **Amounts** are exact decimals from Lago's integer minor units and the currency's minor
//!   units. `total` is `total_amount_cents` (what the customer owes), `tax` is
//!   `taxes_amount_cents`, and `subtotal` is `total - tax`: Lago's
//!   `sub_total_excluding_taxes_amount_cents` whenever no credit note or prepaid credit reduced
//!   the total (the view keeps `total = subtotal + tax` as the table requires).
//! - **Numbers**: only issued invoices keep Lago's number; Lago's drafts carry a placeholder.
//! - **Period**: the span of the invoice's billing periods when it has any, else of its fees'
//!   dates, else the issuing date's day. Lago's boundaries are inclusive (`…T23:59:59Z`); the
//!   view's are half-open, so the last second is added back.
//! - **Subscriptions**: `subscription.terminated` and `subscription.canceled` terminate,
//!   `subscription.started` activates a pending one; a terminated subscription stays so.

mod lines;
#[cfg(test)]
mod tests;

use chrono::{DateTime, NaiveDate, TimeDelta, Timelike, Utc};
use uuid::Uuid;

pub use self::lines::{EngineFee, EngineFeeKind, InvoiceViewLine};
use super::{BillingPeriod, Currency, InvoiceStatus, Money};

/// One webhook as Tollgate reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineEvent {
    /// `invoice.created`, `subscription.terminated`...
    pub webhook_type: String,
    pub object: EngineObject,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineObject {
    Invoice(EngineInvoice),
    Subscription(EngineSubscription),
    /// Any other object (wallets, customers, credit notes...): only its receipt is kept.
    Other {
        object_id: Option<String>,
    },
    /// An invoice or subscription whose fields do not have the expected shape.
    Unreadable {
        object_id: Option<String>,
        reason: String,
    },
}

/// An invoice as the engine reports it, amounts in the currency's minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineInvoice {
    pub lago_id: Uuid,
    pub number: Option<String>,
    /// `draft`, `finalized`, `voided`, `pending`, `failed` or `deleted`.
    pub status: String,
    /// `pending`, `succeeded` or `failed`.
    pub payment_status: Option<String>,
    pub currency: String,
    pub taxes_amount_cents: i64,
    pub total_amount_cents: i64,
    pub issuing_date: NaiveDate,
    pub customer_external_id: String,
    /// The external ids of the subscriptions it bills.
    pub subscription_external_ids: Vec<String>,
    /// Each billing period's inclusive boundaries (`billing_periods`).
    pub billing_periods: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    pub fees: Vec<EngineFee>,
}

/// A subscription as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineSubscription {
    pub external_id: String,
    pub terminated_at: Option<DateTime<Utc>>,
    pub canceled_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
}

/// What a webhook changes in the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewUpdate {
    Invoice(Box<InvoiceView>),
    /// A draft Lago deleted: its view goes too (an issued invoice is never deleted).
    DiscardDraftInvoice {
        lago_id: Uuid,
    },
    Subscription(SubscriptionChange),
    /// Nothing to change: only the receipt is kept.
    Ignored(Ignored),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ignored {
    /// A webhook type Tollgate keeps no view of.
    UnhandledType,
    /// An object the view cannot hold (an unknown currency, inconsistent dates...).
    Unmappable(String),
}

/// An invoice's row in the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceView {
    pub lago_id: Uuid,
    pub customer_external_id: String,
    /// Set when the invoice bills exactly one subscription.
    pub subscription_external_id: Option<String>,
    pub status: InvoiceStatus,
    pub payment_status: Option<String>,
    pub number: Option<String>,
    pub currency: Currency,
    pub subtotal: Money,
    pub tax: Money,
    pub total: Money,
    pub issued_at: DateTime<Utc>,
    pub period: BillingPeriod,
    /// `None` when a fee has no line kind in the view (add-ons, credits): then no line is kept
    /// rather than lines that do not add up to the invoice.
    pub lines: Option<Vec<InvoiceViewLine>>,
    /// When the webhook arrived: the time recorded for a payment or a void Lago does not date.
    pub observed_at: DateTime<Utc>,
}

impl InvoiceView {
    /// Whether this state may replace `stored`: only when it is as far along the invoice's
    /// life (draft → finalized → paid → voided) or further.
    pub fn supersedes(&self, stored: InvoiceStatus) -> bool {
        progress(self.status) >= progress(stored)
    }
}

fn progress(status: InvoiceStatus) -> u8 {
    match status {
        InvoiceStatus::Draft => 0,
        InvoiceStatus::Finalized => 1,
        InvoiceStatus::Paid => 2,
        InvoiceStatus::Voided => 3,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionChange {
    pub external_id: String,
    pub to: SubscriptionViewStatus,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionViewStatus {
    /// Only from `pending`.
    Active,
    /// From any status; the first termination time is kept.
    Terminated,
}

impl EngineEvent {
    /// The id of the object the webhook is about (an invoice's `lago_id`, a subscription's
    /// external id), for the receipt.
    pub fn object_id(&self) -> Option<String> {
        match &self.object {
            EngineObject::Invoice(invoice) => Some(invoice.lago_id.to_string()),
            EngineObject::Subscription(subscription) => Some(subscription.external_id.clone()),
            EngineObject::Other { object_id } | EngineObject::Unreadable { object_id, .. } => {
                object_id.clone()
            }
        }
    }

    /// What the webhook changes in the view, received at `observed_at`.
    pub fn view_update(&self, observed_at: DateTime<Utc>) -> ViewUpdate {
        match &self.object {
            EngineObject::Invoice(invoice) if invoice.status == "deleted" => {
                ViewUpdate::DiscardDraftInvoice {
                    lago_id: invoice.lago_id,
                }
            }
            EngineObject::Invoice(invoice) => match invoice_view(invoice, observed_at) {
                Ok(view) => ViewUpdate::Invoice(Box::new(view)),
                Err(reason) => ViewUpdate::Ignored(Ignored::Unmappable(reason)),
            },
            EngineObject::Subscription(subscription) => {
                subscription_change(&self.webhook_type, subscription, observed_at)
                    .map_or(ViewUpdate::Ignored(Ignored::UnhandledType), |change| {
                        ViewUpdate::Subscription(change)
                    })
            }
            EngineObject::Other { .. } => ViewUpdate::Ignored(Ignored::UnhandledType),
            EngineObject::Unreadable { reason, .. } => {
                ViewUpdate::Ignored(Ignored::Unmappable(reason.clone()))
            }
        }
    }
}

fn subscription_change(
    webhook_type: &str,
    subscription: &EngineSubscription,
    observed_at: DateTime<Utc>,
) -> Option<SubscriptionChange> {
    let (to, at) = match webhook_type {
        "subscription.terminated" => (
            SubscriptionViewStatus::Terminated,
            subscription.terminated_at,
        ),
        // A pending subscription canceled before it started: it will never bill.
        "subscription.canceled" => (
            SubscriptionViewStatus::Terminated,
            subscription.canceled_at.or(subscription.terminated_at),
        ),
        "subscription.started" => (SubscriptionViewStatus::Active, subscription.started_at),
        _ => return None,
    };
    Some(SubscriptionChange {
        external_id: subscription.external_id.clone(),
        to,
        at: at.unwrap_or(observed_at),
    })
}

fn invoice_view(
    invoice: &EngineInvoice,
    observed_at: DateTime<Utc>,
) -> Result<InvoiceView, String> {
    let status = match (invoice.status.as_str(), invoice.payment_status.as_deref()) {
        ("draft" | "pending" | "failed", _) => InvoiceStatus::Draft,
        ("finalized", Some("succeeded")) => InvoiceStatus::Paid,
        ("finalized", _) => InvoiceStatus::Finalized,
        ("voided", _) => InvoiceStatus::Voided,
        (other, _) => return Err(format!("unknown invoice status `{other}`")),
    };
    let currency = Currency::parse(&invoice.currency).map_err(|e| e.to_string())?;
    let tax = Money::from_minor(invoice.taxes_amount_cents, currency);
    let total = Money::from_minor(invoice.total_amount_cents, currency);
    let subtotal = total.checked_sub(tax).map_err(|e| e.to_string())?;
    let issued_at = invoice
        .issuing_date
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    let period = invoice_period(invoice, issued_at)?;
    let lines = lines::view_lines(&invoice.fees, currency, period);
    let subscription_external_id = match invoice.subscription_external_ids.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    };
    Ok(InvoiceView {
        lago_id: invoice.lago_id,
        customer_external_id: invoice.customer_external_id.clone(),
        subscription_external_id,
        status,
        payment_status: invoice.payment_status.clone(),
        number: (status != InvoiceStatus::Draft)
            .then(|| invoice.number.clone())
            .flatten()
            .filter(|number| !number.trim().is_empty()),
        currency,
        subtotal,
        tax,
        total,
        issued_at,
        period,
        lines,
        observed_at,
    })
}

/// The span of the billing periods, else of the fees' dates, else the issuing date's day.
fn invoice_period(
    invoice: &EngineInvoice,
    issued_at: DateTime<Utc>,
) -> Result<BillingPeriod, String> {
    let spans = if invoice.billing_periods.is_empty() {
        invoice
            .fees
            .iter()
            .filter_map(|fee| fee.from.zip(fee.to))
            .collect::<Vec<_>>()
    } else {
        invoice.billing_periods.clone()
    };
    let start = spans.iter().map(|(from, _)| *from).min();
    let end = spans.iter().map(|(_, to)| *to).max();
    match start.zip(end) {
        Some((start, last_second)) => BillingPeriod::new(start, end_after(last_second))
            .map_err(|e| format!("invoice period: {e}")),
        None => BillingPeriod::new(issued_at, issued_at + TimeDelta::days(1))
            .map_err(|e| format!("invoice period: {e}")),
    }
}

/// The half-open end after Lago's inclusive last second (`…T23:59:59Z` → next `…T00:00:00Z`).
pub(crate) fn end_after(last_second: DateTime<Utc>) -> DateTime<Utc> {
    let whole = last_second.with_nanosecond(0).unwrap_or(last_second);
    whole + TimeDelta::seconds(1)
}
