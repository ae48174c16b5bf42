//! Members' roles kept in PostgreSQL, and the embedded permission checker built on them (used
//! when Ory Keto is not configured).

use async_trait::async_trait;
use diesel::{
    QueryableByName,
    sql_types::{Nullable, Text, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{
    PortError,
    ports::{
        AuditEntry, AuthError, Member, MemberOutcome, MemberWrite, Membership, MembershipStore,
        PermissionChecker, RelationCheck,
    },
    services::access::{CUSTOMERS_NAMESPACE, ORGANIZATIONS_NAMESPACE},
};
use tollgate_domain::{access::Role, organization::OrganizationId};
use uuid::Uuid;

use super::{PgPool, audit::append_in, error, transaction};

mod team;

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Nullable<Text>)]
    customer_id: Option<String>,
}

#[derive(Clone)]
pub struct PgMemberships {
    pool: PgPool,
}

impl PgMemberships {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl MembershipStore for PgMemberships {
    async fn membership(
        &self,
        organization: OrganizationId,
        subject: &str,
    ) -> Result<Option<Membership>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT role, customer_id FROM memberships WHERE organization_id = $1 AND subject = $2",
        )
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Text, _>(subject)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(rows.into_iter().next().and_then(|row| {
            Some(Membership {
                role: Role::parse(&row.role).ok()?,
                customer: row.customer_id,
            })
        }))
    }

    async fn grant(
        &self,
        organization: OrganizationId,
        subject: &str,
        membership: &Membership,
        audit: &AuditEntry,
    ) -> Result<(), PortError> {
        let (subject, membership, audit) = (subject.to_owned(), membership.clone(), audit.clone());
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                diesel::sql_query(
                    "INSERT INTO memberships (organization_id, subject, role, customer_id)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (organization_id, subject)
                     DO UPDATE SET role = EXCLUDED.role, customer_id = EXCLUDED.customer_id",
                )
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<Text, _>(&subject)
                .bind::<Text, _>(membership.role.as_str())
                .bind::<Nullable<Text>, _>(membership.customer.as_deref())
                .execute(connection)
                .await?;
                append_in(connection, organization, &audit).await
            })
        })
        .await
    }

    async fn members(
        &self,
        organization: OrganizationId,
        after: Option<String>,
        limit: i64,
    ) -> Result<Vec<Member>, PortError> {
        self.list(organization, after, limit).await
    }

    async fn write(
        &self,
        organization: OrganizationId,
        subject: &str,
        write: &MemberWrite,
        actor_is_owner: bool,
        audit: &AuditEntry,
    ) -> Result<MemberOutcome, PortError> {
        self.apply(organization, subject, write, actor_is_owner, audit)
            .await
    }
}

/// Answers Keto-style questions about `organizations:<id>#<role>@<subject>` from the
/// memberships table. Anything else is not allowed.
#[async_trait]
impl PermissionChecker for PgMemberships {
    async fn check(&self, question: &RelationCheck) -> Result<bool, AuthError> {
        // `organizations:<org>#<role>` or `customers:<org>/<customer>#member`.
        let (organization, customer) = match question.namespace.as_str() {
            ORGANIZATIONS_NAMESPACE => (question.object.as_str(), None),
            CUSTOMERS_NAMESPACE if question.relation == "member" => {
                match question.object.split_once('/') {
                    Some((organization, customer)) => (organization, Some(customer)),
                    None => return Ok(false),
                }
            }
            _ => return Ok(false),
        };
        let Ok(organization) = Uuid::parse_str(organization) else {
            return Ok(false);
        };
        let membership = self
            .membership(OrganizationId::from_uuid(organization), &question.subject)
            .await
            .map_err(AuthError::Upstream)?;
        Ok(membership.is_some_and(|m| match customer {
            Some(customer) => m.role == Role::Customer && m.customer.as_deref() == Some(customer),
            None => m.role.as_str() == question.relation,
        }))
    }
}
