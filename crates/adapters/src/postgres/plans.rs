//! Billing plans and their immutable versions, scoped by organization in every query, each
//! change written with its audit record.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::{
    PortError,
    ports::{AuditEntry, ChangeLock, PlanDraft, PlanRecord, PlanStore, PlanVersionRecord},
};
use tollgate_domain::{
    billing::{PlanCode, PlanVersionRef},
    organization::OrganizationId,
};
use uuid::Uuid;

use super::{
    PgPool, audit::append_in, change_lock, decode_plan, encode_definition, error, transaction,
};

/// A version's columns with its plan's code; `p` is `billing_plans`, `v` the version.
const VERSION_COLUMNS: &str = "p.code, v.plan_id, v.version, v.name, v.description, v.interval,
    v.currency, v.definition::text AS definition, v.created_at AS version_created_at";

#[derive(QueryableByName)]
struct VersionRow {
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = SqlUuid)]
    plan_id: Uuid,
    #[diesel(sql_type = Integer)]
    version: i32,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    description: Option<String>,
    #[diesel(sql_type = Text)]
    interval: String,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = Text)]
    definition: String,
    #[diesel(sql_type = Timestamptz)]
    version_created_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct PlanRow {
    #[diesel(sql_type = SqlUuid)]
    organization_id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    archived_at: Option<DateTime<Utc>>,
    #[diesel(embed)]
    current: VersionRow,
}

fn internal(reason: String) -> PortError {
    PortError::Internal {
        service: "postgres",
        reason,
    }
}

/// A stored version back into the domain; one the domain refuses is a broken invariant.
fn version_record(row: VersionRow) -> Result<PlanVersionRecord, PortError> {
    let broken = |reason: String| {
        internal(format!(
            "stored plan {} v{}: {reason}",
            row.plan_id, row.version
        ))
    };
    let definition: serde_json::Value =
        serde_json::from_str(&row.definition).map_err(|e| broken(e.to_string()))?;
    let plan = decode_plan(&row.code, &row.interval, &row.currency, &definition)
        .map_err(|e| broken(e.to_string()))?;
    Ok(PlanVersionRecord {
        plan_id: row.plan_id,
        version: u32::try_from(row.version).map_err(|e| broken(e.to_string()))?,
        draft: PlanDraft {
            plan,
            name: row.name,
            description: row.description,
        },
        created_at: row.version_created_at,
    })
}

fn plan_record(row: PlanRow) -> Result<PlanRecord, PortError> {
    let current = version_record(row.current)?;
    Ok(PlanRecord {
        id: current.plan_id,
        organization: OrganizationId::from_uuid(row.organization_id),
        current,
        created_at: row.created_at,
        updated_at: row.updated_at,
        archived_at: row.archived_at,
    })
}

/// Plans with their current version; callers add the `WHERE` after `p.organization_id = $1`.
fn select_plans(filter: &str) -> String {
    format!(
        "SELECT p.organization_id, p.created_at, p.updated_at, p.archived_at, {VERSION_COLUMNS}
         FROM billing_plans p
         JOIN billing_plan_versions v ON v.plan_id = p.id AND v.version = p.current_version
         WHERE p.organization_id = $1 {filter}"
    )
}

async fn insert_version(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    id: Uuid,
    version: i32,
    draft: &PlanDraft,
) -> Result<(), diesel::result::Error> {
    let plan = &draft.plan;
    diesel::sql_query(
        "INSERT INTO billing_plan_versions (plan_id, version, organization_id, name, description,
            interval, currency, definition)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Integer, _>(version)
    .bind::<SqlUuid, _>(organization.as_uuid())
    .bind::<Text, _>(&draft.name)
    .bind::<Nullable<Text>, _>(draft.description.as_deref())
    .bind::<Text, _>(plan.interval().as_str())
    .bind::<Text, _>(plan.currency().code())
    .bind::<Text, _>(encode_definition(plan).to_string())
    .execute(connection)
    .await?;
    Ok(())
}

pub struct PgPlanStore {
    pool: PgPool,
}

impl PgPlanStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    async fn one(
        &self,
        organization: OrganizationId,
        filter: &str,
        id: Option<Uuid>,
        code: Option<&str>,
    ) -> Result<Option<PlanRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<PlanRow> = diesel::sql_query(select_plans(filter))
            .bind::<SqlUuid, _>(organization.as_uuid())
            .bind::<Nullable<SqlUuid>, _>(id)
            .bind::<Nullable<Text>, _>(code)
            .load(&mut connection)
            .await
            .map_err(error::from_query)?;
        rows.into_iter().next().map(plan_record).transpose()
    }
}

#[async_trait]
impl PlanStore for PgPlanStore {
    async fn lock_code(
        &self,
        organization: OrganizationId,
        code: &PlanCode,
    ) -> Result<ChangeLock, PortError> {
        let key = format!("plan:{organization}:{}", code.as_str());
        change_lock::acquire(&self.pool, key).await
    }

