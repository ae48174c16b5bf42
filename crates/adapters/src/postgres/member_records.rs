//! What Tollgate's own tables hold about a member, read for their export: sessions (never the
//! digest), the API keys they created (never the digest), the audit records where they act.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{ApiKeyRecord, AuditView, MemberRecords, SessionSummary, SignInMethod},
};
use tollgate_domain::{access::Role, organization::OrganizationId};

use super::{PgPool, api_keys, error};

pub struct PgMemberRecords {
    pool: PgPool,
}

impl PgMemberRecords {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[derive(QueryableByName)]
struct SessionRow {
    #[diesel(sql_type = Text)]
    method: String,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    last_seen_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    revoked_at: Option<DateTime<Utc>>,
}

#[derive(QueryableByName)]
struct AuditRow {
    #[diesel(sql_type = BigInt)]
    sequence: i64,
    #[diesel(sql_type = Timestamptz)]
    occurred_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    actor: String,
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = Nullable<Text>)]
    target: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    request_id: Option<String>,
    #[diesel(sql_type = Text)]
    result: String,
}

fn corrupt(what: &str, value: &str) -> PortError {
    PortError::Internal {
        service: "database",
        reason: format!("web_sessions holds an unknown {what} {value:?}"),
    }
}

#[async_trait]
impl MemberRecords for PgMemberRecords {
    async fn sessions(
        &self,
        organization: OrganizationId,
        subject: &str,
    ) -> Result<Vec<SessionSummary>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<SessionRow> = diesel::sql_query(
            "SELECT method, role, created_at, last_seen_at, revoked_at FROM web_sessions
             WHERE organization_id = $1 AND subject = $2 ORDER BY created_at",
        )
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Text, _>(subject)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        rows.into_iter()
            .map(|row| {
                Ok(SessionSummary {
                    method: SignInMethod::parse(&row.method)
                        .ok_or_else(|| corrupt("method", &row.method))?,
                    role: Role::parse(&row.role).map_err(|_| corrupt("role", &row.role))?,
                    created_at: row.created_at,
                    last_seen_at: row.last_seen_at,
                    revoked_at: row.revoked_at,
                })
            })
            .collect()
    }

    async fn api_keys_created_by(
        &self,
        organization: OrganizationId,
        actor: &str,
    ) -> Result<Vec<ApiKeyRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<api_keys::Row> = diesel::sql_query(format!(
            "SELECT {} FROM api_keys WHERE organization_id = $1 AND created_by = $2
             ORDER BY created_at, id",
            api_keys::COLUMNS
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Text, _>(actor)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn audit_by_actor(
        &self,
        organization: OrganizationId,
        actor: &str,
    ) -> Result<Vec<AuditView>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<AuditRow> = diesel::sql_query(
            "SELECT sequence, occurred_at, actor, action, target, request_id, result
             FROM audit_log WHERE organization_id = $1 AND actor = $2 ORDER BY sequence",
        )
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Text, _>(actor)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(rows
            .into_iter()
            .map(|row| AuditView {
                sequence: row.sequence,
                occurred_at: row.occurred_at,
                actor: row.actor,
                action: row.action,
                target: row.target,
                request_id: row.request_id,
                result: row.result,
            })
            .collect())
    }
}
