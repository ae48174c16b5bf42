//! Consent records: appended with their audit records in one transaction, never changed (the
//! table's triggers refuse UPDATE, DELETE and TRUNCATE).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{AuditEntry, ConsentRecord, ConsentStore, NewConsent},
};
use tollgate_domain::{
    organization::OrganizationId,
    privacy::consent::{ConsentDecision, ConsentMethod, ConsentPurpose, Standing, Subject},
};

use super::{PgPool, audit::append_in, error, transaction};

const COLUMNS: &str = "id, subject, purpose, decision, notice_version, notice_sha256, method,
    actor, recorded_at, request_id";

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    subject: String,
    #[diesel(sql_type = Text)]
    purpose: String,
    #[diesel(sql_type = Text)]
    decision: String,
    #[diesel(sql_type = Text)]
    notice_version: String,
    #[diesel(sql_type = Bytea)]
    notice_sha256: Vec<u8>,
    #[diesel(sql_type = Text)]
    method: String,
    #[diesel(sql_type = Text)]
    actor: String,
    #[diesel(sql_type = Timestamptz)]
    recorded_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    request_id: Option<String>,
}

fn corrupt(what: &str, value: &str) -> PortError {
    PortError::Internal {
        service: "database",
        reason: format!("consent_records holds an unknown {what} {value:?}"),
    }
}

impl TryFrom<Row> for ConsentRecord {
    type Error = PortError;

    fn try_from(row: Row) -> Result<Self, PortError> {
        Ok(Self {
            id: row.id,
            subject: Subject::parse(&row.subject)
                .ok_or_else(|| corrupt("subject", &row.subject))?,
            purpose: ConsentPurpose::parse(&row.purpose)
                .ok_or_else(|| corrupt("purpose", &row.purpose))?,
            decision: ConsentDecision::parse(&row.decision)
                .ok_or_else(|| corrupt("decision", &row.decision))?,
            notice_version: row.notice_version,
            notice_sha256: <[u8; 32]>::try_from(row.notice_sha256.as_slice())
                .map_err(|_| corrupt("notice digest", "not 32 bytes"))?,
            method: ConsentMethod::parse(&row.method)
                .ok_or_else(|| corrupt("method", &row.method))?,
            actor: row.actor,
            recorded_at: row.recorded_at,
            request_id: row.request_id,
        })
    }
}

pub struct PgConsentStore {
    pool: PgPool,
}

impl PgConsentStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl ConsentStore for PgConsentStore {
    async fn append(
        &self,
        organization: OrganizationId,
        consents: &[(NewConsent, AuditEntry)],
    ) -> Result<Vec<ConsentRecord>, PortError> {
        let consents = consents.to_vec();
        let rows = transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let mut rows = Vec::with_capacity(consents.len());
                for (consent, audit) in &consents {
                    let mut inserted: Vec<Row> = diesel::sql_query(format!(
                        "INSERT INTO consent_records (organization_id, subject, purpose,
                             decision, notice_version, notice_sha256, method, actor, request_id)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                         RETURNING {COLUMNS}"
                    ))
                    .bind::<SqlUuid, _>(organization.as_uuid())
                    .bind::<Text, _>(consent.subject.to_string())
                    .bind::<Text, _>(consent.purpose.as_str())
                    .bind::<Text, _>(consent.decision.as_str())
                    .bind::<Text, _>(&consent.notice_version)
                    .bind::<Bytea, _>(consent.notice_sha256.as_slice())
                    .bind::<Text, _>(consent.method.as_str())
                    .bind::<Text, _>(&audit.context.actor)
                    .bind::<Nullable<Text>, _>(audit.context.request_id.as_deref())
                    .load(connection)
                    .await?;
                    append_in(connection, organization, audit).await?;
                    rows.append(&mut inserted);
                }
                Ok(rows)
            })
        })
        .await?;
        rows.into_iter().map(ConsentRecord::try_from).collect()
    }

    async fn history(
        &self,
        organization: OrganizationId,
        subject: &Subject,
        limit: i64,
    ) -> Result<Vec<ConsentRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT {COLUMNS} FROM consent_records
             WHERE organization_id = $1 AND subject = $2
             ORDER BY id DESC LIMIT $3"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Text, _>(subject.to_string())
        .bind::<BigInt, _>(limit)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        rows.into_iter().map(ConsentRecord::try_from).collect()
    }

    async fn standing(
        &self,
        organization: OrganizationId,
        subject: &Subject,
    ) -> Result<Standing, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT DISTINCT ON (purpose) {COLUMNS} FROM consent_records
             WHERE organization_id = $1 AND subject = $2
             ORDER BY purpose, id DESC"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Text, _>(subject.to_string())
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        let records = rows
            .into_iter()
            .map(ConsentRecord::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Standing {
            decisions: records
                .into_iter()
                .map(|r| (r.purpose, r.decision, r.notice_version))
                .collect(),
        })
    }
}
