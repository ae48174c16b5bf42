//! Configuration: embedded defaults (`config/base.toml`), then `config/{TOLLGATE_ENV}.toml`
//! when present, then an optional file named by `TOLLGATE_CONFIG`, then
//! `TOLLGATE__SECTION__KEY` environment variables (or `TOLLGATE__SECTION__KEY_FILE`, naming
//! a file that holds the value: `settings/env_files.rs`). Secrets are
//! `SecretString`s: they print as `[REDACTED]` in any `Debug` output.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use config::{Config, Environment, File, FileFormat};
use secrecy::SecretString;
use serde::Deserialize;
use tollgate_adapters::litellm::CustomerFallback;
use tollgate_application::services::ingest::GroupCommitSettings;

const DEFAULTS: &str = include_str!("../../../config/base.toml");

#[derive(Debug, Deserialize, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub litellm: LiteLlmSettings,
    pub ingest: IngestSettings,
    pub organization: OrganizationSettings,
    pub log: LogSettings,
    pub ory: OrySettings,
    pub identity: IdentitySettings,
    pub openmeter: OpenMeterSettings,
    pub lago: LagoSettings,
    pub delivery: DeliverySettings,
    pub billing: BillingSettings,
    pub pdf: PdfSettings,
    pub web: WebSettings,
    #[serde(default)]
    pub privacy: PrivacySettings,
    #[serde(default)]
    pub outbound_webhooks: OutboundWebhookSettings,
    pub worker: WorkerSettings,
    pub metrics: MetricsSettings,
    pub stripe: StripeSettings,
    pub payments: PaymentsSettings,
}

/// `tollgate worker`'s own small HTTP server: `/healthz`, `/readyz`, `/metrics`.
#[derive(Debug, Deserialize, Clone)]
pub struct WorkerSettings {
    pub bind: SocketAddr,
}

#[derive(Debug, Deserialize, Clone)]
pub struct MetricsSettings {
    /// The outbox depth gauges are read from the database at most this often (a scrape in
    /// between answers the last reading): several Prometheus servers scraping every replica
    /// must not become a steady load of `GROUP BY` queries.
    pub outbox_refresh_secs: u64,
}

/// Where personal data may go, the notice, consent and exports.
#[derive(Debug, Deserialize, Clone)]
pub struct PrivacySettings {
    /// Data residency: when not empty, every outbound host (OpenMeter, Lago, Ory) must be one
    /// of these or Tollgate refuses to start.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// The privacy notice (Markdown with a `version:` front matter).
    #[serde(default = "default_notice_path")]
    pub notice_path: PathBuf,
    /// Optional processing the banner asks consent for (`langfuse_export`,
    /// `prompt_capture`, `analytics_cookies`); empty: no banner.
    #[serde(default)]
    pub optional_purposes: Vec<String>,
    #[serde(default = "default_export_lease_secs")]
    pub export_lease_secs: u64,
    #[serde(default = "default_export_idle_poll_ms")]
    pub export_idle_poll_ms: u64,
}

/// The notice's default place, relative to the working directory (a checkout, the image).
pub const DEFAULT_NOTICE_PATH: &str = "deploy/privacy/notice.en-US.md";

fn default_notice_path() -> PathBuf {
    PathBuf::from(DEFAULT_NOTICE_PATH)
}

fn default_export_lease_secs() -> u64 {
    60
}

fn default_export_idle_poll_ms() -> u64 {
    500
}

impl Default for PrivacySettings {
    fn default() -> Self {
        Self {
            allowed_hosts: Vec::new(),
            notice_path: default_notice_path(),
            optional_purposes: Vec::new(),
            export_lease_secs: default_export_lease_secs(),
            export_idle_poll_ms: default_export_idle_poll_ms(),
        }
    }
}

/// Invoice and receipt documents.
#[derive(Debug, Deserialize, Clone)]
pub struct PdfSettings {
    /// Where the TrueType family's files are.
    pub font_directory: PathBuf,
    /// The files' common stem: `DejaVuSans` for `DejaVuSans.ttf` and `DejaVuSans-Bold.ttf`.
    pub font_family: String,
}

