//! The outbox as a work queue: claims are leases taken with `FOR UPDATE SKIP LOCKED`.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{OutboxItem, OutboxQueue, SettledItem, Settlement},
};
use tollgate_domain::{
    money::UsdAmount,
    organization::OrganizationId,
    usage::{CallStatus, CustomerId, EventPayload, IdempotencyKey, Label, TokenUsage},
};
use uuid::Uuid;

use super::{PgPool, error};

/// Due rows of one target, oldest first; rows another worker holds are skipped, not waited
/// for; an expired lease makes a row due again.
const CLAIM: &str = r"
WITH due AS (
    SELECT id FROM outbox
    WHERE target = $1 AND state = 'pending' AND next_attempt_at <= now()
      AND (locked_until IS NULL OR locked_until < now())
    ORDER BY next_attempt_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox o SET locked_until = now() + make_interval(secs => $3::double precision / 1000)
FROM due WHERE o.id = due.id
RETURNING o.id AS outbox_id, o.attempts, o.created_at AS queued_at, o.locked_until AS lease_until
";

const EVENTS: &str = r"
SELECT o.id AS outbox_id, e.id AS event_id, e.organization_id, e.idempotency_key, e.occurred_at,
       e.customer_id, e.api_key_hash, e.api_key_alias, e.litellm_user_id, e.litellm_team_id,
       e.litellm_org_id, e.model_group, e.provider_model, e.provider, e.call_type, e.status,
       e.error_code, e.prompt_tokens, e.completion_tokens, e.total_tokens, e.cached_tokens,
       e.reasoning_tokens, e.cost_usd::text AS cost_usd, e.cache_hit, e.stream, e.trace_id
FROM outbox o JOIN usage_events e ON e.id = o.event_id
WHERE o.id = ANY($1)
";

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = BigInt)]
    outbox_id: i64,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    queued_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    lease_until: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct EventRow {
    #[diesel(sql_type = BigInt)]
    outbox_id: i64,
    #[diesel(sql_type = BigInt)]
    event_id: i64,
    #[diesel(sql_type = SqlUuid)]
    organization_id: Uuid,
    #[diesel(sql_type = Text)]
    idempotency_key: String,
    #[diesel(sql_type = Timestamptz)]
    occurred_at: DateTime<Utc>,
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
}

fn internal(reason: String) -> PortError {
    PortError::Internal {
        service: "postgres",
        reason,
    }
}

fn label(text: Option<&String>) -> Option<Label> {
    text.and_then(|t| Label::new(t))
}

impl EventRow {
    /// Rows were valid domain values when stored; failing here means the table was edited.
    fn into_item(
        self,
        attempts: i32,
        queued_at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<OutboxItem, PortError> {
        let status = match self.status.as_str() {
            "success" => CallStatus::Success,
            _ => CallStatus::Failure {
                error_code: label(self.error_code.as_ref()),
            },
        };
        let event = EventPayload {
            idempotency_key: IdempotencyKey::parse(self.idempotency_key)
                .map_err(|e| internal(e.to_string()))?,
            occurred_at: self.occurred_at,
            customer: self
                .customer_id
                .map(CustomerId::parse)
                .transpose()
                .map_err(|e| internal(e.to_string()))?,
            api_key_hash: label(self.api_key_hash.as_ref()),
            api_key_alias: label(self.api_key_alias.as_ref()),
            user_id: label(self.litellm_user_id.as_ref()),
            team_id: label(self.litellm_team_id.as_ref()),
            org_id: label(self.litellm_org_id.as_ref()),
            model_group: label(self.model_group.as_ref()),
            provider_model: label(self.provider_model.as_ref()),
            provider: label(self.provider.as_ref()),
            call_type: label(self.call_type.as_ref()),
            status,
            tokens: TokenUsage::from_signed(
                self.prompt_tokens,
                self.completion_tokens,
                self.total_tokens,
                self.cached_tokens,
                self.reasoning_tokens,
            )
            .map_err(|e| internal(e.to_string()))?,
            cost: UsdAmount::parse_json_number("cost_usd", &self.cost_usd)
                .map_err(|e| internal(e.to_string()))?,
            cache_hit: self.cache_hit,
            stream: self.stream,
            trace_id: label(self.trace_id.as_ref()),
            request_tags: Vec::new(),
        };
        Ok(OutboxItem {
            outbox_id: self.outbox_id,
            event_id: self.event_id,
            organization: OrganizationId::from_uuid(self.organization_id),
            attempts,
            queued_at,
            lease_until,
            event,
        })
    }
}

pub struct PgOutboxQueue {
    pool: PgPool,
}

impl PgOutboxQueue {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl OutboxQueue for PgOutboxQueue {
    async fn claim(
        &self,
        target: &str,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<OutboxItem>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let claimed: Vec<Claimed> = diesel::sql_query(CLAIM)
            .bind::<Text, _>(target)
            .bind::<BigInt, _>(i64::try_from(limit).unwrap_or(i64::MAX))
            .bind::<BigInt, _>(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX))
            .load(&mut connection)
            .await
            .map_err(error::from_query)?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = claimed.iter().map(|c| c.outbox_id).collect();
        let rows: Vec<EventRow> = diesel::sql_query(EVENTS)
            .bind::<Array<BigInt>, _>(&ids)
            .load(&mut connection)
            .await
            .map_err(error::from_query)?;
        let claims: std::collections::HashMap<i64, (i32, DateTime<Utc>, DateTime<Utc>)> = claimed
            .iter()
            .map(|c| (c.outbox_id, (c.attempts, c.queued_at, c.lease_until)))
            .collect();
        let mut items = rows
            .into_iter()
            .map(|row| {
                let (tries, queued_at, lease_until) = claims
                    .get(&row.outbox_id)
                    .copied()
                    .unwrap_or((0, Utc::now(), Utc::now()));
                row.into_item(tries, queued_at, lease_until)
            })
            .collect::<Result<Vec<_>, _>>()?;
        items.sort_by_key(|item| item.outbox_id);
        Ok(items)
    }

