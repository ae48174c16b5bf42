//! First start without a configured LiteLLM secret: generate one so `make run` works with no
//! setup, and print the LiteLLM configuration that uses it.

use std::{
    fs,
    io::{self, Write},
    path::Path,
};

use tollgate_adapters::postgres::PgWebhookSecretStore;
use tollgate_application::{
    ports::WebhookSecretStore, services::access::settings::generate_webhook_secret,
};
use tollgate_domain::{
    organization::OrganizationId,
    webhook_secret::{SecretDigest, display_prefix},
};

use super::StartupError;
use crate::settings::Settings;

const SECRET_FILE: &str = "litellm-webhook-secret";

/// Uses the secret kept in `data_dir` when it is still active, else makes and stores a new one;
/// then prints LiteLLM's `callback_settings` for it.
pub(super) async fn ensure_generated(
    settings: &Settings,
    organization: OrganizationId,
    store: &PgWebhookSecretStore,
) -> Result<(), StartupError> {
    let path = settings.data_dir.join(SECRET_FILE);
    let active = store
        .active_secrets()
        .await
        .map_err(|e| StartupError::Database(e.to_string()))?;
    let kept = fs::read_to_string(&path).ok().map(|s| s.trim().to_owned());
    let secret = match kept {
        Some(secret)
            if active
                .iter()
                .any(|a| a.digest.matches(&SecretDigest::of(&secret))) =>
        {
            secret
        }
        // Secrets created elsewhere (another replica, the settings API) are not ours to print.
        // The file holds only the secret made at first start: a secret rotated over the API is
        // shown once to whoever rotated it, and replicas share no files, so a file that no
        // longer authenticates is said so and removed rather than left to mislead.
        kept if !active.is_empty() => {
            if kept.is_some() {
                tracing::warn!(
                    file = %path.display(),
                    "the LiteLLM secret kept in this file was rotated or revoked and no longer \
                     authenticates: the file is removed; use the secret the rotation returned"
                );
                let _ = fs::remove_file(&path);
            }
            return Ok(());
        }
        _ => {
            let secret = generate_webhook_secret();
            store
                .add(
                    organization,
                    &SecretDigest::of(&secret),
                    "generated at first start",
                    &display_prefix(&secret),
                )
                .await
                .map_err(|e| StartupError::Database(e.to_string()))?;
            write_private(&path, &secret)?;
            secret
        }
    };
    print_litellm_snippet(settings, &secret);
    Ok(())
}

/// Readable by the owner only: the file holds a live credential.
fn write_private(path: &Path, secret: &str) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    writeln!(file, "{secret}")
}

fn print_litellm_snippet(settings: &Settings, secret: &str) {
    let base = format!("http://{}", settings.server.bind);
    let snippet = format!(
        "\n\
# Paste into LiteLLM's proxy config to send usage to Tollgate:\n\
litellm_settings:\n  callbacks: [\"tollgate\"]\n\
callback_settings:\n  tollgate:\n    callback_type: generic_api\n    \
endpoint: {base}/v1/webhooks/litellm\n    \
headers:\n      Authorization: \"Bearer {secret}\"\n    \
event_types: [\"llm_api_success\", \"llm_api_failure\"]\n    \
log_format: json_array\n    max_retries: 3\n    retry_delay: 1\n    timeout: 30\n\
# Budget alerts (general_settings.alerting: [\"webhook\"]): WEBHOOK_URL={base}/v1/webhooks/litellm/alerts/{secret}\n\
# The secret is kept in {}\n",
        settings.data_dir.join(SECRET_FILE).display()
    );
    let _ = io::stdout().write_all(snippet.as_bytes());
}
