//! Listing and changing members for the team settings. A change locks the organization's
//! owners' rows first, so two changes at once cannot both remove "another" owner and leave
//! none: the second sees the first's result.

use diesel::{
    QueryableByName,
    sql_types::{BigInt, Nullable, Text, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tollgate_application::{
    PortError,
    ports::{AuditEntry, Member, MemberOutcome, MemberWrite, Membership},
};
use tollgate_domain::{access::Role, organization::OrganizationId};

use super::{PgMemberships, Row};
use crate::postgres::{audit::append_in, error, transaction};

#[derive(QueryableByName)]
struct MemberRow {
    #[diesel(sql_type = Text)]
    subject: String,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Nullable<Text>)]
    customer_id: Option<String>,
}

/// An owner's row, read to lock it (its subject is not needed: the count is).
#[derive(QueryableByName)]
struct Owner {
    #[diesel(sql_type = Text)]
    #[allow(
        dead_code,
        reason = "selected to lock the row; only the rows are counted"
    )]
    subject: String,
}

fn membership(role: &str, customer: Option<String>) -> Option<Membership> {
    Some(Membership {
        role: Role::parse(role).ok()?,
        customer,
    })
}

impl PgMemberships {
    pub(super) async fn list(
        &self,
        organization: OrganizationId,
        after: Option<String>,
        limit: i64,
    ) -> Result<Vec<Member>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<MemberRow> = diesel::sql_query(
            "SELECT subject, role, customer_id FROM memberships
             WHERE organization_id = $1 AND ($2::text IS NULL OR subject > $2)
             ORDER BY subject LIMIT $3",
        )
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Nullable<Text>, _>(after)
        .bind::<BigInt, _>(limit)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                Some(Member {
                    membership: membership(&row.role, row.customer_id)?,
                    subject: row.subject,
                })
            })
            .collect())
    }

    pub(super) async fn apply(
        &self,
        organization: OrganizationId,
        subject: &str,
        write: &MemberWrite,
        actor_is_owner: bool,
        audit: &AuditEntry,
    ) -> Result<MemberOutcome, PortError> {
        let (subject, write, audit) = (subject.to_owned(), write.clone(), audit.clone());
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                let owners: Vec<Owner> = diesel::sql_query(
                    "SELECT subject FROM memberships
                     WHERE organization_id = $1 AND role = 'owner'
                     ORDER BY subject FOR UPDATE",
                )
                .bind::<SqlUuid, _>(organization.as_uuid())
                .load(&mut *connection)
                .await?;
                let current: Vec<Row> = diesel::sql_query(
                    "SELECT role, customer_id FROM memberships
                     WHERE organization_id = $1 AND subject = $2 FOR UPDATE",
                )
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<Text, _>(&subject)
                .load(&mut *connection)
                .await?;
                let current = current
                    .into_iter()
                    .next()
                    .and_then(|row| membership(&row.role, row.customer_id));
                let was_owner = current.as_ref().is_some_and(|m| m.role == Role::Owner);
                let (wanted, outcome) = match (&write, current) {
                    (MemberWrite::Add(_), Some(current)) => {
                        return Ok(MemberOutcome::Exists(current));
                    }
                    (MemberWrite::Update(_) | MemberWrite::Remove, None) => {
                        return Ok(MemberOutcome::NotMember);
                    }
                    (MemberWrite::Add(wanted), None) => (Some(wanted), None),
                    (MemberWrite::Update(wanted), Some(current)) => (Some(wanted), Some(current)),
                    (MemberWrite::Remove, Some(current)) => (None, Some(current)),
                };
                let owner_after = wanted.is_some_and(|m| m.role == Role::Owner);
                if (owner_after || was_owner) && !actor_is_owner {
                    return Ok(MemberOutcome::OwnerOnly);
                }
                if was_owner && !owner_after && owners.len() <= 1 {
                    return Ok(MemberOutcome::LastOwner);
                }
                write_member(connection, organization, &subject, wanted).await?;
                append_in(connection, organization, &audit).await?;
                Ok(MemberOutcome::Done { previous: outcome })
            })
        })
        .await
    }
}

/// Sets (`Some`) or deletes (`None`) the member row.
async fn write_member(
    connection: &mut AsyncPgConnection,
    organization: OrganizationId,
    subject: &str,
    wanted: Option<&Membership>,
) -> Result<(), diesel::result::Error> {
    match wanted {
        Some(membership) => {
            diesel::sql_query(
                "INSERT INTO memberships (organization_id, subject, role, customer_id)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (organization_id, subject)
                 DO UPDATE SET role = EXCLUDED.role, customer_id = EXCLUDED.customer_id",
            )
            .bind::<SqlUuid, _>(organization.as_uuid())
            .bind::<Text, _>(subject)
            .bind::<Text, _>(membership.role.as_str())
            .bind::<Nullable<Text>, _>(membership.customer.as_deref())
            .execute(connection)
            .await?;
        }
        None => {
            diesel::sql_query(
                "DELETE FROM memberships WHERE organization_id = $1 AND subject = $2",
            )
            .bind::<SqlUuid, _>(organization.as_uuid())
            .bind::<Text, _>(subject)
            .execute(connection)
            .await?;
        }
    }
    Ok(())
}
