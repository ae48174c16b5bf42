//! A customer as Lago's `CustomerCreateInput` (`POST /customers`, an upsert by `external_id`).
//!
//! Every field Tollgate keeps is sent, absent ones as `null`, so the upsert leaves Lago's copy
//! exactly as Tollgate's (a removed address is removed there too). Metadata entries are not
//! printed on invoices (`display_in_invoice: false`): they are the operator's notes.

use serde::Serialize;
use tollgate_domain::billing::Customer;

#[derive(Serialize)]
pub(super) struct CustomerInput<'a> {
    customer: CustomerFields<'a>,
}

#[derive(Serialize)]
struct CustomerFields<'a> {
    external_id: &'a str,
    name: &'a str,
    email: &'a str,
    currency: String,
    address_line1: Option<&'a str>,
    address_line2: Option<&'a str>,
    city: Option<&'a str>,
    zipcode: Option<&'a str>,
    state: Option<&'a str>,
    country: Option<&'a str>,
    tax_identification_number: Option<&'a str>,
    timezone: &'a str,
    metadata: Vec<MetadataEntry<'a>>,
}

#[derive(Serialize)]
struct MetadataEntry<'a> {
    key: &'a str,
    value: &'a str,
    display_in_invoice: bool,
}

pub(super) fn customer_input(customer: &Customer) -> CustomerInput<'_> {
    let address = customer.address();
    CustomerInput {
        customer: CustomerFields {
            external_id: customer.external_id().as_str(),
            name: customer.name(),
            email: customer.billing_email().as_str(),
            currency: customer.currency().code().to_owned(),
            address_line1: address.map(|a| a.line1.as_str()),
            address_line2: address.and_then(|a| a.line2.as_deref()),
            city: address.map(|a| a.city.as_str()),
            zipcode: address.and_then(|a| a.postal_code.as_deref()),
            state: address.and_then(|a| a.state.as_deref()),
            country: address.map(|a| a.country.as_str()),
            tax_identification_number: customer.tax_id().map(|t| t.as_str()),
            timezone: customer.timezone().as_str(),
            metadata: customer
                .metadata()
                .entries()
                .iter()
                .map(|(key, value)| MetadataEntry {
                    key,
                    value,
                    display_in_invoice: false,
                })
                .collect(),
        },
    }
}
