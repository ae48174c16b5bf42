//! Lago: usage events delivered to the billing engine (the `lago` delivery target).
//!
//! Lago bills a subscription, not a customer: a [`SubscriptionLookup`] names the subscription
//! each customer's usage goes to ([`StaticSubscriptions`] for a fixed map). Each usage event
//! becomes one Lago event per meter it adds to, `code` = the meter's slug, the billable metrics
//! [`billing`] makes and its plans' charges aggregate (`transaction_id` = the idempotency key
//! and `:` and the slug; the quantity as an exact decimal string under the slug, with the
//! dimensions). With `billable_metric_code` set ([`LagoConfig`]), it becomes a single event of
//! that `code` with every meter's quantity in `properties` instead, as before per-meter
//! metrics existed. The API key is never logged.

mod answer;
pub mod billing;
mod event;
mod subscriptions;
mod target;
pub mod webhook;

pub use crate::openmeter::DeliverySetupError;
pub use subscriptions::{PgSubscriptionLookup, StaticSubscriptions, SubscriptionLookup};
pub use target::{LagoConfig, LagoEventsTarget};
