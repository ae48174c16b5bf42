//! Stored events paged out in time order for exports.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{ExportCursor, ExportRow, UsageExport},
};
use tollgate_domain::organization::OrganizationId;

use super::{PgPool, error};

mod events;

/// Every column of `usage_events` but the organization's, as [`Row`] reads them.
const COLUMNS: &str = "
       id, idempotency_key, occurred_at, received_at, customer_id, api_key_hash, api_key_alias,
       litellm_user_id, litellm_team_id, litellm_org_id, model_group, provider_model, provider,
       call_type, status, error_code, prompt_tokens, completion_tokens, total_tokens,
       cached_tokens, reasoning_tokens, cost_usd::text AS cost_usd, cache_hit, stream, trace_id,
       request_tags::text AS request_tags";

/// Every column of `usage_events` but the organization's. `occurred_at >= $2` repeats what
/// the row comparison implies so that the index on (organization, time) starts at the cursor.
const PAGE: &str = "
SELECT id, idempotency_key, occurred_at, received_at, customer_id, api_key_hash, api_key_alias,
       litellm_user_id, litellm_team_id, litellm_org_id, model_group, provider_model, provider,
       call_type, status, error_code, prompt_tokens, completion_tokens, total_tokens,
       cached_tokens, reasoning_tokens, cost_usd::text AS cost_usd, cache_hit, stream, trace_id,
       request_tags::text AS request_tags
FROM usage_events
WHERE organization_id = $1 AND occurred_at >= $2 AND (occurred_at, id) > ($2, $3)
  AND occurred_at < $4 AND ($6::text IS NULL OR customer_id = $6)
ORDER BY occurred_at, id LIMIT $5";

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    idempotency_key: String,
    #[diesel(sql_type = Timestamptz)]
    occurred_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    received_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    customer_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    api_key_hash: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    api_key_alias: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    litellm_user_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    litellm_team_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    litellm_org_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    model_group: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    provider_model: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    provider: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    call_type: Option<String>,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    error_code: Option<String>,
    #[diesel(sql_type = BigInt)]
    prompt_tokens: i64,
    #[diesel(sql_type = BigInt)]
    completion_tokens: i64,
    #[diesel(sql_type = BigInt)]
    total_tokens: i64,
    #[diesel(sql_type = BigInt)]
    cached_tokens: i64,
    #[diesel(sql_type = BigInt)]
    reasoning_tokens: i64,
    #[diesel(sql_type = Text)]
    cost_usd: String,
    #[diesel(sql_type = Bool)]
    cache_hit: bool,
    #[diesel(sql_type = Bool)]
    stream: bool,
    #[diesel(sql_type = Nullable<Text>)]
    trace_id: Option<String>,
    #[diesel(sql_type = Text)]
    request_tags: String,
}

fn broken(reason: String) -> PortError {
    PortError::Internal {
        service: "postgres",
        reason,
    }
}

impl TryFrom<Row> for ExportRow {
    type Error = PortError;

    fn try_from(row: Row) -> Result<Self, PortError> {
        Ok(Self {
            id: row.id,
            idempotency_key: row.idempotency_key,
            occurred_at: row.occurred_at,
            received_at: row.received_at,
            customer: row.customer_id,
            model: row.model_group,
            provider: row.provider,
            api_key_hash: row.api_key_hash,
            api_key_alias: row.api_key_alias,
            user: row.litellm_user_id,
            team: row.litellm_team_id,
            org: row.litellm_org_id,
            provider_model: row.provider_model,
            call_type: row.call_type,
            status: row.status,
            error_code: row.error_code,
            input_tokens: row.prompt_tokens,
            output_tokens: row.completion_tokens,
            total_tokens: row.total_tokens,
            cached_tokens: row.cached_tokens,
            reasoning_tokens: row.reasoning_tokens,
            cost_usd: row
                .cost_usd
                .parse()
                .map_err(|e: rust_decimal::Error| broken(e.to_string()))?,
            cache_hit: row.cache_hit,
            stream: row.stream,
            trace_id: row.trace_id,
            // Ingest writes a JSON array of strings; anything else is a broken row.
            tags: serde_json::from_str(&row.request_tags)
                .map_err(|e| broken(format!("request_tags of event {}: {e}", row.id)))?,
        })
    }
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
        to: DateTime<Utc>,
        customer: Option<String>,
        after: ExportCursor,
        limit: i64,
    ) -> Result<Vec<ExportRow>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(PAGE)
            .bind::<SqlUuid, _>(organization.as_uuid())
            .bind::<Timestamptz, _>(after.occurred_at)
            .bind::<BigInt, _>(after.id)
            .bind::<Timestamptz, _>(to)
            .bind::<BigInt, _>(limit)
            .bind::<Nullable<Text>, _>(customer)
            .load(&mut connection)
            .await
            .map_err(error::from_query)?;
        rows.into_iter().map(ExportRow::try_from).collect()
    }
}
