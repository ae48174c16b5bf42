//! `/api/billing/customers`: the organization's billing customers: create, list (paged by id),
//! show, change.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use tollgate_application::{ports::CustomerRecord, services::billing::customers::CustomerChanges};
use tollgate_domain::{
    DomainError,
    billing::{
        Address, BillingEmail, CountryCode, Currency, Customer, Metadata, NetTerms, TaxId, TaxRate,
        Timezone,
    },
    usage::CustomerId,
};
use uuid::Uuid;
use validator::Validate;

use super::paging::{self, Paged};
use tollgate_domain::ErrorCode;

use crate::{
    access::Caller,
    error::ApiError,
    extract::{ApiJson, Checked},
    state::AppState,
};

const LIST: &str = "customers";

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressDto {
    line1: String,
    line2: Option<String>,
    city: String,
    postal_code: Option<String>,
    state: Option<String>,
    /// ISO 3166-1 alpha-2.
    country: String,
}

impl AddressDto {
    fn parse(&self) -> Result<Address, DomainError> {
        Address::new(
            &self.line1,
            self.line2.as_deref(),
            &self.city,
            self.postal_code.as_deref(),
            self.state.as_deref(),
            CountryCode::parse(&self.country)?,
        )
    }
}

impl From<&Address> for AddressDto {
    fn from(address: &Address) -> Self {
        Self {
            line1: address.line1.clone(),
            line2: address.line2.clone(),
            city: address.city.clone(),
            postal_code: address.postal_code.clone(),
            state: address.state.clone(),
            country: address.country.as_str().to_owned(),
        }
    }
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomerRequest {
    #[validate(length(min = 1, max = 255))]
    external_id: String,
    #[validate(length(min = 1, max = 255))]
    name: String,
    #[validate(length(min = 1, max = 254))]
    billing_email: String,
    /// An ISO 4217 code (`EUR`).
    #[validate(length(equal = 3))]
    currency: String,
    address: Option<AddressDto>,
    #[validate(length(min = 1, max = 64))]
    tax_id: Option<String>,
    /// Percent as a decimal string (`"20"`, `"8.875"`), 0 to 100; absent or `null`: the
    /// installation's `billing.default_tax_rate_percent`.
    tax_rate: Option<String>,
    /// Days its invoices are due after their issue, 0 to 365; absent or `null`: the
    /// organization's (`/api/settings`), else 30.
    net_terms_days: Option<i64>,
    #[validate(length(min = 1, max = 64))]
    timezone: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
}

impl CreateCustomerRequest {
    fn parse(&self) -> Result<Customer, ApiError> {
        let mut customer = Customer::new(
            CustomerId::parse(self.external_id.as_str())?,
            &self.name,
            BillingEmail::parse(&self.billing_email)?,
            Currency::parse(&self.currency)?,
        )?;
        if let Some(address) = &self.address {
            customer = customer.with_address(address.parse()?);
        }
        if let Some(tax_id) = &self.tax_id {
            customer = customer.with_tax_id(TaxId::parse(tax_id)?);
        }
        if let Some(tax_rate) = &self.tax_rate {
            customer = customer.with_tax_rate(TaxRate::parse(tax_rate)?);
        }
        if let Some(days) = self.net_terms_days {
            customer = customer.with_net_terms(NetTerms::from_stored(days)?);
        }
        if let Some(timezone) = &self.timezone {
            customer = customer.with_timezone(time_zone(timezone)?);
        }
        if let Some(metadata) = &self.metadata {
            customer = customer.with_metadata(Metadata::new(metadata.clone())?);
        }
        Ok(customer)
    }
}

/// A time zone the PDFs can show dates in: a name of the IANA database this build carries, as
/// the usage API checks its `time_zone` (the domain checks only the shape, having no database).
fn time_zone(text: &str) -> Result<Timezone, ApiError> {
    let timezone = Timezone::parse(text)?;
    if timezone.as_str().parse::<chrono_tz::Tz>().is_err() {
        return Err(ApiError::Invalid {
            code: ErrorCode::UnknownTimeZone,
            message: format!(
                "unknown time zone `{}`: give an IANA name such as `Europe/Paris` or `UTC`",
                timezone.as_str()
            ),
        });
    }
    Ok(timezone)
}

/// A field that may be absent (left as it is), `null` (removed) or a value.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Only the fields given change; `address`, `tax_id` and `tax_rate` are removed with `null`
/// (without a rate of its own, the customer is taxed at the default). The external id and the
/// currency cannot change.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomerRequest {
    #[validate(length(min = 1, max = 255))]
    name: Option<String>,
    #[validate(length(min = 1, max = 254))]
    billing_email: Option<String>,
    #[serde(default, deserialize_with = "present")]
    address: Option<Option<AddressDto>>,
    #[serde(default, deserialize_with = "present")]
    tax_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    tax_rate: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    net_terms_days: Option<Option<i64>>,
    #[validate(length(min = 1, max = 64))]
    timezone: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
}