/// The embedded period close.
#[derive(Debug, Deserialize, Clone)]
pub struct BillingSettings {
    pub close_every_secs: u64,
    pub close_grace_secs: u64,
    pub close_batch: u32,
    pub auto_finalize: bool,
    /// The tax rate in percent of customers without one of their own, as a decimal string;
    /// a rate outside 0..=100 or not a number fails the configuration's loading.
    #[serde(deserialize_with = "tax_rate_percent")]
    pub default_tax_rate_percent: tollgate_domain::billing::TaxRate,
    /// How many days in the past a subscription may start.
    pub max_backdate_days: u32,
}

/// `"20"`, `"8.875"`: the text is kept exact (an environment variable read as a number comes
/// back as its text too).
fn tax_rate_percent<'de, D>(deserializer: D) -> Result<tollgate_domain::billing::TaxRate, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let text = String::deserialize(deserializer)?;
    tollgate_domain::billing::TaxRate::parse(&text)
        .map_err(|e| serde::de::Error::custom(format!("billing.default_tax_rate_percent: {e}")))
}

impl BillingSettings {
    pub fn period_close(
        &self,
    ) -> tollgate_application::services::billing::period_close::PeriodCloseSettings {
        let grace = i64::try_from(self.close_grace_secs)
            .ok()
            .and_then(chrono::TimeDelta::try_seconds)
            .unwrap_or(chrono::TimeDelta::MAX);
        tollgate_application::services::billing::period_close::PeriodCloseSettings {
            grace,
            batch: self.close_batch,
            auto_finalize: self.auto_finalize,
            default_tax_rate: self.default_tax_rate_percent,
            every: Duration::from_secs(self.close_every_secs),
        }
    }
}

#[derive(Debug, Deserialize, Clone)]
pub struct DeliverySettings {
    /// Run the outbox dispatchers inside `tollgate serve` (else run `tollgate worker`).
    pub run_in_server: bool,
    /// A claim's lease, renewed while its delivery runs: how long a crashed worker's rows
    /// stay held.
    pub lease_secs: u64,
    pub idle_poll_ms: u64,
    /// Longest wait before a retry, whatever the backoff schedule or `Retry-After` say.
    pub max_backoff_secs: u64,
    /// An event still failing transiently this long after it was stored becomes a dead
    /// letter; only a permanent refusal does sooner.
    pub give_up_after_secs: u64,
    /// While a target fails as a whole: one single-event probe this often.
    pub probe_interval_ms: u64,
    /// Events per delivery to the embedded meters.
    pub batch: usize,
}

#[derive(Debug, Deserialize, Clone)]
pub struct OrySettings {
    pub hydra_issuer: String,
    pub hydra_jwks_url: String,
    pub hydra_admin_url: String,
    pub audience: String,
    pub kratos_public_url: String,
    pub keto_read_url: String,
    /// Keto's write API (`/admin/relation-tuples`): with it the team settings change Keto's
    /// tuples; without it (Keto read only) they can list the team but not change it.
    pub keto_write_url: String,
    /// Kratos's admin API (port 4434 self-hosted): with it, the team settings add members by
    /// the e-mail they sign in with and show each member's e-mail; without it, members are
    /// named by subject only.
    #[serde(default)]
    pub kratos_admin_url: String,
    /// The API key Kratos's admin API asks for (Ory Network); none self-hosted.
    #[serde(default)]
    pub kratos_admin_api_key: Option<SecretString>,
}

/// The dashboard: where browsers reach it, how long sessions live, how many failed sign-ins.
#[derive(Debug, Deserialize, Clone)]
pub struct WebSettings {
    /// The origin browsers use (`https://billing.example.com`); blank: `http://<server.bind>`.
    /// An https origin makes the session cookie `__Host-` and Secure and adds HSTS.
    pub public_url: String,
    pub session_idle_secs: u64,
    pub session_absolute_secs: u64,
    /// How long a `tollgate dev-login` link works (once).
    pub login_link_ttl_secs: u64,
    /// Failed sign-ins allowed per client address and minute before 429.
    pub max_failed_logins_per_minute: u32,
}

#[derive(Debug, Deserialize, Clone)]
pub struct IdentitySettings {
    pub allow_non_loopback: bool,
    pub issuer: String,
    pub dev_token_ttl_secs: u64,
    pub max_failed_auth_per_minute: u32,
}

/// `Some(url)` for a set URL; blank means the system is off.
pub fn optional_url(text: &str) -> Result<Option<url::Url>, SettingsError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    url::Url::parse(text.trim())
        .map(Some)
        .map_err(|e| SettingsError(config::ConfigError::Message(format!("`{text}`: {e}"))))
}

