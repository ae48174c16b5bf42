//! The payment ledger in PostgreSQL (`payment_customers`, `invoice_collections`, `payments`,
//! `payment_provider_events`): see `PaymentLedger` for what each call promises.

mod collect;
mod rows;
mod settle;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{
        AttemptFilter, AttemptKind, AttemptRecord, AttemptReference, AttemptSettlement, AuditEntry,
        CardChange, Collection, InvoiceClaim, PaymentCustomer, PaymentLedger, ProviderEventId,
        SettlementOutcome,
    },
};
use tollgate_domain::{organization::OrganizationId, payment::AttemptStatus};
use uuid::Uuid;

use self::rows::{ATTEMPT_COLUMNS, AttemptRow, CUSTOMER_COLUMNS, CustomerRow};
use super::{PgPool, audit::append_in, error, transaction};

pub struct PgPaymentLedger {
    pool: PgPool,
}

impl PgPaymentLedger {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[derive(diesel::QueryableByName)]
struct Seen {
    #[diesel(sql_type = Bool)]
    seen: bool,
}

#[async_trait]
impl PaymentLedger for PgPaymentLedger {
    async fn payment_customer(
        &self,
        organization: OrganizationId,
        customer: Uuid,
    ) -> Result<Option<PaymentCustomer>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<CustomerRow> = diesel::sql_query(format!(
            "SELECT {CUSTOMER_COLUMNS} FROM payment_customers p
             WHERE p.organization_id = $1 AND p.customer_id = $2"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<SqlUuid, _>(customer)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(rows.into_iter().next().map(PaymentCustomer::from))
    }

    async fn save_payment_customer(
        &self,
        customer: &PaymentCustomer,
    ) -> Result<PaymentCustomer, PortError> {
        let customer = customer.clone();
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                diesel::sql_query(
                    "INSERT INTO payment_customers (organization_id, customer_id, provider,
                         provider_customer_id, default_payment_method, auto_collect)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (organization_id, customer_id) DO NOTHING",
                )
                .bind::<SqlUuid, _>(customer.organization.as_uuid())
                .bind::<SqlUuid, _>(customer.customer)
                .bind::<Text, _>(settle::PROVIDER)
                .bind::<Text, _>(&customer.provider_customer)
                .bind::<Nullable<Text>, _>(customer.default_payment_method.as_deref())
                .bind::<Bool, _>(customer.auto_collect)
                .execute(connection)
                .await?;
                let row: CustomerRow = diesel::sql_query(format!(
                    "SELECT {CUSTOMER_COLUMNS} FROM payment_customers p
                     WHERE p.organization_id = $1 AND p.customer_id = $2"
                ))
                .bind::<SqlUuid, _>(customer.organization.as_uuid())
                .bind::<SqlUuid, _>(customer.customer)
                .get_result(connection)
                .await?;
                Ok(PaymentCustomer::from(row))
            })
        })
        .await
    }

    async fn open_collections(&self, now: DateTime<Utc>) -> Result<u64, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        collect::open(&mut connection, now)
            .await
            .map_err(error::from_query)
    }

    async fn collection(
        &self,
        organization: OrganizationId,
        invoice: Uuid,
    ) -> Result<Option<Collection>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let found = collect::collections(&mut connection, &[invoice])
            .await
            .map_err(error::from_query)?;
        Ok(found
            .into_iter()
            .find(|collection| collection.organization == organization))
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Collection>, PortError> {
        transaction(&self.pool, move |connection| {
            Box::pin(collect::claim(connection, now, lease, limit))
        })
        .await
    }

    async fn claim_invoice(
        &self,
        organization: OrganizationId,
        invoice: Uuid,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<InvoiceClaim, PortError> {
        let organization = organization.as_uuid();
        transaction(&self.pool, move |connection| {
            Box::pin(collect::claim_invoice(
                connection,
                organization,
                invoice,
                now,
                lease,
            ))
        })
        .await
    }

    async fn begin_attempt(
        &self,
        collection: &Collection,
        kind: AttemptKind,
        at: DateTime<Utc>,
    ) -> Result<AttemptRecord, PortError> {
        let collection = collection.clone();
        transaction(&self.pool, move |connection| {
            Box::pin(async move { collect::begin_attempt(connection, &collection, kind, at).await })
        })
        .await
    }

    async fn settle(
        &self,
        settlement: &AttemptSettlement,
        event: Option<ProviderEventId>,
    ) -> Result<SettlementOutcome, PortError> {
        let settlement = settlement.clone();
        transaction(&self.pool, move |connection| {
            Box::pin(async move { settle::settle(connection, &settlement, event.as_ref()).await })
        })
        .await
    }

    async fn release(
        &self,
        organization: OrganizationId,
        invoice: Uuid,
        retry_at: DateTime<Utc>,
    ) -> Result<(), PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        collect::release(&mut connection, organization.as_uuid(), invoice, retry_at)
            .await
            .map_err(error::from_query)
    }

    async fn find_attempt(
        &self,
        reference: &AttemptReference,
    ) -> Result<Option<AttemptRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<AttemptRow> =
            match reference {
                AttemptReference::ProviderPayment(id) => {
                    diesel::sql_query(format!(
                        "SELECT {ATTEMPT_COLUMNS} FROM payments WHERE provider_payment = $1"
                    ))
                    .bind::<Text, _>(id)
                    .load(&mut connection)
                    .await
                }
                AttemptReference::Tollgate { invoice, attempt } => diesel::sql_query(format!(
                    "SELECT {ATTEMPT_COLUMNS} FROM payments WHERE invoice_id = $1 AND attempt = $2"
                ))
                .bind::<SqlUuid, _>(*invoice)
                .bind::<BigInt, _>(i64::from(*attempt))
                .load(&mut connection)
                .await,
            }
            .map_err(error::from_query)?;
        rows.into_iter()
            .next()
            .map(AttemptRecord::try_from)
            .transpose()
            .map_err(error::from_query)
    }

    async fn change_card(
        &self,
        change: &CardChange,
        event: &ProviderEventId,
        at: DateTime<Utc>,
    ) -> Result<bool, PortError> {
        let (change, event) = (change.clone(), event.clone());
        transaction(&self.pool, move |connection| {
            Box::pin(async move { settle::change_card(connection, &change, &event, at).await })
        })
        .await
    }

    async fn set_default_card(
        &self,
        organization: OrganizationId,
        customer: Uuid,
        payment_method: Option<String>,
        at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), PortError> {
        let audit = audit.clone();
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                settle::set_default_card(
                    connection,
                    organization.as_uuid(),
                    customer,
                    payment_method.as_deref(),
                    at,
                )
                .await?;
                append_in(connection, organization, &audit).await
            })
        })
        .await
    }

    async fn record_event(&self, event: &ProviderEventId) -> Result<bool, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        settle::record_event(&mut connection, event)
            .await
            .map_err(error::from_query)
    }

    async fn event_seen(&self, event: &ProviderEventId) -> Result<bool, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let seen: Seen = diesel::sql_query(
            "SELECT EXISTS (SELECT 1 FROM payment_provider_events
                            WHERE provider = $1 AND event_id = $2) AS seen",
        )
        .bind::<Text, _>(settle::PROVIDER)
        .bind::<Text, _>(&event.id)
        .get_result(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(seen.seen)
    }

    async fn attempts(
        &self,
        organization: OrganizationId,
        filter: AttemptFilter,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<AttemptRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<AttemptRow> = diesel::sql_query(format!(
            "SELECT {ATTEMPT_COLUMNS} FROM payments
             WHERE organization_id = $1 AND ($2::uuid IS NULL OR invoice_id = $2)
               AND ($3::text IS NULL OR status = $3)
               AND ($4::uuid IS NULL OR id < $4)
             ORDER BY id DESC LIMIT $5"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Nullable<SqlUuid>, _>(filter.invoice)
        .bind::<Nullable<Text>, _>(filter.status.map(AttemptStatus::as_str))
        .bind::<Nullable<SqlUuid>, _>(before)
        .bind::<BigInt, _>(i64::from(limit))
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        rows.into_iter()
            .map(AttemptRecord::try_from)
            .collect::<Result<_, _>>()
            .map_err(error::from_query)
    }
}
