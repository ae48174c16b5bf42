//! Export requests: queued with their audit record (one open per subject, by a partial unique
//! index), claimed by workers under a lease with `FOR UPDATE SKIP LOCKED` as the outbox is,
//! settled only under the claim that took them, and their content deleted once expired.

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{AuditEntry, ClaimedExport, ExportRecord, ExportRequested, ExportStore, NewExport},
};
use tollgate_domain::{
    access::Role,
    organization::OrganizationId,
    privacy::{
        consent::{Subject, SubjectKind},
        export::{ExportFormat, ExportStatus},
    },
};
use uuid::Uuid;

use super::{PgPool, audit::append_in, error, transaction};

const COLUMNS: &str = "id, organization_id, subject_kind, subject, member_role, member_customer,
    format, status, requested_by, requested_at, due_at, attempts, completed_at, expires_at,
    content_sha256, content_bytes";

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    organization_id: Uuid,
    #[diesel(sql_type = Text)]
    subject_kind: String,
    #[diesel(sql_type = Text)]
    subject: String,
    #[diesel(sql_type = Nullable<Text>)]
    member_role: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    member_customer: Option<String>,
    #[diesel(sql_type = Text)]
    format: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    requested_by: String,
    #[diesel(sql_type = Timestamptz)]
    requested_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    due_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    attempts: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    completed_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    expires_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Bytea>)]
    content_sha256: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<BigInt>)]
    content_bytes: Option<i64>,
}

#[derive(QueryableByName)]
struct Content {
    #[diesel(sql_type = Nullable<Bytea>)]
    content: Option<Vec<u8>>,
}

fn corrupt(what: &str, value: &str) -> PortError {
    PortError::Internal {
        service: "database",
        reason: format!("privacy_exports holds an unknown {what} {value:?}"),
    }
}

impl TryFrom<Row> for ExportRecord {
    type Error = PortError;

    fn try_from(row: Row) -> Result<Self, PortError> {
        let kind = SubjectKind::parse(&row.subject_kind)
            .ok_or_else(|| corrupt("subject kind", &row.subject_kind))?;
        Ok(Self {
            id: row.id,
            organization: OrganizationId::from_uuid(row.organization_id),
            subject: Subject {
                kind,
                id: row.subject,
            },
            format: ExportFormat::parse(&row.format)
                .ok_or_else(|| corrupt("format", &row.format))?,
            member_role: row
                .member_role
                .as_deref()
                .map(|role| Role::parse(role).map_err(|_| corrupt("role", role)))
                .transpose()?,
            member_customer: row.member_customer,
            status: ExportStatus::parse(&row.status)
                .ok_or_else(|| corrupt("status", &row.status))?,
            requested_by: row.requested_by,
            requested_at: row.requested_at,
            due_at: row.due_at,
            // Five attempts at most are ever made (MAX_ATTEMPTS); the column is bigint only
            // because new columns are (squawk's prefer-bigint-over-int).
            attempts: i32::try_from(row.attempts).unwrap_or(i32::MAX),
            completed_at: row.completed_at,
            expires_at: row.expires_at,
            content_sha256: row
                .content_sha256
                .map(|digest| digest.iter().map(|b| format!("{b:02x}")).collect()),
            content_bytes: row.content_bytes,
        })
    }
}

pub struct PgExportStore {
    pool: PgPool,
}

