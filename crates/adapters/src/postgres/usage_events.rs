//! Usage events, their outbox rows, their keys' aliases and quarantined entries: one
//! statement per batch.

use std::collections::HashSet;

use async_trait::async_trait;
use diesel::{
    QueryableByName,
    sql_types::{
        Array, BigInt, Bool, Bytea, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid,
    },
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{IncomingEvent, IngestBatch, IngestReceipt, UsageEventStore},
};
use tollgate_domain::usage::Label;
use uuid::Uuid;

use super::{PgPool, error};

/// Events go in unless their (organization, idempotency key) is already there; each new event
/// gets one outbox row per delivery target; new key aliases and quarantined entries are kept
/// alongside. A single
/// statement, so all of it commits or none of it does.
const INGEST: &str = r"
WITH incoming AS (
    SELECT * FROM UNNEST(
        $1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],
        $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
        $13::text[], $14::text[], $15::text[], $16::int8[], $17::int8[], $18::int8[],
        $19::int8[], $20::int8[], $21::text[]::numeric[], $22::bool[], $23::bool[],
        $24::text[], $25::text[]::jsonb[]
    ) AS t (
        organization_id, idempotency_key, occurred_at, customer_id, api_key_hash,
        api_key_alias, litellm_user_id, litellm_team_id, litellm_org_id, model_group,
        provider_model, provider, call_type, status, error_code, prompt_tokens,
        completion_tokens, total_tokens, cached_tokens, reasoning_tokens, cost_usd, cache_hit,
        stream, trace_id, request_tags
    )
),
inserted AS (
    INSERT INTO usage_events (
        organization_id, idempotency_key, occurred_at, customer_id, api_key_hash,
        api_key_alias, litellm_user_id, litellm_team_id, litellm_org_id, model_group,
        provider_model, provider, call_type, status, error_code, prompt_tokens,
        completion_tokens, total_tokens, cached_tokens, reasoning_tokens, cost_usd, cache_hit,
        stream, trace_id, request_tags
    )
    SELECT * FROM incoming
    ON CONFLICT (organization_id, idempotency_key) DO NOTHING
    RETURNING id, organization_id, idempotency_key
),
queued AS (
    INSERT INTO outbox (event_id, organization_id, target)
    SELECT inserted.id, inserted.organization_id, target
    FROM inserted CROSS JOIN UNNEST($26::text[]) AS target
),
-- Each key's alias when it is news: a key not seen yet, or another alias from a later event
-- than the one that named the stored alias. The common case (the alias already stored) writes
-- nothing and takes no lock, so concurrent batches of one key do not queue on its row; rows
-- that do change are written in key order, as the events are, so two batches cannot deadlock.
-- (An alias renamed and renamed back within a delivery delay may keep the middle one.)
aliases AS (
    INSERT INTO litellm_key_aliases AS a (organization_id, api_key_hash, alias, named_at)
    SELECT * FROM (
        SELECT DISTINCT ON (organization_id, api_key_hash)
               organization_id, api_key_hash, api_key_alias, occurred_at
        FROM incoming
        WHERE api_key_hash IS NOT NULL AND api_key_alias IS NOT NULL
        ORDER BY organization_id, api_key_hash, occurred_at DESC
    ) AS latest
    WHERE NOT EXISTS (
        SELECT 1 FROM litellm_key_aliases k
        WHERE k.organization_id = latest.organization_id
          AND k.api_key_hash = latest.api_key_hash
          AND (k.alias = latest.api_key_alias OR k.named_at >= latest.occurred_at))
    ORDER BY organization_id, api_key_hash
    ON CONFLICT (organization_id, api_key_hash) DO UPDATE
    SET alias = EXCLUDED.alias, named_at = EXCLUDED.named_at
    WHERE a.named_at < EXCLUDED.named_at
),
quarantined AS (
    INSERT INTO quarantined_events (
        organization_id, batch_index, reason_code, reason, content, fingerprint
    )
    SELECT * FROM UNNEST(
        $27::uuid[], $28::int4[], $29::text[], $30::text[], $31::text[]::jsonb[], $32::bytea[]
    )
    ON CONFLICT (organization_id, fingerprint) DO NOTHING
)
SELECT organization_id, idempotency_key FROM inserted
";