    async fn renew(
        &self,
        ids: &[i64],
        held_until: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<DateTime<Utc>>, PortError> {
        #[derive(QueryableByName)]
        struct Renewed {
            #[diesel(sql_type = Timestamptz)]
            locked_until: DateTime<Utc>,
        }
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        // One statement, one `now()`: every renewed row gets the same new lease, which is what
        // the claim is settled under from then on.
        let renewed: Vec<Renewed> = diesel::sql_query(
            "UPDATE outbox SET locked_until = now() + make_interval(secs => $3::double precision / 1000)
             WHERE id = ANY($1) AND state = 'pending' AND locked_until = $2
             RETURNING locked_until",
        )
        .bind::<Array<BigInt>, _>(ids)
        .bind::<Timestamptz, _>(held_until)
        .bind::<BigInt, _>(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX))
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(renewed.into_iter().next().map(|row| row.locked_until))
    }

    async fn pull_forward(&self, target: &str) -> Result<u64, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let pulled = diesel::sql_query(
            "UPDATE outbox SET next_attempt_at = now()
             WHERE target = $1 AND state = 'pending' AND next_attempt_at > now()
               AND NOT coalesce((last_error->>'waiting')::boolean, false)",
        )
        .bind::<Text, _>(target)
        .execute(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(u64::try_from(pulled).unwrap_or_default())
    }

    async fn settle(&self, settled: &[SettledItem]) -> Result<(), PortError> {
        if settled.is_empty() {
            return Ok(());
        }
        let mut ids = Vec::with_capacity(settled.len());
        let mut leases = Vec::with_capacity(settled.len());
        let mut states = Vec::with_capacity(settled.len());
        let mut next = Vec::with_capacity(settled.len());
        let mut counts = Vec::with_capacity(settled.len());
        let mut errors: Vec<Option<String>> = Vec::with_capacity(settled.len());
        for SettledItem {
            outbox_id: id,
            lease_until,
            settlement,
        } in settled
        {
            leases.push(*lease_until);
            let (state, at, counts_attempt, error) = match settlement {
                Settlement::Delivered => ("delivered", None, true, None),
                Settlement::RetryAt { at, reason } => ("pending", Some(*at), true, Some(reason)),
                Settlement::Dead { reason } => ("dead", None, true, Some(reason)),
                Settlement::WaitUntil { at, reason } => ("pending", Some(*at), false, Some(reason)),
            };
            ids.push(*id);
            states.push(state.to_owned());
            next.push(at);
            counts.push(i32::from(counts_attempt));
            // `waiting` marks rows held for something on our side: a target that answers
            // again pulls its retries forward, not these.
            let waiting = matches!(settlement, Settlement::WaitUntil { .. });
            errors.push(error.map(|reason| {
                let mut error = serde_json::json!({ "reason": reason, "at": Utc::now() });
                if waiting {
                    error["waiting"] = true.into();
                }
                error.to_string()
            }));
        }
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        // Only rows still pending under this very claim are touched: a row another worker
        // re-claimed after this lease expired is that worker's to settle.
        diesel::sql_query(
            "UPDATE outbox o SET
                state = s.state,
                attempts = o.attempts + s.counts,
                next_attempt_at = coalesce(s.next_at, o.next_attempt_at),
                locked_until = NULL,
                last_error = coalesce(s.error::jsonb, o.last_error),
                delivered_at = CASE WHEN s.state = 'delivered' THEN now() ELSE o.delivered_at END
             FROM UNNEST($1::int8[], $2::text[], $3::timestamptz[], $4::int4[], $5::text[],
                         $6::timestamptz[])
                  AS s(id, state, next_at, counts, error, lease_until)
             WHERE o.id = s.id AND o.state = 'pending' AND o.locked_until = s.lease_until",
        )
        .bind::<Array<BigInt>, _>(ids)
        .bind::<Array<Text>, _>(states)
        .bind::<Array<Nullable<Timestamptz>>, _>(next)
        .bind::<Array<Integer>, _>(counts)
        .bind::<Array<Nullable<Text>>, _>(errors)
        .bind::<Array<Timestamptz>, _>(leases)
        .execute(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(())
    }
}