impl UpdateCustomerRequest {
    fn parse(self) -> Result<CustomerChanges, ApiError> {
        Ok(CustomerChanges {
            name: self.name,
            billing_email: self
                .billing_email
                .as_deref()
                .map(BillingEmail::parse)
                .transpose()?,
            address: self
                .address
                .map(|address| address.as_ref().map(AddressDto::parse).transpose())
                .transpose()?,
            tax_id: self
                .tax_id
                .map(|tax_id| tax_id.as_deref().map(TaxId::parse).transpose())
                .transpose()?,
            tax_rate: self
                .tax_rate
                .map(|rate| rate.as_deref().map(TaxRate::parse).transpose())
                .transpose()?,
            net_terms: self
                .net_terms_days
                .map(|days| days.map(NetTerms::from_stored).transpose())
                .transpose()?,
            timezone: self.timezone.as_deref().map(time_zone).transpose()?,
            metadata: self.metadata.map(Metadata::new).transpose()?,
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CustomerResponse {
    id: Uuid,
    external_id: String,
    name: String,
    billing_email: String,
    currency: String,
    currency_minor_units: u32,
    address: Option<AddressDto>,
    tax_id: Option<String>,
    /// The customer's own rate in percent; `null` when the default applies.
    tax_rate: Option<String>,
    /// The customer's own payment terms in days; `null` when the organization's apply.
    net_terms_days: Option<u16>,
    timezone: String,
    metadata: BTreeMap<String, String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<CustomerRecord> for CustomerResponse {
    fn from(record: CustomerRecord) -> Self {
        let customer = &record.customer;
        Self {
            id: record.id,
            external_id: customer.external_id().as_str().to_owned(),
            name: customer.name().to_owned(),
            billing_email: customer.billing_email().as_str().to_owned(),
            currency: customer.currency().code().to_owned(),
            currency_minor_units: customer.currency().minor_units(),
            address: customer.address().map(AddressDto::from),
            tax_id: customer.tax_id().map(|t| t.as_str().to_owned()),
            tax_rate: customer.tax_rate().map(|r| r.percent().to_string()),
            net_terms_days: customer.net_terms().map(|t| t.days()),
            timezone: customer.timezone().as_str().to_owned(),
            metadata: customer.metadata().entries().clone(),
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// An id that is not a UUID, or another organization's customer, is simply not found here.
fn customer_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::Missing { what: "customer" })
}

/// The customer `body` describes, checked as `POST /api/billing/customers` checks it (the
/// dashboard's form is turned into the same request).
///
/// # Errors
/// The refused field's code (422).
pub(crate) fn new_customer(body: &CreateCustomerRequest) -> Result<Customer, ApiError> {
    body.validate()?;
    body.parse()
}

/// The changes `body` asks for, checked as `PATCH /api/billing/customers/{id}` checks them.
///
/// # Errors
/// The refused field's code (422).
pub(crate) fn customer_changes(body: UpdateCustomerRequest) -> Result<CustomerChanges, ApiError> {
    body.validate()?;
    body.parse()
}

/// 409 `customer_exists`: the organization has a customer with this external id.
pub(crate) fn customer_exists(external_id: &str) -> ApiError {
    ApiError::Conflict {
        code: ErrorCode::CustomerExists,
        message: format!(
            "a customer with external_id `{}` already exists",
            tollgate_domain::error::cut(external_id)
        ),
    }
}

pub async fn create(
    caller: Caller,
    state: web::Data<AppState>,
    body: Checked<ApiJson<CreateCustomerRequest>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.open()?;
    let customer = new_customer(&body)?;
    let external_id = customer.external_id().as_str().to_owned();
    match state
        .billing
        .customers()
        .create(caller.principal.organization, customer, &caller.audit)
        .await?
    {
        Some(record) => Ok(HttpResponse::Created().json(CustomerResponse::from(record))),
        None => Err(customer_exists(&external_id)),
    }
}

/// `?search=`: only customers whose external id, name or billing e-mail contains it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListFilter {
    search: Option<String>,
}

/// The longest search text: past an e-mail address's length it can only match nothing.
pub(crate) const MAX_SEARCH: usize = 254;

pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: Paged<ListFilter>,
) -> Result<HttpResponse, ApiError> {
    let (page, filter) = query.open()?;
    let search = filter.search.unwrap_or_default();
    if search.chars().count() > MAX_SEARCH {
        return Err(ApiError::Invalid {
            code: ErrorCode::InvalidQuery,
            message: format!("`search` is longer than {MAX_SEARCH} characters"),
        });
    }
    let records = state
        .billing
        .customers()
        .search(
            caller.principal.organization,
            &search,
            page.after(LIST)?,
            page.fetch(),
        )
        .await?;
    let (records, next) = page.split(LIST, records, |r| r.id);
    let data: Vec<CustomerResponse> = records.into_iter().map(Into::into).collect();
    Ok(paging::answer(&data, next))
}

pub async fn show(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = customer_id(&id)?;
    match state
        .billing
        .customers()
        .get(caller.principal.organization, id)
        .await?
    {
        Some(record) => Ok(HttpResponse::Ok().json(CustomerResponse::from(record))),
        None => Err(ApiError::Missing { what: "customer" }),
    }
}

pub async fn update(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Checked<ApiJson<UpdateCustomerRequest>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.open()?;
    let id = customer_id(&id)?;
    let changes = customer_changes(body.into_inner())?;
    match state
        .billing
        .customers()
        .update(caller.principal.organization, id, changes, &caller.audit)
        .await
    {
        Ok(Some(record)) => Ok(HttpResponse::Ok().json(CustomerResponse::from(record))),
        Ok(None) => Err(ApiError::Missing { what: "customer" }),
        // A blank name is the request's fault, said the same way as any other bad field.
        Err(tollgate_application::AppError::Invalid(error)) => Err(error.into()),
        Err(other) => Err(other.into()),
    }
}
