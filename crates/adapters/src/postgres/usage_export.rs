//! Stored events paged out by id for exports.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{ExportRow, UsageExport},
};
use tollgate_domain::organization::OrganizationId;

use super::{PgPool, error};

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    idempotency_key: String,
    #[diesel(sql_type = Timestamptz)]
    occurred_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    customer_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    model_group: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    provider: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    api_key_alias: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    litellm_team_id: Option<String>,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    prompt_tokens: i64,
    #[diesel(sql_type = BigInt)]
    completion_tokens: i64,
    #[diesel(sql_type = BigInt)]
    cached_tokens: i64,
    #[diesel(sql_type = BigInt)]
    reasoning_tokens: i64,
    #[diesel(sql_type = Text)]
    cost_usd: String,
    #[diesel(sql_type = Bool)]
    cache_hit: bool,
}

pub struct PgUsageExport {
    pool: PgPool,
}

impl PgUsageExport {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl UsageExport for PgUsageExport {
    async fn page(
        &self,
        organization: OrganizationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        customer: Option<String>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<ExportRow>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT id, idempotency_key, occurred_at, customer_id, model_group, provider,
                    api_key_alias, litellm_team_id, status, prompt_tokens, completion_tokens,
                    cached_tokens, reasoning_tokens, cost_usd::text AS cost_usd, cache_hit
             FROM usage_events
             WHERE organization_id = $1 AND occurred_at >= $2 AND occurred_at < $3 AND id > $4
               AND ($6::text IS NULL OR customer_id = $6)
             ORDER BY id LIMIT $5",
        )
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .bind::<BigInt, _>(after_id)
        .bind::<BigInt, _>(limit)
        .bind::<Nullable<Text>, _>(customer)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        rows.into_iter()
            .map(|row| {
                Ok(ExportRow {
                    id: row.id,
                    idempotency_key: row.idempotency_key,
                    occurred_at: row.occurred_at,
                    customer: row.customer_id,
                    model: row.model_group,
                    provider: row.provider,
                    api_key_alias: row.api_key_alias,
                    team: row.litellm_team_id,
                    status: row.status,
                    input_tokens: row.prompt_tokens,
                    output_tokens: row.completion_tokens,
                    cached_tokens: row.cached_tokens,
                    reasoning_tokens: row.reasoning_tokens,
                    cost_usd: row.cost_usd.parse().map_err(|e: rust_decimal::Error| {
                        PortError::Internal {
                            service: "postgres",
                            reason: e.to_string(),
                        }
                    })?,
                    cache_hit: row.cache_hit,
                })
            })
            .collect()
    }
}
