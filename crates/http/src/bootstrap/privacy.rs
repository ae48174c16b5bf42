//! Where personal data goes: the recipients the Art. 30 record names, and the data-residency
//! check that refuses to start when an outbound host is not allowed.

use tollgate_application::services::compliance::records::ConfiguredRecipient;
use tollgate_domain::privacy::inventory::Recipient;

use super::StartupError;
use crate::settings::Settings;

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
        ("ory.keto_read_url", ory.keto_read_url.as_str(), None),
        ("ory.keto_write_url", ory.keto_write_url.as_str(), None),
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
