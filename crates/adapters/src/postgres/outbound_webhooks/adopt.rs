//! The organization settings' `webhook_urls` became endpoints. Nothing ever posted to those
//! URLs; each becomes an endpoint (every event type) with its own random secret, sealed like
//! any other, and the field is emptied. This runs at start, not in the migration: the secret
//! must be random per endpoint and sealed under the installation key, which SQL does not
//! hold (and pgcrypto is not installed everywhere). The operator reads each secret with
//! `GET /api/settings/webhooks/{id}/secret`.

use diesel::{
    QueryableByName,
    sql_types::{Bytea, Text, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use secrecy::ExposeSecret;
use std::sync::Arc;
use tollgate_application::{
    PortError,
    ports::{AuditContext, AuditEntry},
};
use tollgate_domain::organization::OrganizationId;
use uuid::Uuid;

use super::{
    super::{PgPool, audit::append_in, transaction},
    sealing::SecretSealer,
    sealing_failed,
};
use crate::signing::standard_webhooks::EndpointSecret;

#[derive(QueryableByName)]
struct Listed {
    #[diesel(sql_type = SqlUuid)]
    organization_id: Uuid,
    #[diesel(sql_type = Text)]
    urls: String,
}

/// Makes an endpoint of every URL left in `organization_settings.webhook_urls`; answers how
/// many. Replicas starting at once serialize on the rows' locks; the later ones find the
/// field empty.
///
/// # Errors
/// `PortError` when the database cannot be reached.
pub async fn adopt_settings_urls(
    pool: &PgPool,
    sealer: Arc<SecretSealer>,
) -> Result<u64, PortError> {
    transaction(pool, move |connection| {
        Box::pin(async move {
            let listed: Vec<Listed> = diesel::sql_query(
                "SELECT organization_id, webhook_urls::text AS urls FROM organization_settings
                 WHERE webhook_urls <> '[]'::jsonb FOR UPDATE",
            )
            .load(connection)
            .await?;
            let system = AuditContext {
                actor: "system".to_owned(),
                ..AuditContext::default()
            };
            let mut made = 0;
            for row in listed {
                let organization = OrganizationId::from_uuid(row.organization_id);
                // Stored by the settings API, always a JSON array of strings.
                let urls: Vec<String> = serde_json::from_str(&row.urls).unwrap_or_default();
                for url in urls {
                    let id = Uuid::now_v7();
                    let secret = EndpointSecret::generate().reveal();
                    let sealed = sealer
                        .seal(id, secret.expose_secret())
                        .map_err(sealing_failed)?;
                    diesel::sql_query(
                        "INSERT INTO webhook_endpoints
                             (id, organization_id, url, description, secret_sealed)
                         VALUES ($1, $2, $3, 'from the settings'' webhook_urls', $4)",
                    )
                    .bind::<SqlUuid, _>(id)
                    .bind::<SqlUuid, _>(row.organization_id)
                    .bind::<Text, _>(&url)
                    .bind::<Bytea, _>(sealed)
                    .execute(&mut *connection)
                    .await?;
                    let audit = AuditEntry::success(
                        &system,
                        "webhook_endpoint.create",
                        Some(format!("webhook_endpoint:{id}")),
                    );
                    append_in(connection, organization, &audit).await?;
                    made += 1;
                }
                diesel::sql_query(
                    "UPDATE organization_settings SET webhook_urls = '[]'::jsonb
                     WHERE organization_id = $1",
                )
                .bind::<SqlUuid, _>(row.organization_id)
                .execute(&mut *connection)
                .await?;
            }
            Ok(made)
        })
    })
    .await
}
