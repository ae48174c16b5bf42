//! The seller (the organization, as its settings name it) and the buyer (the stored customer)
//! of an invoice document.

use async_trait::async_trait;
use diesel::{
    QueryableByName,
    sql_types::{Nullable, Text, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use tollgate_application::{
    PortError,
    ports::{CustomerStore, InvoiceParties, Seller},
};
use tollgate_domain::{
    billing::{BillingEmail, Customer, TaxId},
    organization::OrganizationId,
    usage::CustomerId,
};
use uuid::Uuid;

use super::super::{PgCustomerStore, PgPool, error};

pub struct PgInvoiceParties {
    pool: PgPool,
    customers: PgCustomerStore,
}

impl PgInvoiceParties {
    pub fn new(pool: PgPool) -> Self {
        Self {
            customers: PgCustomerStore::new(pool.clone()),
            pool,
        }
    }
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    display_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    billing_contact: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    tax_id: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    customer_id: Option<Uuid>,
}

#[derive(Deserialize)]
struct ContactJson {
    email: String,
    address: Option<String>,
}

#[async_trait]
impl InvoiceParties for PgInvoiceParties {
    async fn parties(
        &self,
        organization: OrganizationId,
        customer: &CustomerId,
    ) -> Result<Option<(Seller, Customer)>, PortError> {
        let row: Option<Row> = {
            let mut connection = self.pool.get().await.map_err(error::from_pool)?;
            diesel::sql_query(
                "SELECT o.name, s.display_name, s.billing_contact::text AS billing_contact, s.tax_id,
                        (SELECT c.id FROM billing_customers c
                         WHERE c.organization_id = o.id AND c.external_id = $2) AS customer_id
                 FROM organizations o
                 LEFT JOIN organization_settings s ON s.organization_id = o.id
                 WHERE o.id = $1",
            )
            .bind::<SqlUuid, _>(organization.as_uuid())
            .bind::<Text, _>(customer.as_str())
            .load::<Row>(&mut connection)
            .await
            .map_err(error::from_query)?
            .pop()
        };
        let Some(row) = row else {
            return Ok(None);
        };
        let Some(customer_id) = row.customer_id else {
            return Ok(None);
        };
        let Some(buyer) = self.customers.get(organization, customer_id).await? else {
            return Ok(None);
        };
        // The contact's address is free text: printed as written, line by line.
        let contact = row
            .billing_contact
            .as_deref()
            .and_then(|json| serde_json::from_str::<ContactJson>(json).ok());
        let (billing_email, postal_address) = match contact {
            Some(contact) => (
                BillingEmail::parse(&contact.email).ok(),
                contact.address.filter(|address| !address.trim().is_empty()),
            ),
            None => (None, None),
        };
        let seller = Seller {
            name: row
                .display_name
                .filter(|name| !name.trim().is_empty())
                .unwrap_or(row.name),
            address: None,
            postal_address,
            // Checked when the settings were saved; a value that no longer parses is left out
            // rather than failing every document.
            tax_id: row.tax_id.as_deref().and_then(|id| TaxId::parse(id).ok()),
            billing_email,
        };
        Ok(Some((seller, buyer.customer)))
    }
}
