//! LiteLLM budget alerts, once per organization, event, entity and day.

use async_trait::async_trait;
use diesel::sql_types::{Date, Nullable, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{BudgetAlertStore, StoredOrDuplicate},
};
use tollgate_domain::{
    alert::BudgetAlert, money::UsdAmount, organization::OrganizationId, usage::Label,
};

use super::{PgPool, error};

pub struct PgBudgetAlertStore {
    pool: PgPool,
}

impl PgBudgetAlertStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

fn amount(value: Option<UsdAmount>) -> Option<String> {
    value.map(|v| v.amount().to_string())
}

fn text(label: Option<&Label>) -> Option<&str> {
    label.map(Label::as_str)
}

#[async_trait]
impl BudgetAlertStore for PgBudgetAlertStore {
    async fn record(
        &self,
        organization: OrganizationId,
        alert: &BudgetAlert,
    ) -> Result<StoredOrDuplicate, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let inserted = diesel::sql_query(
            "INSERT INTO budget_alerts (
                organization_id, event, event_group, entity_id, alert_day, spend_usd,
                max_budget_usd, soft_budget_usd, projected_spend_usd, projected_exceeded_date,
                message, api_key_hash, api_key_alias, customer_id, litellm_user_id,
                litellm_team_id, litellm_org_id)
             VALUES ($1, $2, $3, $4, $5, $6::numeric, $7::numeric, $8::numeric, $9::numeric,
                     $10, $11, $12, $13, $14, $15, $16, $17)
             ON CONFLICT (organization_id, event, entity_id, alert_day) DO NOTHING",
        )
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Text, _>(alert.kind.as_str())
        .bind::<Text, _>(alert.entity_group.as_str())
        .bind::<Text, _>(format!(
            "{}:{}",
            alert.entity_group.as_str(),
            alert.entity_id.as_str()
        ))
        .bind::<Date, _>(alert.day)
        .bind::<Nullable<Text>, _>(amount(alert.spend))
        .bind::<Nullable<Text>, _>(amount(alert.max_budget))
        .bind::<Nullable<Text>, _>(amount(alert.soft_budget))
        .bind::<Nullable<Text>, _>(amount(alert.projected_spend))
        .bind::<Nullable<Text>, _>(text(alert.projected_exceeded_date.as_ref()))
        .bind::<Nullable<Text>, _>(alert.message.as_deref())
        .bind::<Nullable<Text>, _>(text(alert.api_key_hash.as_ref()))
        .bind::<Nullable<Text>, _>(text(alert.api_key_alias.as_ref()))
        .bind::<Nullable<Text>, _>(text(alert.customer_id.as_ref()))
        .bind::<Nullable<Text>, _>(text(alert.user_id.as_ref()))
        .bind::<Nullable<Text>, _>(text(alert.team_id.as_ref()))
        .bind::<Nullable<Text>, _>(text(alert.org_id.as_ref()))
        .execute(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(if inserted == 1 {
            StoredOrDuplicate::Stored
        } else {
            StoredOrDuplicate::Duplicate
        })
    }
}
