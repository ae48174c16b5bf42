//! Billing customers, scoped by organization in every query, each change written with its
//! audit record.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use tollgate_application::{
    PortError,
    ports::{AuditEntry, CustomerRecord, CustomerStore},
};
use tollgate_domain::{
    DomainError,
    billing::{
        Address, BillingEmail, CountryCode, Currency, Customer, Metadata, NetTerms, TaxId, TaxRate,
        Timezone,
    },
    organization::OrganizationId,
    usage::CustomerId,
};
use uuid::Uuid;

use super::{PgPool, audit::append_in, error, transaction};

const COLUMNS: &str = "id, organization_id, external_id, name, billing_email, currency,
    currency_minor_units, address::text AS address, tax_id, tax_rate::text AS tax_rate, timezone,
    metadata::text AS metadata, net_terms_days, created_at, updated_at";

#[derive(Serialize, Deserialize)]
struct AddressJson {
    line1: String,
    line2: Option<String>,
    city: String,
    postal_code: Option<String>,
    state: Option<String>,
    country: String,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    organization_id: Uuid,
    #[diesel(sql_type = Text)]
    external_id: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    billing_email: String,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Integer)]
    currency_minor_units: i32,
    #[diesel(sql_type = Nullable<Text>)]
    address: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    tax_id: Option<String>,
    /// Percent, as numeric text.
    #[diesel(sql_type = Nullable<Text>)]
    tax_rate: Option<String>,
    #[diesel(sql_type = Text)]
    timezone: String,
    #[diesel(sql_type = Text)]
    metadata: String,
    #[diesel(sql_type = Nullable<Integer>)]
    net_terms_days: Option<i32>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
}

fn internal(reason: String) -> PortError {
    PortError::Internal {
        service: "postgres",
        reason,
    }
}

