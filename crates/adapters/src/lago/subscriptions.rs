//! Which Lago subscription a customer's usage is billed to. Lago requires
//! `external_subscription_id` on every event, and Tollgate knows customers: this is the
//! bridge, asked once per event. [`PgSubscriptionLookup`] reads Tollgate's own subscriptions
//! (with a short cache); [`StaticSubscriptions`] is a fixed map from the configuration, kept as
//! an explicit override.

mod postgres;

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tollgate_application::PortError;
use tollgate_domain::{organization::OrganizationId, usage::CustomerId};

pub use postgres::PgSubscriptionLookup;

#[async_trait]
pub trait SubscriptionLookup: Send + Sync {
    /// The `external_id` of the Lago subscription that bills `customer`'s usage of
    /// `occurred_at`, or `None` while the customer has none (its events then wait, neither
    /// sent nor dropped).
    ///
    /// # Errors
    /// `PortError` when the source cannot answer now (the events are retried).
    async fn external_subscription_id(
        &self,
        organization: &OrganizationId,
        customer: &CustomerId,
        occurred_at: DateTime<Utc>,
    ) -> Result<Option<String>, PortError>;
}

/// A fixed customer → subscription map, the same for every organization (a single-operator
/// deployment's configuration file), with an option to take the customer id itself as the
/// subscription id for customers not in the map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaticSubscriptions {
    subscriptions: HashMap<String, String>,
    customer_id_is_subscription_id: bool,
}

impl StaticSubscriptions {
    /// `subscriptions` maps customer ids to Lago subscription `external_id`s.
    pub fn new(subscriptions: HashMap<String, String>) -> Self {
        Self {
            subscriptions,
            customer_id_is_subscription_id: false,
        }
    }

    /// Customers not in the map are billed to the subscription whose `external_id` is their
    /// own customer id: the convention when subscriptions are created one per customer with
    /// `external_id` = the customer's id.
    #[must_use]
    pub fn customer_id_as_subscription_id(mut self) -> Self {
        self.customer_id_is_subscription_id = true;
        self
    }
}

impl StaticSubscriptions {
    /// The configured subscription of `customer`, or its own id when asked for.
    pub fn lookup(&self, customer: &CustomerId) -> Option<String> {
        self.listed(customer).or_else(|| {
            self.customer_id_is_subscription_id
                .then(|| customer.as_str().to_owned())
        })
    }

    /// Only the map's entry for `customer`.
    fn listed(&self, customer: &CustomerId) -> Option<String> {
        self.subscriptions.get(customer.as_str()).cloned()
    }
}

#[async_trait]
impl SubscriptionLookup for StaticSubscriptions {
    async fn external_subscription_id(
        &self,
        _organization: &OrganizationId,
        customer: &CustomerId,
        _occurred_at: DateTime<Utc>,
    ) -> Result<Option<String>, PortError> {
        Ok(self.lookup(customer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_wins_then_the_customer_id_when_asked_for() -> Result<(), Box<dyn std::error::Error>>
    {
        let acme = CustomerId::parse("acme")?;
        let globex = CustomerId::parse("globex")?;
        let map = StaticSubscriptions::new(HashMap::from([("acme".into(), "sub-acme".into())]));
        assert_eq!(map.lookup(&acme).as_deref(), Some("sub-acme"));
        assert_eq!(map.lookup(&globex), None);
        let map = map.customer_id_as_subscription_id();
        assert_eq!(map.lookup(&globex).as_deref(), Some("globex"));
        assert_eq!(map.lookup(&acme).as_deref(), Some("sub-acme"));
        Ok(())
    }
}
