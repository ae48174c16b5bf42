//! Portal links, kept as SHA-256 digests of their tokens; redeemed once, by one statement.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{AuditContext, AuditEntry, NewPortalLink, PortalLinkStore, RedeemedPortalLink},
};
use tollgate_domain::{organization::OrganizationId, webhook_secret::SecretDigest};
use uuid::Uuid;

use super::{PgPool, audit::append_in, error, transaction};

#[derive(QueryableByName)]
struct Redeemed {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    organization_id: Uuid,
    #[diesel(sql_type = Text)]
    customer: String,
    #[diesel(sql_type = Nullable<Text>)]
    return_url: Option<String>,
}

#[derive(QueryableByName)]
struct ReturnUrl {
    #[diesel(sql_type = Nullable<Text>)]
    return_url: Option<String>,
}

pub struct PgPortalLinkStore {
    pool: PgPool,
}

impl PgPortalLinkStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl PortalLinkStore for PgPortalLinkStore {
    async fn create(
        &self,
        organization: OrganizationId,
        link: &NewPortalLink,
        audit: &AuditEntry,
    ) -> Result<bool, PortError> {
        let (link, audit) = (link.clone(), audit.clone());
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                // Only for a customer of this organization: another's id inserts nothing.
                let inserted = diesel::sql_query(
                    "INSERT INTO portal_links (id, organization_id, customer_id, token_sha256,
                         return_url, created_by, expires_at)
                     SELECT $1, c.organization_id, c.id, $3, $4, $5, $6
                     FROM billing_customers c WHERE c.organization_id = $2 AND c.id = $7",
                )
                .bind::<SqlUuid, _>(link.id)
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<Bytea, _>(link.digest.as_bytes().as_slice())
                .bind::<Nullable<Text>, _>(link.return_url.as_deref())
                .bind::<Text, _>(&audit.context.actor)
                .bind::<Timestamptz, _>(link.expires_at)
                .bind::<SqlUuid, _>(link.customer)
                .execute(connection)
                .await?;
                if inserted == 0 {
                    return Ok(false);
                }
                append_in(connection, organization, &audit).await?;
                Ok(true)
            })
        })
        .await
    }

    async fn redeem(
        &self,
        digest: &SecretDigest,
        now: DateTime<Utc>,
        context: &AuditContext,
    ) -> Result<Option<RedeemedPortalLink>, PortError> {
        let (digest, context) = (*digest.as_bytes(), context.clone());
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                // One statement claims it: of two redemptions at once, one finds it unset.
                let rows: Vec<Redeemed> = diesel::sql_query(
                    "UPDATE portal_links l SET redeemed_at = $2
                     FROM billing_customers c
                     WHERE l.token_sha256 = $1 AND l.redeemed_at IS NULL AND l.expires_at > $2
                       AND c.organization_id = l.organization_id AND c.id = l.customer_id
                     RETURNING l.id, l.organization_id, c.external_id AS customer, l.return_url",
                )
                .bind::<Bytea, _>(digest.as_slice())
                .bind::<Timestamptz, _>(now)
                .load(connection)
                .await?;
                let Some(row) = rows.into_iter().next() else {
                    return Ok(None);
                };
                let organization = OrganizationId::from_uuid(row.organization_id);
                let entry = AuditEntry::success(
                    &AuditContext {
                        actor: format!("portal_link:{}", row.id),
                        ..context
                    },
                    "portal_link.redeem",
                    Some(format!("customer:{}", row.customer)),
                );
                append_in(connection, organization, &entry).await?;
                Ok(Some(RedeemedPortalLink {
                    id: row.id,
                    organization,
                    customer: row.customer,
                    return_url: row.return_url,
                }))
            })
        })
        .await
    }

    async fn return_url(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<String>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<ReturnUrl> = diesel::sql_query(
            "SELECT return_url FROM portal_links WHERE organization_id = $1 AND id = $2",
        )
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<SqlUuid, _>(id)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(rows.into_iter().next().and_then(|row| row.return_url))
    }
}