/// A stored row back into the domain; a row the domain refuses is a broken invariant.
fn record(row: Row) -> Result<CustomerRecord, PortError> {
    let invalid = |e: DomainError| internal(format!("stored customer {}: {e}", row.id));
    let minor_units = u8::try_from(row.currency_minor_units)
        .map_err(|e| internal(format!("stored customer {}: {e}", row.id)))?;
    let currency = Currency::with_minor_units(&row.currency, minor_units).map_err(invalid)?;
    let mut customer = Customer::new(
        CustomerId::parse(row.external_id.as_str()).map_err(invalid)?,
        &row.name,
        BillingEmail::parse(&row.billing_email).map_err(invalid)?,
        currency,
    )
    .map_err(invalid)?
    .with_timezone(Timezone::parse(&row.timezone).map_err(invalid)?);
    let metadata: BTreeMap<String, String> =
        serde_json::from_str(&row.metadata).map_err(|e| internal(e.to_string()))?;
    customer = customer.with_metadata(Metadata::new(metadata).map_err(invalid)?);
    if let Some(text) = &row.address {
        let json: AddressJson = serde_json::from_str(text).map_err(|e| internal(e.to_string()))?;
        let address = Address::new(
            &json.line1,
            json.line2.as_deref(),
            &json.city,
            json.postal_code.as_deref(),
            json.state.as_deref(),
            CountryCode::parse(&json.country).map_err(invalid)?,
        )
        .map_err(invalid)?;
        customer = customer.with_address(address);
    }
    if let Some(tax_id) = &row.tax_id {
        customer = customer.with_tax_id(TaxId::parse(tax_id).map_err(invalid)?);
    }
    if let Some(percent) = &row.tax_rate {
        customer = customer.with_tax_rate(TaxRate::parse(percent).map_err(invalid)?);
    }
    if let Some(days) = row.net_terms_days {
        customer = customer.with_net_terms(NetTerms::from_stored(days.into()).map_err(invalid)?);
    }
    Ok(CustomerRecord {
        id: row.id,
        organization: OrganizationId::from_uuid(row.organization_id),
        customer,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The columns of a customer as bound: address and metadata as JSON text, the tax rate as
/// exact decimal text (cast to numeric in SQL).
struct Values {
    name: String,
    billing_email: String,
    currency: String,
    minor_units: i32,
    address: Option<String>,
    tax_id: Option<String>,
    tax_rate: Option<String>,
    timezone: String,
    metadata: String,
    net_terms_days: Option<i32>,
}

fn values(customer: &Customer) -> Result<Values, PortError> {
    let address = customer
        .address()
        .map(|a| {
            serde_json::to_string(&AddressJson {
                line1: a.line1.clone(),
                line2: a.line2.clone(),
                city: a.city.clone(),
                postal_code: a.postal_code.clone(),
                state: a.state.clone(),
                country: a.country.as_str().to_owned(),
            })
        })
        .transpose()
        .map_err(|e| internal(e.to_string()))?;
    let metadata = serde_json::to_string(customer.metadata().entries())
        .map_err(|e| internal(e.to_string()))?;
    Ok(Values {
        name: customer.name().to_owned(),
        billing_email: customer.billing_email().as_str().to_owned(),
        currency: customer.currency().code().to_owned(),
        minor_units: i32::try_from(customer.currency().minor_units())
            .map_err(|e| internal(e.to_string()))?,
        address,
        tax_id: customer.tax_id().map(|t| t.as_str().to_owned()),
        tax_rate: customer.tax_rate().map(|r| r.percent().to_string()),
        timezone: customer.timezone().as_str().to_owned(),
        metadata,
        net_terms_days: customer.net_terms().map(|t| i32::from(t.days())),
    })
}

pub struct PgCustomerStore {
    pool: PgPool,
}

impl PgCustomerStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl CustomerStore for PgCustomerStore {
    async fn create(
        &self,
        organization: OrganizationId,
        id: Uuid,
        customer: &Customer,
        audit: &AuditEntry,
    ) -> Result<Option<CustomerRecord>, PortError> {
        let (v, external_id, audit) = (
            values(customer)?,
            customer.external_id().as_str().to_owned(),
            audit.clone(),
        );
        let row = transaction(&self.pool, move |connection| {
            Box::pin(async move {
                // A taken external id inserts nothing and returns no row: no audit record.
                let rows: Vec<Row> = diesel::sql_query(format!(
                    "INSERT INTO billing_customers (id, organization_id, external_id, name,
                        billing_email, currency, currency_minor_units, address, tax_id, timezone,
                        metadata, tax_rate, net_terms_days)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11::jsonb,
                             $12::numeric, $13)
                     ON CONFLICT (organization_id, external_id) DO NOTHING
                     RETURNING {COLUMNS}"
                ))
                .bind::<SqlUuid, _>(id)
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<Text, _>(&external_id)
                .bind::<Text, _>(&v.name)
                .bind::<Text, _>(&v.billing_email)
                .bind::<Text, _>(&v.currency)
                .bind::<Integer, _>(v.minor_units)
                .bind::<Nullable<Text>, _>(v.address.as_deref())
                .bind::<Nullable<Text>, _>(v.tax_id.as_deref())
                .bind::<Text, _>(&v.timezone)
                .bind::<Text, _>(&v.metadata)
                .bind::<Nullable<Text>, _>(v.tax_rate.as_deref())
                .bind::<Nullable<Integer>, _>(v.net_terms_days)
                .load(connection)
                .await?;
                let row = rows.into_iter().next();
                if row.is_some() {
                    append_in(connection, organization, &audit).await?;
                }
                Ok(row)
            })
        })
        .await?;
        row.map(record).transpose()
    }

    async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<CustomerRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT {COLUMNS} FROM billing_customers WHERE organization_id = $1 AND id = $2"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<SqlUuid, _>(id)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        rows.into_iter().next().map(record).transpose()
    }

    async fn list(
        &self,
        organization: OrganizationId,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<CustomerRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT {COLUMNS} FROM billing_customers
             WHERE organization_id = $1 AND ($2::uuid IS NULL OR id > $2)
             ORDER BY id LIMIT $3"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Nullable<SqlUuid>, _>(after)
        .bind::<BigInt, _>(limit)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        rows.into_iter().map(record).collect()
    }

    async fn search(
        &self,
        organization: OrganizationId,
        text: &str,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<CustomerRecord>, PortError> {
        // The text is matched as typed: LIKE's wildcards and its escape are escaped.
        let pattern = format!(
            "%{}%",
            text.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT {COLUMNS} FROM billing_customers
             WHERE organization_id = $1 AND ($2::uuid IS NULL OR id > $2)
               AND (external_id ILIKE $3 OR name ILIKE $3 OR billing_email ILIKE $3)
             ORDER BY id LIMIT $4"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Nullable<SqlUuid>, _>(after)
        .bind::<Text, _>(&pattern)
        .bind::<BigInt, _>(limit)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        rows.into_iter().map(record).collect()
    }

    async fn by_external_id(
        &self,
        organization: OrganizationId,
        external_id: &CustomerId,
    ) -> Result<Option<CustomerRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT {COLUMNS} FROM billing_customers
             WHERE organization_id = $1 AND external_id = $2"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Text, _>(external_id.as_str())
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        rows.into_iter().next().map(record).transpose()
    }

    async fn update(
        &self,
        organization: OrganizationId,
        id: Uuid,
        customer: &Customer,
        audit: &AuditEntry,
    ) -> Result<Option<CustomerRecord>, PortError> {
        let (v, audit) = (values(customer)?, audit.clone());
        let row = transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let rows: Vec<Row> = diesel::sql_query(format!(
                    "UPDATE billing_customers SET name = $3, billing_email = $4, currency = $5,
                        currency_minor_units = $6, address = $7::jsonb, tax_id = $8,
                        timezone = $9, metadata = $10::jsonb, tax_rate = $11::numeric,
                        net_terms_days = $12, updated_at = now()
                     WHERE organization_id = $1 AND id = $2
                     RETURNING {COLUMNS}"
                ))
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<SqlUuid, _>(id)
                .bind::<Text, _>(&v.name)
                .bind::<Text, _>(&v.billing_email)
                .bind::<Text, _>(&v.currency)
                .bind::<Integer, _>(v.minor_units)
                .bind::<Nullable<Text>, _>(v.address.as_deref())
                .bind::<Nullable<Text>, _>(v.tax_id.as_deref())
                .bind::<Text, _>(&v.timezone)
                .bind::<Text, _>(&v.metadata)
                .bind::<Nullable<Text>, _>(v.tax_rate.as_deref())
                .bind::<Nullable<Integer>, _>(v.net_terms_days)
                .load(connection)
                .await?;
                let row = rows.into_iter().next();
                if row.is_some() {
                    append_in(connection, organization, &audit).await?;
                }
                Ok(row)
            })
        })
        .await?;
        row.map(record).transpose()
    }
}