#[derive(Debug, Deserialize, Clone)]
pub struct ServerSettings {
    pub bind: SocketAddr,
    pub body_limit_bytes: usize,
    /// Seconds a request body may take to arrive after its headers.
    pub body_timeout_secs: u64,
    /// Bytes all bodies being read or handled may hold at once.
    pub max_inflight_body_bytes: usize,
    pub workers: usize,
    /// After SIGTERM: seconds `/readyz` answers 503 `shutting_down` while everything is still
    /// served, so load balancers stop sending before the listener closes.
    pub shutdown_delay_secs: u64,
    pub shutdown_timeout_secs: u64,
    pub export_page_rows: i64,
}

#[derive(Debug, Deserialize, Clone)]
pub struct DatabaseSettings {
    pub url: SecretString,
    /// Where migrations (and their advisory lock) run; blank: `url`. The lock is held on one
    /// session, so this must be a direct connection, not PgBouncer in transaction mode.
    pub migration_url: SecretString,
    pub create_if_missing: bool,
    pub max_connections: usize,
    pub acquire_timeout_ms: u64,
    pub connect_timeout_ms: u64,
    pub statement_timeout_ms: u64,
}

#[derive(Debug, Deserialize, Clone)]
pub struct LiteLlmSettings {
    pub webhook_secrets: Vec<SecretString>,
    pub customer_fallback: CustomerFallback,
    pub secret_refresh_secs: u64,
}

#[derive(Debug, Deserialize, Clone)]
pub struct IngestSettings {
    pub writers: usize,
    pub max_events_per_commit: usize,
    pub linger_micros: u64,
    pub queue_depth: usize,
    pub recent_keys: usize,
    /// Events older than this (by `endTime`) are quarantined as `implausible_time`.
    pub max_event_age_days: u32,
    /// Events further ahead of the server's clock are quarantined as `implausible_time`.
    pub max_clock_skew_secs: u32,
}

#[derive(Debug, Deserialize, Clone)]
pub struct OrganizationSettings {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Deserialize, Clone)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

/// OpenMeter, switched on by setting its URL.
#[derive(Debug, Deserialize, Clone)]
pub struct OpenMeterSettings {
    pub url: String,
    #[serde(default)]
    pub api_key: Option<SecretString>,
    pub source: String,
    pub event_type: String,
    pub batch_size: usize,
    /// The longest one request to OpenMeter (a delivery or a usage query) may take; a usage
    /// query that takes longer answers 504.
    #[serde(default = "default_openmeter_request_timeout_ms")]
    pub request_timeout_ms: u64,
}

fn default_openmeter_request_timeout_ms() -> u64 {
    10_000
}

impl OpenMeterSettings {
    pub fn is_enabled(&self) -> bool {
        !self.url.trim().is_empty()
    }
}

/// Lago, switched on by setting its URL.
#[derive(Debug, Deserialize, Clone)]
pub struct LagoSettings {
    pub url: String,
    #[serde(default)]
    pub api_key: Option<SecretString>,
    /// Unset (the default): usage goes to Lago as one event per meter, `code` = the meter's
    /// slug (the billable metrics Lago mode makes). Set: one event per call with this `code`
    /// and every meter in its properties, for a billable metric made by hand.
    #[serde(default)]
    pub billable_metric_code: Option<String>,
    /// Customer id -> Lago subscription `external_id`, until billing keeps the mapping.
    #[serde(default)]
    pub subscriptions: std::collections::HashMap<String, String>,
    /// For customers missing from `subscriptions`: use the customer id as the subscription id.
    pub customer_id_as_subscription: bool,
    /// Lago mode (customers, plans, subscriptions, invoices through Lago's API): the longest
    /// one request to Lago may take.
    #[serde(default = "default_lago_request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// Tries of a Lago request that is safe to repeat (first included) on 429, 5xx, timeouts.
    #[serde(default = "default_lago_max_attempts")]
    pub max_attempts: u32,
    /// Longest pause before such a retry; a longer `Retry-After` answers 503 at once.
    #[serde(default = "default_lago_max_retry_wait_ms")]
    pub max_retry_wait_ms: u64,
    /// Which signatures `POST /v1/webhooks/lago` accepts: `jwt` (Lago's default, needs
    /// `api_key` to fetch Lago's public key), `hmac` (needs `webhook_hmac_key`) or `either`
    /// (needs both).
    #[serde(default)]
    pub webhook_signature: LagoWebhookSignature,
    /// The organization's webhook HMAC key (Lago's organization settings).
    #[serde(default)]
    pub webhook_hmac_key: Option<SecretString>,
    /// The `iss` of Lago's webhook JWTs (Lago's `LAGO_API_URL`); blank: `url`.
    #[serde(default)]
    pub webhook_issuer: String,
    /// Least seconds between two fetches of Lago's public key after a JWT failed to verify.
    #[serde(default = "default_webhook_key_refetch_secs")]
    pub webhook_key_refetch_secs: u64,
}