/// Stores usage events in PostgreSQL, queuing each new one for every enabled delivery target.
pub struct PgUsageEventStore {
    pool: PgPool,
    targets: Vec<String>,
}

impl PgUsageEventStore {
    /// `targets` names the delivery targets (`embedded_meter`, `openmeter`, `lago`) every new
    /// event is queued for.
    pub fn new(pool: PgPool, targets: Vec<String>) -> Self {
        Self { pool, targets }
    }
}

#[derive(QueryableByName)]
struct Inserted {
    #[diesel(sql_type = SqlUuid)]
    organization_id: Uuid,
    #[diesel(sql_type = Text)]
    idempotency_key: String,
}

/// The batch's columns, one array per column, in (organization, key) order.
#[derive(Default)]
struct Columns {
    organization_id: Vec<Uuid>,
    idempotency_key: Vec<String>,
    occurred_at: Vec<chrono::DateTime<chrono::Utc>>,
    customer_id: Vec<Option<String>>,
    api_key_hash: Vec<Option<String>>,
    api_key_alias: Vec<Option<String>>,
    user_id: Vec<Option<String>>,
    team_id: Vec<Option<String>>,
    org_id: Vec<Option<String>>,
    model_group: Vec<Option<String>>,
    provider_model: Vec<Option<String>>,
    provider: Vec<Option<String>>,
    call_type: Vec<Option<String>>,
    status: Vec<String>,
    error_code: Vec<Option<String>>,
    prompt_tokens: Vec<i64>,
    completion_tokens: Vec<i64>,
    total_tokens: Vec<i64>,
    cached_tokens: Vec<i64>,
    reasoning_tokens: Vec<i64>,
    cost_usd: Vec<String>,
    cache_hit: Vec<bool>,
    stream: Vec<bool>,
    trace_id: Vec<Option<String>>,
    request_tags: Vec<String>,
}

fn text(label: Option<&Label>) -> Option<String> {
    label.map(|l| l.as_str().to_owned())
}