    async fn create(
        &self,
        organization: OrganizationId,
        id: Uuid,
        draft: &PlanDraft,
        audit: &AuditEntry,
    ) -> Result<Option<PlanRecord>, PortError> {
        let (draft, audit) = (draft.clone(), audit.clone());
        let created = transaction(&self.pool, move |connection| {
            Box::pin(async move {
                // A taken code inserts nothing and returns no row: no version, no audit record.
                let inserted = diesel::sql_query(
                    "INSERT INTO billing_plans (id, organization_id, code, current_version)
                     VALUES ($1, $2, $3, 1)
                     ON CONFLICT (organization_id, code) DO NOTHING",
                )
                .bind::<SqlUuid, _>(id)
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<Text, _>(draft.plan.code().as_str())
                .execute(connection)
                .await?;
                if inserted == 0 {
                    return Ok(false);
                }
                insert_version(connection, organization, id, 1, &draft).await?;
                append_in(connection, organization, &audit).await?;
                Ok(true)
            })
        })
        .await?;
        if !created {
            return Ok(None);
        }
        self.get(organization, id).await
    }

    async fn add_version(
        &self,
        organization: OrganizationId,
        id: Uuid,
        version: u32,
        draft: &PlanDraft,
        audit: &AuditEntry,
    ) -> Result<Option<PlanRecord>, PortError> {
        let version = i32::try_from(version).map_err(|e| internal(e.to_string()))?;
        let (draft, audit) = (draft.clone(), audit.clone());
        let added = transaction(&self.pool, move |connection| {
            Box::pin(async move {
                // Only from the version the caller read: two updates made from the same one
                // cannot both become current.
                let moved = diesel::sql_query(
                    "UPDATE billing_plans SET current_version = $3, updated_at = now()
                     WHERE organization_id = $1 AND id = $2 AND current_version = $3 - 1",
                )
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<SqlUuid, _>(id)
                .bind::<Integer, _>(version)
                .execute(connection)
                .await?;
                if moved == 0 {
                    return Ok(false);
                }
                insert_version(connection, organization, id, version, &draft).await?;
                append_in(connection, organization, &audit).await?;
                Ok(true)
            })
        })
        .await?;
        if !added {
            return Ok(None);
        }
        self.get(organization, id).await
    }

    async fn archive(
        &self,
        organization: OrganizationId,
        id: Uuid,
        audit: &AuditEntry,
    ) -> Result<Option<PlanRecord>, PortError> {
        let audit = audit.clone();
        let archived = transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let found = diesel::sql_query(
                    "UPDATE billing_plans
                     SET archived_at = coalesce(archived_at, now()), updated_at = now()
                     WHERE organization_id = $1 AND id = $2",
                )
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<SqlUuid, _>(id)
                .execute(connection)
                .await?;
                if found == 0 {
                    return Ok(false);
                }
                append_in(connection, organization, &audit).await?;
                Ok(true)
            })
        })
        .await?;
        if !archived {
            return Ok(None);
        }
        self.get(organization, id).await
    }

    async fn get(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Option<PlanRecord>, PortError> {
        self.one(
            organization,
            "AND p.id = $2 AND $3::text IS NULL",
            Some(id),
            None,
        )
        .await
    }

    async fn get_by_code(
        &self,
        organization: OrganizationId,
        code: &PlanCode,
    ) -> Result<Option<PlanRecord>, PortError> {
        self.one(
            organization,
            "AND $2::uuid IS NULL AND p.code = $3",
            None,
            Some(code.as_str()),
        )
        .await
    }

    async fn version(
        &self,
        organization: OrganizationId,
        version: PlanVersionRef,
    ) -> Result<Option<PlanVersionRecord>, PortError> {
        let number = i32::try_from(version.version).map_err(|e| internal(e.to_string()))?;
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<VersionRow> = diesel::sql_query(format!(
            "SELECT {VERSION_COLUMNS}
             FROM billing_plan_versions v JOIN billing_plans p ON p.id = v.plan_id
             WHERE v.organization_id = $1 AND v.plan_id = $2 AND v.version = $3"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<SqlUuid, _>(version.plan_id)
        .bind::<Integer, _>(number)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        rows.into_iter().next().map(version_record).transpose()
    }

    async fn versions(
        &self,
        organization: OrganizationId,
        id: Uuid,
    ) -> Result<Vec<PlanVersionRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<VersionRow> = diesel::sql_query(format!(
            "SELECT {VERSION_COLUMNS}
             FROM billing_plan_versions v JOIN billing_plans p ON p.id = v.plan_id
             WHERE v.organization_id = $1 AND v.plan_id = $2
             ORDER BY v.version"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<SqlUuid, _>(id)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        rows.into_iter().map(version_record).collect()
    }

    async fn version_page(
        &self,
        organization: OrganizationId,
        id: Uuid,
        after: Option<u32>,
        limit: i64,
    ) -> Result<Vec<PlanVersionRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<VersionRow> = diesel::sql_query(format!(
            "SELECT {VERSION_COLUMNS}
             FROM billing_plan_versions v JOIN billing_plans p ON p.id = v.plan_id
             WHERE v.organization_id = $1 AND v.plan_id = $2
               AND ($3::integer IS NULL OR v.version > $3)
             ORDER BY v.version LIMIT $4"
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<SqlUuid, _>(id)
        // A version past `i32::MAX` cannot be stored: nothing comes after it.
        .bind::<Nullable<Integer>, _>(after.map(|v| i32::try_from(v).unwrap_or(i32::MAX)))
        .bind::<BigInt, _>(limit)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        rows.into_iter().map(version_record).collect()
    }

    async fn list(
        &self,
        organization: OrganizationId,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<PlanRecord>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<PlanRow> = diesel::sql_query(select_plans(
            "AND ($2::uuid IS NULL OR p.id > $2) ORDER BY p.id LIMIT $3",
        ))
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Nullable<SqlUuid>, _>(after)
        .bind::<BigInt, _>(limit)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        rows.into_iter().map(plan_record).collect()
    }
}