#[derive(Debug, Deserialize, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LagoWebhookSignature {
    #[default]
    Jwt,
    Hmac,
    Either,
}

fn default_webhook_key_refetch_secs() -> u64 {
    60
}

fn default_lago_request_timeout_ms() -> u64 {
    10_000
}

fn default_lago_max_attempts() -> u32 {
    3
}

fn default_lago_max_retry_wait_ms() -> u64 {
    2_000
}

impl LagoSettings {
    pub fn is_enabled(&self) -> bool {
        !self.url.trim().is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct SettingsError(#[from] config::ConfigError);

impl Settings {
    /// # Errors
    /// When a file or variable cannot be read or does not fit the expected shape.
    pub fn load() -> Result<Self, SettingsError> {
        // Layers, later ones winning: the compiled-in defaults, `config/{TOLLGATE_ENV}.toml`
        // (`local` unless set; optional, so a bare binary runs anywhere), a file named by
        // TOLLGATE_CONFIG, then TOLLGATE__SECTION__KEY variables.
        let environment = std::env::var("TOLLGATE_ENV").unwrap_or_else(|_| "local".to_owned());
        let mut builder = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(
                File::with_name(&format!("config/{environment}"))
                    .format(FileFormat::Toml)
                    .required(false),
            );
        if let Ok(path) = std::env::var("TOLLGATE_CONFIG") {
            builder = builder.add_source(File::with_name(&path).format(FileFormat::Toml));
        }
        let variables = env_files::resolve(std::env::vars(), |path| std::fs::read_to_string(path))
            .map_err(|e| config::ConfigError::Message(e.to_string()))?;
        let settings = builder
            .add_source(
                Environment::with_prefix("TOLLGATE")
                    .source(Some(variables))
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("litellm.webhook_secrets")
                    .with_list_parse_key("privacy.allowed_hosts")
                    .with_list_parse_key("privacy.optional_purposes")
                    .with_list_parse_key("stripe.webhook_secrets"),
            )
            .build()?
            .try_deserialize()?;
        Ok(settings)
    }

    /// Where migrations run: `database.migration_url`, or `database.url` when it is blank.
    pub fn migration_url(&self) -> &SecretString {
        use secrecy::ExposeSecret;
        if self
            .database
            .migration_url
            .expose_secret()
            .trim()
            .is_empty()
        {
            &self.database.url
        } else {
            &self.database.migration_url
        }
    }

    pub fn pool_acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.database.acquire_timeout_ms)
    }

    pub fn group_commit(&self) -> GroupCommitSettings {
        GroupCommitSettings {
            writers: self.ingest.writers,
            max_events: self.ingest.max_events_per_commit,
            linger: Duration::from_micros(self.ingest.linger_micros),
            queue_depth: self.ingest.queue_depth,
        }
    }

    /// Where every new usage event is queued for delivery: OpenMeter when it is configured,
    /// Lago when it is, and the embedded meters unless both are: without OpenMeter they are
    /// the meters, and without Lago Tollgate's own period close bills from their rollups.
    pub fn delivery_targets(&self) -> Vec<String> {
        let (openmeter, lago) = (self.openmeter.is_enabled(), self.lago.is_enabled());
        let mut targets = Vec::with_capacity(2);
        if openmeter {
            targets.push("openmeter".to_owned());
        }
        if !(openmeter && lago) {
            targets.push("embedded_meter".to_owned());
        }
        if lago {
            targets.push("lago".to_owned());
        }
        targets
    }
}

mod env_files;
mod payments;

pub use payments::{PaymentsSettings, StripeSettings};
mod outbound_webhooks;
pub use outbound_webhooks::OutboundWebhookSettings;
#[cfg(test)]
mod tests;
