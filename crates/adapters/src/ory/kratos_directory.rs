//! Kratos's identities as the directory people are found in by e-mail, through its admin API
//! (port 4434 self-hosted; the project URL with an API key on Ory Network):
//!
//! - `GET /admin/identities?credentials_identifier=<email>`: the identities whose login
//!   identifier is exactly that e-mail (a list: empty when nobody's is);
//! - `GET /admin/identities?ids=<id>&ids=<id>...`: the identities of a team page, in one call
//!   per [`IDS_PER_CALL`] ids (Kratos answers at most 500 and does not page this filter).
//!
//! An identity's e-mail is its `traits.email` (the usual identity schema), else its first
//! verifiable e-mail address. Failures are `PortError`s as for every upstream.

use std::{collections::HashMap, time::Duration};

use async_trait::async_trait;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tollgate_application::{PortError, ports::IdentityDirectory};
use url::Url;

use super::{OrySetupError, http};
use crate::upstream::Upstream;

const SERVICE: &str = "kratos";
const KRATOS: Upstream = Upstream(SERVICE);
/// Ids asked for per call: a team page (100 on the dashboard, 500 at most through the API)
/// takes a few calls, each URL a few kilobytes.
pub const IDS_PER_CALL: usize = 100;

#[derive(Debug, Clone)]
pub struct KratosDirectoryConfig {
    /// Kratos's admin API.
    pub admin_url: Url,
    /// Sent as `Authorization: Bearer` (Ory Network's API key); self-hosted admin APIs take
    /// none and are kept on a private network instead.
    pub api_key: Option<SecretString>,
    pub timeout: Duration,
}

impl KratosDirectoryConfig {
    /// No API key; 5 s timeout.
    pub fn new(admin_url: Url) -> Self {
        Self {
            admin_url,
            api_key: None,
            timeout: Duration::from_secs(5),
        }
    }
}

pub struct KratosDirectory {
    http: reqwest::Client,
    identities: Url,
    api_key: Option<SecretString>,
}

impl KratosDirectory {
    /// # Errors
    /// When the admin URL is not an http(s) base URL or the HTTP client cannot be built.
    pub fn new(config: KratosDirectoryConfig) -> Result<Self, OrySetupError> {
        Ok(Self {
            http: http::client(SERVICE, config.timeout)?,
            identities: http::endpoint(SERVICE, &config.admin_url, "admin/identities")?,
            api_key: config.api_key,
        })
    }

    /// `GET /admin/identities` with `query`: the identities listed.
    async fn list(&self, query: &[(&str, &str)]) -> Result<Vec<WireIdentity>, PortError> {
        let mut url = self.identities.clone();
        url.query_pairs_mut().extend_pairs(query);
        let mut request = self
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key.expose_secret());
        }
        let response = request.send().await.map_err(|e| KRATOS.failed(e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(KRATOS.status(status, response.headers(), Utc::now()));
        }
        let body = response.bytes().await.map_err(|e| KRATOS.failed(e))?;
        KRATOS.decode(&body)
    }
}

#[async_trait]
impl IdentityDirectory for KratosDirectory {
    fn resolves_emails(&self) -> bool {
        true
    }

    #[tracing::instrument(name = "kratos.identity_by_email", skip_all)]
    async fn identity_by_email(&self, email: &str) -> Result<Option<String>, PortError> {
        let found = self.list(&[("credentials_identifier", email)]).await?;
        // An exact identifier belongs to one identity at most; more would be a Kratos bug,
        // and picking one of them could add the wrong person.
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.id.clone())),
            _ => Err(KRATOS.invalid(format!(
                "{} identities answered for one credentials identifier",
                found.len()
            ))),
        }
    }

    #[tracing::instrument(name = "kratos.emails_of", skip_all, fields(ids = ids.len()))]
    async fn emails_of(&self, ids: &[String]) -> Result<HashMap<String, String>, PortError> {
        let mut emails = HashMap::new();
        for chunk in ids.chunks(IDS_PER_CALL) {
            let query: Vec<(&str, &str)> = chunk.iter().map(|id| ("ids", id.as_str())).collect();
            for identity in self.list(&query).await? {
                if let Some(email) = identity.email() {
                    emails.insert(identity.id, email);
                }
            }
        }
        Ok(emails)
    }
}

#[derive(Deserialize)]
struct WireIdentity {
    id: String,
    #[serde(default)]
    traits: Option<serde_json::Value>,
    #[serde(default)]
    verifiable_addresses: Vec<WireAddress>,
}

#[derive(Deserialize)]
struct WireAddress {
    value: String,
    via: String,
}

impl WireIdentity {
    fn email(&self) -> Option<String> {
        self.traits
            .as_ref()
            .and_then(|traits| traits.get("email"))
            .and_then(|email| email.as_str())
            .or_else(|| {
                self.verifiable_addresses
                    .iter()
                    .find(|address| address.via == "email")
                    .map(|address| address.value.as_str())
            })
            .map(str::to_owned)
    }
}
