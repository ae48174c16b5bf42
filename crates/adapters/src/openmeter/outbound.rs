//! What the OpenMeter and Lago delivery targets share about HTTP: the client, endpoint URLs,
//! transport failures as reasons, and `Retry-After`.
//!
//! It lives under `openmeter` only because adapters have no shared module for outbound
//! delivery yet; the Lago target uses it as `crate::openmeter::outbound`.

use std::{error::Error as _, time::Duration};

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use tollgate_application::ports::DeliveryOutcome;
use url::Url;

/// The longest a target's `Retry-After` may hold events back: as long as the dispatcher's
/// longest backoff step, so one odd header cannot park events for days.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

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

/// The error and its causes on one line, without the URL (it may carry user info).
pub(crate) fn describe(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let error = error.without_url();
    let mut reason = kind.to_owned();
    let mut source = error.source();
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    reason
}

/// `Retry-After` as delta seconds or an HTTP date (RFC 9110 §10.2.3), capped at
/// [`MAX_RETRY_AFTER`]. A date in the past means "now".
pub(crate) fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let delay = match text.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        // IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) is an RFC 2822 date with zone `GMT`.
        Err(_) => {
            let at = DateTime::parse_from_rfc2822(text).ok()?.with_timezone(&Utc);
            (at - now).to_std().unwrap_or(Duration::ZERO)
        }
    };
    Some(delay.min(MAX_RETRY_AFTER))
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
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() -> Result<(), Box<dyn std::error::Error>> {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z")?.with_timezone(&Utc);
        assert_eq!(
            retry_after(&headers("120"), now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_after(&headers("Wed, 21 Oct 2015 07:28:00 GMT"), now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            retry_after(&headers("Wed, 21 Oct 2015 07:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers("999999"), now), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
        Ok(())
    }

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
