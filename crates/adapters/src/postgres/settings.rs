//! Organization settings, one row per organization, written with their audit record.

use async_trait::async_trait;
use diesel::{
    QueryableByName,
    sql_types::{Bool, Integer, Nullable, Text, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use tollgate_application::{
    PortError,
    ports::{AuditEntry, SettingsStore},
};
use tollgate_domain::{
    billing::{NetTerms, TaxId},
    money::UsdAmount,
    organization::OrganizationId,
    settings::{BillingContact, OrganizationSettings, SettingsField},
};

use super::{PgPool, audit::append_in, error, transaction};

#[derive(Serialize, Deserialize)]
struct ContactJson {
    name: String,
    email: String,
    address: Option<String>,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Nullable<Text>)]
    display_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    billing_contact: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    tax_id: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    net_terms_days: Option<i32>,
    #[diesel(sql_type = Bool)]
    debug_mode: bool,
    #[diesel(sql_type = Text)]
    alert_thresholds: String,
}

pub struct PgSettingsStore {
    pool: PgPool,
}

impl PgSettingsStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

fn internal(reason: String) -> PortError {
    PortError::Internal {
        service: "postgres",
        reason,
    }
}

/// The column holding `field`.
fn column(field: SettingsField) -> &'static str {
    match field {
        SettingsField::DisplayName => "display_name",
        SettingsField::BillingContact => "billing_contact",
        SettingsField::TaxId => "tax_id",
        SettingsField::NetTermsDays => "net_terms_days",
        SettingsField::DebugMode => "debug_mode",
        SettingsField::AlertThresholds => "alert_thresholds",
    }
}

#[async_trait]
impl SettingsStore for PgSettingsStore {
    async fn get(&self, organization: OrganizationId) -> Result<OrganizationSettings, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT display_name, billing_contact::text AS billing_contact, tax_id, net_terms_days,
                    debug_mode,
                    alert_thresholds::text AS alert_thresholds
             FROM organization_settings WHERE organization_id = $1",
        )
        .bind::<SqlUuid, _>(organization.as_uuid())
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(OrganizationSettings::default());
        };
        let contact = row
            .billing_contact
            .map(|text| serde_json::from_str::<ContactJson>(&text))
            .transpose()
            .map_err(|e| internal(e.to_string()))?;
        let thresholds: Vec<String> =
            serde_json::from_str(&row.alert_thresholds).map_err(|e| internal(e.to_string()))?;
        Ok(OrganizationSettings {
            display_name: row.display_name,
            billing_contact: contact.map(|c| BillingContact {
                name: c.name,
                email: c.email,
                address: c.address,
            }),
            tax_id: row
                .tax_id
                .as_deref()
                .map(TaxId::parse)
                .transpose()
                .map_err(|e| internal(e.to_string()))?,
            net_terms: row
                .net_terms_days
                .map(|days| NetTerms::from_stored(days.into()))
                .transpose()
                .map_err(|e| internal(e.to_string()))?,
            debug_mode: row.debug_mode,
            alert_thresholds: thresholds
                .iter()
                .map(|t| UsdAmount::parse_json_number("alert_thresholds", t))
                .collect::<Result<_, _>>()
                .map_err(|e| internal(e.to_string()))?,
        })
    }

    async fn put(
        &self,
        organization: OrganizationId,
        settings: &OrganizationSettings,
        fields: &[SettingsField],
        audit: &AuditEntry,
    ) -> Result<(), PortError> {
        // Only the named columns change on an existing row: another request's change to
        // another field meanwhile stays.
        let updates: Vec<String> = fields
            .iter()
            .map(|field| format!("{0} = EXCLUDED.{0}", column(*field)))
            .chain(["updated_at = now()".to_owned()])
            .collect();
        let contact = settings
            .billing_contact
            .as_ref()
            .map(|c| {
                serde_json::to_string(&ContactJson {
                    name: c.name.clone(),
                    email: c.email.clone(),
                    address: c.address.clone(),
                })
            })
            .transpose()
            .map_err(|e| internal(e.to_string()))?;
        // Thresholds are kept as decimal strings so no float ever touches them.
        let thresholds: Vec<String> = settings
            .alert_thresholds
            .iter()
            .map(ToString::to_string)
            .collect();
        let thresholds = serde_json::to_string(&thresholds).map_err(|e| internal(e.to_string()))?;
        let (display_name, debug_mode, audit) = (
            settings.display_name.clone(),
            settings.debug_mode,
            audit.clone(),
        );
        let tax_id = settings.tax_id.as_ref().map(|id| id.as_str().to_owned());
        let net_terms_days = settings.net_terms.map(|terms| i32::from(terms.days()));
        transaction(&self.pool, move |connection| {
            Box::pin(async move {
                diesel::sql_query(format!(
                    "INSERT INTO organization_settings (organization_id, display_name,
                        billing_contact, debug_mode, alert_thresholds, tax_id, net_terms_days,
                        updated_at)
                     VALUES ($1, $2, $3::jsonb, $4, $5::jsonb, $6, $7, now())
                     ON CONFLICT (organization_id) DO UPDATE SET {}",
                    updates.join(", ")
                ))
                .bind::<SqlUuid, _>(organization.as_uuid())
                .bind::<Nullable<Text>, _>(display_name)
                .bind::<Nullable<Text>, _>(contact)
                .bind::<Bool, _>(debug_mode)
                .bind::<Text, _>(thresholds)
                .bind::<Nullable<Text>, _>(tax_id)
                .bind::<Nullable<Integer>, _>(net_terms_days)
                .execute(connection)
                .await?;
                append_in(connection, organization, &audit).await
            })
        })
        .await
    }
}
