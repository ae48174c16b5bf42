//! What the OpenMeter and Lago delivery targets share about HTTP: the client, endpoint URLs,
//! transport failures as reasons, and `Retry-After`.
//!
//! It lives under `openmeter` only because adapters have no shared module for outbound
//! delivery yet; the Lago target uses it as `crate::openmeter::outbound`.

use std::time::Duration;

use tollgate_application::ports::DeliveryOutcome;
use url::Url;

pub(crate) use crate::outbound_http::{MAX_RETRY_AFTER, describe, retry_after};

/// Longest piece of a target's answer kept in a reason (reasons end up in dead letters).
const MAX_REASON_LEN: usize = 500;

/// A delivery target could not be built from its configuration (at startup, never per call).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliverySetupError {
    #[error("{target}: {url} is not an http(s) base URL")]
    Url { target: &'static str, url: String },
    #[error("{target}: {setting} {problem}")]
    Setting {
        target: &'static str,
        setting: &'static str,
        problem: &'static str,
    },
    #[error("{target}: cannot build the HTTP client: {reason}")]
    Client {
        target: &'static str,
        reason: String,
    },
}

/// The shared client ([`crate::outbound_http::client`]), failures named after `target`.
pub(crate) fn client(
    target: &'static str,
    timeout: Duration,
) -> Result<reqwest::Client, DeliverySetupError> {
    crate::outbound_http::client(timeout).map_err(|error| DeliverySetupError::Client {
        target,
        reason: error.to_string(),
    })
}

/// The shared endpoint join ([`crate::outbound_http::endpoint`]), failures named after `target`.
pub(crate) fn endpoint(
    target: &'static str,
    base: &Url,
    path: &str,
) -> Result<Url, DeliverySetupError> {
    crate::outbound_http::endpoint(base, path).ok_or_else(|| DeliverySetupError::Url {
        target,
        url: base.to_string(),
    })
}

/// A request that got no usable answer (connection refused, timeout): worth another try.
pub(crate) fn transport_retry(target: &str, error: reqwest::Error) -> DeliveryOutcome {
    DeliveryOutcome::Retry {
        reason: format!("{target}: {}", describe(error)),
        retry_after: None,
    }
}

/// A target's answer cut to a sane length on a character boundary.
pub(crate) fn excerpt(text: &str) -> String {
    let text = text.trim();
    if text.len() <= MAX_REASON_LEN {
        return text.to_owned();
    }
    let mut end = MAX_REASON_LEN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_keeps_a_path_prefix_and_refuses_other_schemes()
    -> Result<(), Box<dyn std::error::Error>> {
        let base = Url::parse("https://example.test/openmeter?x=1")?;
        assert_eq!(
            endpoint("openmeter", &base, "api/v1/events")?.as_str(),
            "https://example.test/openmeter/api/v1/events"
        );
        assert!(endpoint("lago", &Url::parse("file:///tmp/")?, "api/v1/events").is_err());
        Ok(())
    }

    #[test]
    fn excerpts_are_cut_on_a_char_boundary() {
        let long = "é".repeat(400);
        let cut = excerpt(&long);
        assert!(cut.len() <= MAX_REASON_LEN + '…'.len_utf8());
        assert!(cut.ends_with('…'));
        assert_eq!(excerpt(" short "), "short");
    }
}
