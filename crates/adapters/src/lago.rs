//! Lago: usage events delivered to the billing engine (the `lago` delivery target).
//!
//! Lago bills a subscription, not a customer: a [`SubscriptionLookup`] names the subscription
//! each customer's usage goes to ([`StaticSubscriptions`] for a fixed map). Each usage event
//! becomes one Lago event with the configured billable metric `code` and every meter's
//! quantity in `properties`. The API key is never logged.

mod answer;
mod event;
mod subscriptions;
mod target;

pub use crate::openmeter::DeliverySetupError;
pub use subscriptions::{StaticSubscriptions, SubscriptionLookup};
pub use target::{LagoConfig, LagoEventsTarget};
