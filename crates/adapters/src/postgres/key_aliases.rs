//! The aliases LiteLLM sent for its API keys, as ingest keeps them (`litellm_key_aliases`).

use std::collections::BTreeMap;

use async_trait::async_trait;
use diesel::{
    QueryableByName,
    sql_types::{Array, Text, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use tollgate_application::{PortError, ports::KeyAliases};
use tollgate_domain::organization::OrganizationId;

use super::{PgPool, error};

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    api_key_hash: String,
    #[diesel(sql_type = Text)]
    alias: String,
}

pub struct PgKeyAliases {
    pool: PgPool,
}

impl PgKeyAliases {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl KeyAliases for PgKeyAliases {
    async fn aliases(
        &self,
        organization: OrganizationId,
        hashes: &[String],
    ) -> Result<BTreeMap<String, String>, PortError> {
        let mut connection = self.pool.get().await.map_err(error::from_pool)?;
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT api_key_hash, alias FROM litellm_key_aliases
             WHERE organization_id = $1 AND api_key_hash = ANY($2)",
        )
        .bind::<SqlUuid, _>(organization.as_uuid())
        .bind::<Array<Text>, _>(hashes)
        .load(&mut connection)
        .await
        .map_err(error::from_query)?;
        Ok(rows
            .into_iter()
            .map(|row| (row.api_key_hash, row.alias))
            .collect())
    }
}