fn signed(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

impl Columns {
    fn push(&mut self, event: &IncomingEvent) {
        let p = &event.payload;
        self.organization_id.push(event.organization.as_uuid());
        self.idempotency_key
            .push(p.idempotency_key.as_str().to_owned());
        self.occurred_at.push(p.occurred_at);
        self.customer_id
            .push(p.customer.as_ref().map(|c| c.as_str().to_owned()));
        self.api_key_hash.push(text(p.api_key_hash.as_ref()));
        self.api_key_alias.push(text(p.api_key_alias.as_ref()));
        self.user_id.push(text(p.user_id.as_ref()));
        self.team_id.push(text(p.team_id.as_ref()));
        self.org_id.push(text(p.org_id.as_ref()));
        self.model_group.push(text(p.model_group.as_ref()));
        self.provider_model.push(text(p.provider_model.as_ref()));
        self.provider.push(text(p.provider.as_ref()));
        self.call_type.push(text(p.call_type.as_ref()));
        self.status.push(p.status.as_str().to_owned());
        self.error_code.push(text(p.status.error_code()));
        self.prompt_tokens.push(signed(p.tokens.prompt));
        self.completion_tokens.push(signed(p.tokens.completion));
        self.total_tokens.push(signed(p.tokens.total));
        self.cached_tokens.push(signed(p.tokens.cached));
        self.reasoning_tokens.push(signed(p.tokens.reasoning));
        self.cost_usd.push(p.cost.amount().to_string());
        self.cache_hit.push(p.cache_hit);
        self.stream.push(p.stream);
        self.trace_id.push(text(p.trace_id.as_ref()));
        let tags: Vec<&str> = p.request_tags.iter().map(Label::as_str).collect();
        self.request_tags
            .push(serde_json::to_string(&tags).unwrap_or_else(|_| "[]".to_owned()));
    }
}

#[async_trait]
impl UsageEventStore for PgUsageEventStore {
    #[tracing::instrument(skip_all, fields(events = batch.events.len(), quarantined = batch.quarantined.len()))]
    async fn ingest(&self, batch: IngestBatch) -> Result<IngestReceipt, PortError> {
        // The first occurrence of a key in the batch is the one that may be new; later ones are
        // duplicates whatever the database holds. Inserting in key order keeps concurrent
        // batches from locking the same keys in opposite orders (a deadlock).
        let mut seen = HashSet::with_capacity(batch.events.len());
        let mut first_occurrences: Vec<usize> = (0..batch.events.len())
            .filter(|&i| {
                let e = &batch.events[i];
                seen.insert((e.organization, &e.payload.idempotency_key))
            })
            .collect();
        first_occurrences.sort_by(|&a, &b| {
            let (a, b) = (&batch.events[a], &batch.events[b]);
            (a.organization, &a.payload.idempotency_key)
                .cmp(&(b.organization, &b.payload.idempotency_key))
        });
        let mut columns = Columns::default();
        for &i in &first_occurrences {
            columns.push(&batch.events[i]);
        }

        let inserted = self.run(columns, &batch).await?;
        let mut inserted: HashSet<(Uuid, String)> = inserted
            .into_iter()
            .map(|row| (row.organization_id, row.idempotency_key))
            .collect();
        let newly_stored = batch
            .events
            .iter()
            .map(|e| {
                inserted.remove(&(
                    e.organization.as_uuid(),
                    e.payload.idempotency_key.as_str().to_owned(),
                ))
            })
            .collect();
        Ok(IngestReceipt { newly_stored })
    }
}

impl PgUsageEventStore {
    async fn run(&self, c: Columns, batch: &IngestBatch) -> Result<Vec<Inserted>, PortError> {
        let q = &batch.quarantined;
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        diesel::sql_query(INGEST)
            .bind::<Array<SqlUuid>, _>(c.organization_id)
            .bind::<Array<Text>, _>(c.idempotency_key)
            .bind::<Array<Timestamptz>, _>(c.occurred_at)
            .bind::<Array<Nullable<Text>>, _>(c.customer_id)
            .bind::<Array<Nullable<Text>>, _>(c.api_key_hash)
            .bind::<Array<Nullable<Text>>, _>(c.api_key_alias)
            .bind::<Array<Nullable<Text>>, _>(c.user_id)
            .bind::<Array<Nullable<Text>>, _>(c.team_id)
            .bind::<Array<Nullable<Text>>, _>(c.org_id)
            .bind::<Array<Nullable<Text>>, _>(c.model_group)
            .bind::<Array<Nullable<Text>>, _>(c.provider_model)
            .bind::<Array<Nullable<Text>>, _>(c.provider)
            .bind::<Array<Nullable<Text>>, _>(c.call_type)
            .bind::<Array<Text>, _>(c.status)
            .bind::<Array<Nullable<Text>>, _>(c.error_code)
            .bind::<Array<BigInt>, _>(c.prompt_tokens)
            .bind::<Array<BigInt>, _>(c.completion_tokens)
            .bind::<Array<BigInt>, _>(c.total_tokens)
            .bind::<Array<BigInt>, _>(c.cached_tokens)
            .bind::<Array<BigInt>, _>(c.reasoning_tokens)
            .bind::<Array<Text>, _>(c.cost_usd)
            .bind::<Array<Bool>, _>(c.cache_hit)
            .bind::<Array<Bool>, _>(c.stream)
            .bind::<Array<Nullable<Text>>, _>(c.trace_id)
            .bind::<Array<Text>, _>(c.request_tags)
            .bind::<Array<Text>, _>(self.targets.clone())
            .bind::<Array<SqlUuid>, _>(
                q.iter()
                    .map(|e| e.organization.as_uuid())
                    .collect::<Vec<_>>(),
            )
            .bind::<Array<Integer>, _>(
                q.iter()
                    .map(|e| i32::try_from(e.batch_index).unwrap_or(i32::MAX))
                    .collect::<Vec<_>>(),
            )
            .bind::<Array<Text>, _>(
                q.iter()
                    .map(|e| e.reason_code.as_str().to_owned())
                    .collect::<Vec<_>>(),
            )
            .bind::<Array<Text>, _>(q.iter().map(|e| e.reason.clone()).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(q.iter().map(|e| e.content.clone()).collect::<Vec<_>>())
            .bind::<Array<Bytea>, _>(q.iter().map(|e| e.fingerprint.to_vec()).collect::<Vec<_>>())
            .load::<Inserted>(&mut connection)
            .await
            .map_err(error::from_query)
    }
}
