//! The dashboard's sessions and one-time sign-in links, by the SHA-256 of their secrets.
//!
//! Resuming a session is one `UPDATE ... RETURNING`: the liveness rules (not revoked, not
//! idle, not too old) are in its `WHERE`, so a session that just expired cannot be revived by
//! a request racing its end. Redeeming a link is the same: one update that only an unused,
//! unexpired link passes, so of two redemptions one wins.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{AuditEntry, SessionHolder, SignInMethod, WebSessionRecord, WebSessionStore},
};
use tollgate_domain::{access::Role, organization::OrganizationId};
use uuid::Uuid;

use super::{PgPool, audit::append_in, error, transaction};

pub struct PgWebSessions {
    pool: PgPool,
}

impl PgWebSessions {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[derive(QueryableByName)]
struct HolderRow {
    #[diesel(sql_type = SqlUuid)]
    organization_id: Uuid,
    #[diesel(sql_type = Text)]
    subject: String,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Nullable<Text>)]
    customer_id: Option<String>,
}

#[derive(QueryableByName)]
struct SessionRow {
    #[diesel(embed)]
    holder: HolderRow,
    #[diesel(sql_type = Text)]
    method: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    last_seen_at: DateTime<Utc>,
}

fn corrupt(what: &str) -> PortError {
    PortError::Internal {
        service: "postgres",
        reason: format!("a stored web session has an unknown {what}"),
    }
}

impl HolderRow {
    fn into_holder(self) -> Result<SessionHolder, PortError> {
        Ok(SessionHolder {
            organization: OrganizationId::from_uuid(self.organization_id),
            subject: self.subject,
            role: Role::parse(&self.role).map_err(|_| corrupt("role"))?,
            customer: self.customer_id,
        })
    }
}

#[async_trait]
impl WebSessionStore for PgWebSessions {
    async fn insert(
        &self,
        digest: &[u8; 32],
        holder: &SessionHolder,
        method: SignInMethod,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), PortError> {
        let (digest, holder, audit) = (*digest, holder.clone(), audit.clone());
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                diesel::sql_query(
                    "INSERT INTO web_sessions (id_digest, organization_id, subject, role,
                        customer_id, method, created_at, last_seen_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
                )
                .bind::<Bytea, _>(digest.as_slice())
                .bind::<SqlUuid, _>(holder.organization.as_uuid())
                .bind::<Text, _>(&holder.subject)
                .bind::<Text, _>(holder.role.as_str())
                .bind::<Nullable<Text>, _>(holder.customer.as_deref())
                .bind::<Text, _>(method.as_str())
                .bind::<Timestamptz, _>(now)
                .execute(connection)
                .await?;
                append_in(connection, holder.organization, &audit).await
            })
        })
        .await
    }

    async fn touch(
        &self,
        digest: &[u8; 32],
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
        begun_after: DateTime<Utc>,
    ) -> Result<Option<WebSessionRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<SessionRow> = diesel::sql_query(
            "UPDATE web_sessions SET last_seen_at = $2
             WHERE id_digest = $1 AND revoked_at IS NULL
               AND last_seen_at > $3 AND created_at > $4
             RETURNING organization_id, subject, role, customer_id, method, created_at,
                last_seen_at",
        )
        .bind::<Bytea, _>(digest.as_slice())
        .bind::<Timestamptz, _>(now)
        .bind::<Timestamptz, _>(idle_since)
        .bind::<Timestamptz, _>(begun_after)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        rows.into_iter()
            .next()
            .map(|row| {
                Ok(WebSessionRecord {
                    method: SignInMethod::parse(&row.method).ok_or_else(|| corrupt("method"))?,
                    created_at: row.created_at,
                    last_seen_at: row.last_seen_at,
                    holder: row.holder.into_holder()?,
                })
            })
            .transpose()
    }

    async fn revoke(
        &self,
        digest: &[u8; 32],
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<bool, PortError> {
        let (digest, audit) = (*digest, audit.clone());
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let rows: Vec<HolderRow> = diesel::sql_query(
                    "UPDATE web_sessions SET revoked_at = $2
                     WHERE id_digest = $1 AND revoked_at IS NULL
                     RETURNING organization_id, subject, role, customer_id",
                )
                .bind::<Bytea, _>(digest.as_slice())
                .bind::<Timestamptz, _>(now)
                .load(connection)
                .await?;
                let Some(row) = rows.into_iter().next() else {
                    return Ok(false);
                };
                let organization = OrganizationId::from_uuid(row.organization_id);
                append_in(connection, organization, &audit).await?;
                Ok(true)
            })
        })
        .await
    }

    async fn insert_link(
        &self,
        digest: &[u8; 32],
        holder: &SessionHolder,
        expires_at: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), PortError> {
        let (digest, holder, audit) = (*digest, holder.clone(), audit.clone());
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                diesel::sql_query(
                    "INSERT INTO web_login_links (secret_digest, organization_id, subject, role,
                        customer_id, expires_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind::<Bytea, _>(digest.as_slice())
                .bind::<SqlUuid, _>(holder.organization.as_uuid())
                .bind::<Text, _>(&holder.subject)
                .bind::<Text, _>(holder.role.as_str())
                .bind::<Nullable<Text>, _>(holder.customer.as_deref())
                .bind::<Timestamptz, _>(expires_at)
                .execute(connection)
                .await?;
                append_in(connection, holder.organization, &audit).await
            })
        })
        .await
    }

    async fn redeem_link(
        &self,
        digest: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<SessionHolder>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<HolderRow> = diesel::sql_query(
            "UPDATE web_login_links SET used_at = $2
             WHERE secret_digest = $1 AND used_at IS NULL AND expires_at > $2
             RETURNING organization_id, subject, role, customer_id",
        )
        .bind::<Bytea, _>(digest.as_slice())
        .bind::<Timestamptz, _>(now)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        rows.into_iter()
            .next()
            .map(HolderRow::into_holder)
            .transpose()
    }
}