impl PgExportStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl ExportStore for PgExportStore {
    async fn request(
        &self,
        organization: OrganizationId,
        export: &NewExport,
        audit: &AuditEntry,
    ) -> Result<ExportRequested, PortError> {
        let (export, audit) = (export.clone(), audit.clone());
        let (rows, queued) = transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let inserted: Vec<Row> = diesel::sql_query(format!(
                    "INSERT INTO privacy_exports (id, organization_id, subject_kind, subject,
                         member_role, member_customer, format, requested_by, request_id, due_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                     ON CONFLICT (organization_id, subject_kind, subject)
                         WHERE status IN ('pending', 'running') DO NOTHING
                     RETURNING {COLUMNS}"
                ))
                .bind::<SqlUuid, _>(export.id)
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<Text, _>(export.subject.kind.as_str())
                .bind::<Text, _>(&export.subject.id)
                .bind::<Nullable<Text>, _>(export.member_role.map(|r| r.as_str()))
                .bind::<Nullable<Text>, _>(export.member_customer.as_deref())
                .bind::<Text, _>(export.format.as_str())
                .bind::<Text, _>(&audit.context.actor)
                .bind::<Nullable<Text>, _>(audit.context.request_id.as_deref())
                .bind::<Timestamptz, _>(export.due_at)
                .load(connection)
                .await?;
                if !inserted.is_empty() {
                    append_in(connection, organization, &audit).await?;
                    return Ok((inserted, true));
                }
                let open: Vec<Row> = diesel::sql_query(format!(
                    "SELECT {COLUMNS} FROM privacy_exports
                     WHERE organization_id = $1 AND subject_kind = $2 AND subject = $3
                       AND status IN ('pending', 'running')"
                ))
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<Text, _>(export.subject.kind.as_str())
                .bind::<Text, _>(&export.subject.id)
                .load(connection)
                .await?;
                Ok((open, false))
            })
        })
        .await?;
        let record = rows
            .into_iter()
            .next()
            .ok_or_else(|| PortError::Internal {
                service: "database",
                reason: "an export request clashed with an open one that is gone".to_owned(),
            })
            .and_then(ExportRecord::try_from)?;
        Ok(if queued {
            ExportRequested::Queued(record)
        } else {
            ExportRequested::AlreadyOpen(record)
        })
    }

    async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<ExportRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT {COLUMNS} FROM privacy_exports WHERE organization_id = $1 AND id = $2"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<SqlUuid, _>(id)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        rows.into_iter()
            .next()
            .map(ExportRecord::try_from)
            .transpose()
    }

    async fn of_subject(
        &self,
        organization: OrganizationId,
        subject: &Subject,
        limit: i64,
    ) -> Result<Vec<ExportRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT {COLUMNS} FROM privacy_exports
             WHERE organization_id = $1 AND subject_kind = $2 AND subject = $3
             ORDER BY requested_at DESC, id LIMIT $4"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Text, _>(subject.kind.as_str())
        .bind::<Text, _>(&subject.id)
        .bind::<BigInt, _>(limit)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        rows.into_iter().map(ExportRecord::try_from).collect()
    }

    async fn content(
        &self,
        organization: OrganizationId,
        id: Uuid,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<Option<Vec<u8>>, PortError> {
        let audit = audit.clone();
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let rows: Vec<Content> = diesel::sql_query(
                    "SELECT content FROM privacy_exports
                     WHERE organization_id = $1 AND id = $2 AND status = 'done'
                       AND expires_at > $3 AND content IS NOT NULL",
                )
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<SqlUuid, _>(id)
                .bind::<Timestamptz, _>(now)
                .load(connection)
                .await?;
                let Some(content) = rows.into_iter().next().and_then(|row| row.content) else {
                    return Ok(None);
                };
                append_in(connection, organization, &audit).await?;
                Ok(Some(content))
            })
        })
        .await
    }

    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: TimeDelta,
    ) -> Result<Option<ClaimedExport>, PortError> {
        let claim = Uuid::new_v4();
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(format!(
            "UPDATE privacy_exports SET status = 'running', claim = $1, locked_until = $3
             WHERE id = (
                 SELECT id FROM privacy_exports
                 WHERE status = 'pending'
                    OR (status = 'running' AND (locked_until IS NULL OR locked_until <= $2))
                 ORDER BY requested_at
                 LIMIT 1
                 FOR UPDATE SKIP LOCKED
             )
             RETURNING {COLUMNS}"
        ))
        .bind::<SqlUuid, _>(claim)
        .bind::<Timestamptz, _>(now)
        .bind::<Timestamptz, _>(now + lease)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        rows.into_iter()
            .next()
            .map(|row| {
                Ok(ClaimedExport {
                    record: ExportRecord::try_from(row)?,
                    claim,
                })
            })
            .transpose()
    }

    async fn complete(
        &self,
        claimed: &ClaimedExport,
        content: &[u8],
        sha256: [u8; 32],
        completed_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let length = i64::try_from(content.len()).unwrap_or(i64::MAX);
        let changed = diesel::sql_query(
            "UPDATE privacy_exports
             SET status = 'done', content = $3, content_sha256 = $4, content_bytes = $5,
                 completed_at = $6, expires_at = $7, attempts = attempts + 1,
                 claim = NULL, locked_until = NULL, last_error = NULL
             WHERE id = $1 AND claim = $2 AND status = 'running'",
        )
        .bind::<SqlUuid, _>(claimed.record.id)
        .bind::<SqlUuid, _>(claimed.claim)
        .bind::<Bytea, _>(content)
        .bind::<Bytea, _>(sha256.as_slice())
        .bind::<BigInt, _>(length)
        .bind::<Timestamptz, _>(completed_at)
        .bind::<Timestamptz, _>(expires_at)
        .execute(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(changed == 1)
    }

    async fn fail(
        &self,
        claimed: &ClaimedExport,
        reason: &str,
        give_up: bool,
    ) -> Result<(), PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        diesel::sql_query(
            "UPDATE privacy_exports
             SET status = CASE WHEN $3 THEN 'failed' ELSE 'pending' END,
                 attempts = attempts + 1, claim = NULL, locked_until = NULL, last_error = $4
             WHERE id = $1 AND claim = $2 AND status = 'running'",
        )
        .bind::<SqlUuid, _>(claimed.record.id)
        .bind::<SqlUuid, _>(claimed.claim)
        .bind::<diesel::sql_types::Bool, _>(give_up)
        .bind::<Text, _>(reason)
        .execute(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(())
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let purged = diesel::sql_query(
            "UPDATE privacy_exports SET content = NULL
             WHERE content IS NOT NULL AND expires_at <= $1",
        )
        .bind::<Timestamptz, _>(now)
        .execute(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(u64::try_from(purged).unwrap_or(0))
    }
}
