//! The customer pages, through the same billing and metering services as the API:
//! `/customers` (search, this month's LLM cost, last activity, pages by id), the form that
//! creates or changes a customer, and `/customers/{id}` (this month's usage, the open period's
//! estimated charges, subscriptions with their plan changes, invoices, the cards on file with
//! the Stripe page to add one, a portal link).

mod activity;
mod cards;
mod detail;
mod form;
mod list;
mod plan_change;
mod portal_link;
mod sections;

use tollgate_application::ports::CustomerRecord;
use uuid::Uuid;

pub use self::{
    cards::setup_link,
    detail::page as detail,
    form::{create, edit, new, update},
    list::page as list,
    plan_change::{downgrade, terminate, upgrade},
    portal_link::create as portal_link,
};

/// What the customer's portal shows as this page does.
pub(super) use self::{
    activity::{DayUsage, daily_usage},
    detail::invoice_status_key,
    sections::{Estimate, InvoiceRow, Usage, estimates, invoices, subscriptions, usage_section},
};
use super::{Visitor, WebError};
use crate::state::AppState;

/// The customer `/customers/{id}` names, of the visitor's organization; a path that is not an
/// id, or another organization's customer, is a 404 like any unknown page.
async fn customer(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
) -> Result<CustomerRecord, WebError> {
    let id = Uuid::parse_str(id).map_err(|_| WebError::NotFound)?;
    state
        .billing
        .customers()
        .get(visitor.caller.principal.organization, id)
        .await?
        .ok_or(WebError::NotFound)
}
