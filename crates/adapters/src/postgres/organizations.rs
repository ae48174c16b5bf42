//! Organizations, as far as start-up needs them: make sure one exists and learn its id.

use async_trait::async_trait;
use diesel::{
    QueryableByName,
    sql_types::{Text, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{OrganizationDirectory, OrganizationRecord},
};
use tollgate_domain::organization::{OrganizationId, OrganizationSlug};
use uuid::Uuid;

use super::{PgPool, error};

pub struct PgOrganizations {
    pool: PgPool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOrganization {
    pub id: OrganizationId,
    pub created_now: bool,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    created_now: bool,
}

impl PgOrganizations {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The organization with this slug, created with `name` when there is none yet. Safe when
    /// several processes ask at once.
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached or refuses the row.
    pub async fn ensure(
        &self,
        slug: &OrganizationSlug,
        name: &str,
    ) -> Result<StoredOrganization, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        // The no-op update makes RETURNING yield the existing row too; xmax = 0 only for a row
        // this statement inserted.
        let row: Row = diesel::sql_query(
            "INSERT INTO organizations (id, slug, name) VALUES ($1, $2, $3)
             ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug
             RETURNING id, (xmax = 0) AS created_now",
        )
        .bind::<SqlUuid, _>(OrganizationId::new().as_uuid())
        .bind::<Text, _>(slug.as_str())
        .bind::<Text, _>(name)
        .get_result(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(StoredOrganization {
            id: OrganizationId::from_uuid(row.id),
            created_now: row.created_now,
        })
    }
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

impl PgOrganizations {
    /// Every organization's id (for whole-installation jobs such as audit verification).
    ///
    /// # Errors
    /// `PortError` when the database cannot be reached.
    pub async fn all(&self) -> Result<Vec<OrganizationId>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Found> =
            diesel::sql_query("SELECT id FROM organizations ORDER BY created_at")
                .load(&mut connection)
                .await
                .map_err(error::from_query)?;
        Ok(rows
            .into_iter()
            .map(|row| OrganizationId::from_uuid(row.id))
            .collect())
    }
}

#[derive(QueryableByName)]
struct Named {
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    display_name: Option<String>,
}

#[async_trait]
impl OrganizationDirectory for PgOrganizations {
    async fn record(
        &self,
        organization: OrganizationId,
    ) -> Result<Option<OrganizationRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Named> = diesel::sql_query(
            "SELECT o.slug, o.name, s.display_name
             FROM organizations o
             LEFT JOIN organization_settings s ON s.organization_id = o.id
             WHERE o.id = $1",
        )
        .bind::<SqlUuid, _>(organization.as_uuid())
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(rows.into_iter().next().map(|row| OrganizationRecord {
            slug: row.slug,
            name: row.name,
            display_name: row.display_name,
        }))
    }

    async fn resolve(&self, id_or_slug: &str) -> Result<Option<OrganizationId>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let by_id = Uuid::parse_str(id_or_slug).ok();
        let rows: Vec<Found> =
            diesel::sql_query("SELECT id FROM organizations WHERE id = $1 OR slug = $2 LIMIT 1")
                .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(by_id)
                .bind::<Text, _>(id_or_slug)
                .load(&mut connection)
                .await
                .map_err(error::from_query)?;
        Ok(rows
            .into_iter()
            .next()
            .map(|row| OrganizationId::from_uuid(row.id)))
    }
}
