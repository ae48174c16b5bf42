//! The billed customer: who pays, in which currency, and where the invoices go.

mod contact;

use std::collections::BTreeMap;

pub use contact::{Address, BillingEmail, CountryCode, TaxId, Timezone};

use super::{Currency, NetTerms, TaxRate, bounded_text};
use crate::{DomainError, usage::CustomerId};

/// The operator's own key-value notes on a customer (a CRM id, a sales owner). Bounded as
/// Stripe bounds metadata, so it fits whichever billing backend it is sent to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Metadata(BTreeMap<String, String>);

impl Metadata {
    pub const MAX_ENTRIES: usize = 50;
    pub const MAX_KEY_LEN: usize = 40;
    pub const MAX_VALUE_LEN: usize = 500;

    /// # Errors
    /// `TooLong` past 50 entries, for a key past 40 characters or a value past 500; `Empty`
    /// for a blank key.
    pub fn new(entries: BTreeMap<String, String>) -> Result<Self, DomainError> {
        if entries.len() > Self::MAX_ENTRIES {
            return Err(DomainError::TooLong {
                field: "metadata",
                len: entries.len(),
                max: Self::MAX_ENTRIES,
            });
        }
        for (key, value) in &entries {
            bounded_text("metadata key", key, Self::MAX_KEY_LEN)?;
            let len = value.chars().count();
            if len > Self::MAX_VALUE_LEN {
                return Err(DomainError::TooLong {
                    field: "metadata value",
                    len,
                    max: Self::MAX_VALUE_LEN,
                });
            }
        }
        Ok(Self(entries))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn entries(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

/// A customer of the operator, billed in one currency: every plan they subscribe to must be in
/// it (see [`super::Plan::ensure_currency`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    external_id: CustomerId,
    name: String,
    billing_email: BillingEmail,
    currency: Currency,
    address: Option<Address>,
    tax_id: Option<TaxId>,
    /// `None`: the installation's default rate applies (the customer has no rate of its own).
    tax_rate: Option<TaxRate>,
    /// `None`: the organization's terms apply.
    net_terms: Option<NetTerms>,
    timezone: Timezone,
    metadata: Metadata,
}

impl Customer {
    pub const MAX_NAME_LEN: usize = 255;

    /// A customer with no address, tax id, tax rate or metadata yet, in UTC.
    ///
    /// `external_id` is the operator's id for the customer, the one usage events carry.
    ///
    /// # Errors
    /// `Empty` for a blank name, `TooLong` past 255 characters.
    pub fn new(
        external_id: CustomerId,
        name: &str,
        billing_email: BillingEmail,
        currency: Currency,
    ) -> Result<Self, DomainError> {
        Ok(Self {
            external_id,
            name: bounded_text("customer name", name, Self::MAX_NAME_LEN)?,
            billing_email,
            currency,
            address: None,
            tax_id: None,
            tax_rate: None,
            net_terms: None,
            timezone: Timezone::utc(),
            metadata: Metadata::default(),
        })
    }

    #[must_use]
    pub fn with_address(mut self, address: Address) -> Self {
        self.address = Some(address);
        self
    }

    #[must_use]
    pub fn with_tax_id(mut self, tax_id: TaxId) -> Self {
        self.tax_id = Some(tax_id);
        self
    }

    /// The rate this customer's invoices are taxed at, instead of the installation's default.
    #[must_use]
    pub fn with_tax_rate(mut self, tax_rate: TaxRate) -> Self {
        self.tax_rate = Some(tax_rate);
        self
    }

    /// Days its invoices are due after their issue, instead of the organization's.
    #[must_use]
    pub fn with_net_terms(mut self, net_terms: NetTerms) -> Self {
        self.net_terms = Some(net_terms);
        self
    }

    #[must_use]
    pub fn with_timezone(mut self, timezone: Timezone) -> Self {
        self.timezone = timezone;
        self
    }

    #[must_use]
    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }

    pub fn external_id(&self) -> &CustomerId {
        &self.external_id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn billing_email(&self) -> &BillingEmail {
        &self.billing_email
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn address(&self) -> Option<&Address> {
        self.address.as_ref()
    }

    pub fn tax_id(&self) -> Option<&TaxId> {
        self.tax_id.as_ref()
    }

    /// The customer's own rate; `None` when the installation's default applies.
    pub fn tax_rate(&self) -> Option<TaxRate> {
        self.tax_rate
    }

    /// The rate its invoices are taxed at: its own, else `default`.
    pub fn tax_rate_or(&self, default: TaxRate) -> TaxRate {
        self.tax_rate.unwrap_or(default)
    }

    /// The customer's own payment terms; `None` when the organization's apply.
    pub fn net_terms(&self) -> Option<NetTerms> {
        self.net_terms
    }

    pub fn timezone(&self) -> &Timezone {
        &self.timezone
    }

    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acme() -> Customer {
        Customer::new(
            CustomerId::parse("cust_42").unwrap(),
            " Acme Corp ",
            BillingEmail::parse("billing@acme.example").unwrap(),
            Currency::EUR,
        )
        .unwrap()
    }

    #[test]
    fn a_customer_starts_in_utc_without_optional_details() {
        let customer = acme();
        assert_eq!(customer.name(), "Acme Corp");
        assert_eq!(customer.external_id().as_str(), "cust_42");
        assert_eq!(customer.currency(), Currency::EUR);
        assert_eq!(customer.timezone().as_str(), "UTC");
        assert!(customer.address().is_none() && customer.tax_id().is_none());
        assert_eq!(customer.tax_rate(), None);
        assert!(customer.metadata().entries().is_empty());
        let email = customer.billing_email().clone();
        let unnamed = Customer::new(customer.external_id().clone(), " ", email, Currency::EUR);
        assert!(matches!(unnamed, Err(DomainError::Empty { .. })));
    }

    #[test]
    fn optional_details_are_added_whole() {
        let fr = CountryCode::parse("FR").unwrap();
        let address = Address::new("1 rue de Rivoli", None, "Paris", None, None, fr).unwrap();
        let metadata = Metadata::new(BTreeMap::from([("crm".into(), "hs-1".into())])).unwrap();
        let customer = acme()
            .with_address(address.clone())
            .with_tax_id(TaxId::parse("FR40303265045").unwrap())
            .with_tax_rate(TaxRate::parse("20").unwrap())
            .with_timezone(Timezone::parse("Europe/Paris").unwrap())
            .with_metadata(metadata);
        assert_eq!(customer.address(), Some(&address));
        assert_eq!(customer.tax_id().unwrap().as_str(), "FR40303265045");
        assert_eq!(customer.timezone().as_str(), "Europe/Paris");
        assert_eq!(customer.metadata().get("crm"), Some("hs-1"));
        assert_eq!(customer.tax_rate().unwrap().percent().to_string(), "20");
    }

    #[test]
    fn the_default_rate_applies_only_without_a_rate_of_its_own() {
        let default = TaxRate::parse("8.875").unwrap();
        assert_eq!(acme().tax_rate_or(default), default);
        let own = TaxRate::parse("20").unwrap();
        assert_eq!(acme().with_tax_rate(own).tax_rate_or(default), own);
        // Zero is a rate of its own (an exempt customer), not "no rate".
        let exempt = acme().with_tax_rate(TaxRate::ZERO);
        assert_eq!(exempt.tax_rate_or(default), TaxRate::ZERO);
    }

    #[test]
    fn metadata_is_bounded() {
        let entries = |n: usize, key: &str, value: &str| {
            (0..n)
                .map(|i| (format!("{key}{i}"), value.to_owned()))
                .collect::<BTreeMap<_, _>>()
        };
        assert!(Metadata::new(entries(50, "k", "v")).is_ok());
        assert!(Metadata::new(entries(51, "k", "v")).is_err());
        assert!(Metadata::new(entries(1, &"k".repeat(40), "v")).is_err());
        assert!(Metadata::new(entries(1, "k", &"v".repeat(501))).is_err());
        assert!(Metadata::new(BTreeMap::from([(" ".into(), "v".into())])).is_err());
    }
}
