//! Where personal data goes: the recipients the Art. 30 record names, and the data-residency
//! check that refuses to start when an outbound host is not allowed. The notice in force, the
//! consent records and the export requests.

use std::sync::Arc;

use tollgate_adapters::postgres::{PgConsentStore, PgExportStore, PgMemberRecords, PgPool};
use tollgate_application::{
    ports::SystemClock,
    services::compliance::{
        consents::ConsentService, exports::ExportService, records::ConfiguredRecipient,
    },
};
use tollgate_domain::privacy::{consent::ConsentPurpose, inventory::Recipient, notice::Notice};

use super::StartupError;
use crate::settings::{DEFAULT_NOTICE_PATH, Settings};

/// Every configured outbound URL: the setting that names it, and the recipient of personal
/// data it is, if any (Ory is checked for residency, not listed as a recipient).
fn outbound(settings: &Settings) -> Vec<(&'static str, &str, Option<Recipient>)> {
    let ory = &settings.ory;
    [
        (
            "openmeter",
            settings.openmeter.url.as_str(),
            Some(Recipient::OpenMeter),
        ),
        ("lago", settings.lago.url.as_str(), Some(Recipient::Lago)),
        ("ory.hydra_jwks_url", ory.hydra_jwks_url.as_str(), None),
        ("ory.hydra_admin_url", ory.hydra_admin_url.as_str(), None),
        (
            "ory.kratos_public_url",
            ory.kratos_public_url.as_str(),
            None,
        ),
        ("ory.kratos_admin_url", ory.kratos_admin_url.as_str(), None),
        ("ory.keto_read_url", ory.keto_read_url.as_str(), None),
        ("ory.keto_write_url", ory.keto_write_url.as_str(), None),
        (
            "stripe.url",
            // Its URL has a default: Stripe is on by its key.
            if settings.stripe.is_enabled() {
                settings.stripe.url.as_str()
            } else {
                ""
            },
            Some(Recipient::Stripe),
        ),
    ]
    .into_iter()
    .filter(|(_, url, _)| !url.trim().is_empty())
    .collect()
}

fn host_of(system: &str, url: &str) -> Result<String, StartupError> {
    url::Url::parse(url.trim())
        .ok()
        .and_then(|url| url.host_str().map(str::to_ascii_lowercase))
        .ok_or_else(|| StartupError::Invalid(format!("{system}: {url:?} is not a URL with a host")))
}

/// The upstreams that receive personal data, with their hosts.
///
/// # Errors
/// `StartupError::Invalid` when `privacy.allowed_hosts` is set and an outbound host is not in
/// it, or an outbound URL has no host.
pub fn recipients(settings: &Settings) -> Result<Vec<ConfiguredRecipient>, StartupError> {
    let allowed: Vec<String> = settings
        .privacy
        .allowed_hosts
        .iter()
        .map(|host| host.trim().to_ascii_lowercase())
        // An empty `TOLLGATE__PRIVACY__ALLOWED_HOSTS=` lists no host, not a blank one.
        .filter(|host| !host.is_empty())
        .collect();
    let mut recipients = Vec::new();
    for (system, url, recipient) in outbound(settings) {
        let host = host_of(system, url)?;
        if !allowed.is_empty() && !allowed.contains(&host) {
            return Err(StartupError::Invalid(format!(
                "{system} reaches {host}, which privacy.allowed_hosts does not list"
            )));
        }
        if let Some(recipient) = recipient {
            recipients.push(ConfiguredRecipient { recipient, host });
        }
    }
    Ok(recipients)
}

/// The notice shipped with Tollgate, served when the default path is not there.
const BUILT_IN_NOTICE: &str = include_str!("../../../../deploy/privacy/notice.en-US.md");

/// The privacy notice in force.
///
/// # Errors
/// `StartupError::Invalid` when a configured notice cannot be read or names no version.
pub fn notice(settings: &Settings) -> Result<Notice, StartupError> {
    let path = &settings.privacy.notice_path;
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error)
            if error.kind() == std::io::ErrorKind::NotFound
                && path.as_path() == std::path::Path::new(DEFAULT_NOTICE_PATH) =>
        {
            BUILT_IN_NOTICE.to_owned()
        }
        Err(error) => {
            return Err(StartupError::Invalid(format!(
                "privacy.notice_path {}: {error}",
                path.display()
            )));
        }
    };
    Notice::parse(&text).map_err(|error| {
        StartupError::Invalid(format!("privacy.notice_path {}: {error}", path.display()))
    })
}

/// The optional processing the banner asks consent for.
///
/// # Errors
/// `StartupError::Invalid` for a name that is not a consent purpose.
pub fn optional_purposes(settings: &Settings) -> Result<Vec<ConsentPurpose>, StartupError> {
    let mut purposes = settings
        .privacy
        .optional_purposes
        .iter()
        // `TOLLGATE__PRIVACY__OPTIONAL_PURPOSES=` (empty) is no purpose, not a blank one.
        .filter(|name| !name.trim().is_empty())
        .map(|name| {
            ConsentPurpose::parse(name.trim()).ok_or_else(|| {
                StartupError::Invalid(format!(
                    "privacy.optional_purposes: {name:?} is not one of langfuse_export, \
                     prompt_capture, analytics_cookies"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    purposes.sort();
    purposes.dedup();
    Ok(purposes)
}

/// Consent records in PostgreSQL under the notice in force.
///
/// # Errors
/// `StartupError::Invalid` for an unreadable notice or an unknown purpose.
pub fn consents(settings: &Settings, pool: &PgPool) -> Result<ConsentService, StartupError> {
    Ok(ConsentService::new(
        Arc::new(PgConsentStore::new(pool.clone())),
        Arc::new(notice(settings)?),
        optional_purposes(settings)?,
    ))
}

/// Export requests in PostgreSQL, built from Tollgate's own tables.
pub fn exports(pool: &PgPool) -> ExportService {
    ExportService::new(
        Arc::new(PgExportStore::new(pool.clone())),
        Arc::new(PgMemberRecords::new(pool.clone())),
        Arc::new(PgConsentStore::new(pool.clone())),
        Arc::new(SystemClock),
    )
}
