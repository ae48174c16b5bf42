//! One subscription's open period, read as the close reads it (the same candidate columns,
//! terms and usage queries) but without claiming it: for its usage rated to date.

use async_trait::async_trait;
use diesel::sql_types::Uuid as SqlUuid;
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError, ports::OpenPeriodReader, services::billing::period_close::rules::SubscriptionTerms,
};
use tollgate_domain::{
    billing::{BillingPeriod, MeteredUsage, TaxRate},
    organization::OrganizationId,
    usage::CustomerId,
};
use uuid::Uuid;

use super::{
    PgPeriodCloseStore,
    claim::{Candidate, with_terms},
    terms, usage,
};
use crate::postgres::error;

const ONE: &str = "SELECT s.id, s.organization_id, s.customer_id, s.billing_anchor, s.started_at,
                s.trial_ends_at, s.terminated_at, s.invoiced_through
         FROM billing_subscriptions s WHERE s.organization_id = $1 AND s.id = $2
";

fn broken(reason: String) -> PortError {
    PortError::Internal {
        service: "postgres",
        reason,
    }
}

#[async_trait]
impl OpenPeriodReader for PgPeriodCloseStore {
    async fn terms(
        &self,
        organization: OrganizationId,
        id: Uuid,
        default_tax_rate: TaxRate,
    ) -> Result<Option<SubscriptionTerms>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let candidates: Vec<Candidate> = diesel::sql_query(with_terms(ONE))
            .bind::<SqlUuid, _>(organization.as_uuid())
            .bind::<SqlUuid, _>(id)
            .load(&mut connection)
            .await
            .map_err(error::from_query)?;
        if candidates.is_empty() {
            return Ok(None);
        }
        let mut read = terms::terms(&mut connection, &candidates, default_tax_rate)
            .await
            .map_err(error::from_query)?;
        match read.subscriptions.remove(&id) {
            Some(Ok(terms)) => Ok(Some(terms)),
            Some(Err(error)) => Err(broken(format!("subscription {id}: {error}"))),
            None => Ok(None),
        }
    }

    async fn usage(
        &self,
        organization: OrganizationId,
        customer: &CustomerId,
        spans: &[BillingPeriod],
    ) -> Result<Vec<MeteredUsage>, PortError> {
        let spans: Vec<usage::UsageSpan> = spans
            .iter()
            .map(|span| usage::UsageSpan {
                organization: organization.as_uuid(),
                customer: customer.as_str().to_owned(),
                span: *span,
            })
            .collect();
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        usage::read(&mut connection, &spans)
            .await
            .map_err(error::from_query)
    }
}
