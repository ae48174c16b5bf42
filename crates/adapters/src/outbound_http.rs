//! How every adapter that calls an outside HTTP API builds its client and its endpoint URLs,
//! reads `Retry-After` and describes a failed request. Each adapter maps setup failures into
//! its own setup error; failed calls go through [`crate::upstream`].

use std::{error::Error as _, time::Duration};

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use url::Url;

/// The longest an upstream's `Retry-After` is taken at its word: as long as the dispatcher's
/// longest backoff step, so one odd header cannot park events (or clients) for days.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// A client with a whole-request timeout, so a hung system costs one timeout, not a hung
/// request or an expired lease. Redirects are not followed: no API Tollgate calls redirects an
/// API call, and following one could carry an API key or a cookie to another host.
pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("tollgate/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// `base` joined with a relative `path`, keeping any path prefix of `base` (a system behind a
/// reverse proxy at `https://host/kratos/` still gets `https://host/kratos/sessions/whoami`);
/// `None` unless `base` is an http(s) base URL.
pub(crate) fn endpoint(base: &Url, path: &str) -> Option<Url> {
    if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
        return None;
    }
    let mut base = base.clone();
    if !base.path().ends_with('/') {
        let with_slash = format!("{}/", base.path());
        base.set_path(&with_slash);
    }
    base.set_query(None);
    base.join(path).ok()
}

/// The error and its causes on one line. The URL is dropped: a configured URL may carry
/// credentials in its user info.
pub(crate) fn describe(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else if error.is_decode() {
        "unreadable answer"
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
    fn endpoints_keep_a_proxy_prefix_and_refuse_other_schemes() {
        let join = |base: &str, path: &str| {
            endpoint(&Url::parse(base).unwrap(), path).map(|u| u.to_string())
        };
        assert_eq!(
            join("https://host/kratos", "sessions/whoami").as_deref(),
            Some("https://host/kratos/sessions/whoami")
        );
        assert_eq!(
            join("http://host:8888/?x=1", "api/v1/events").as_deref(),
            Some("http://host:8888/api/v1/events")
        );
        assert_eq!(join("ftp://host/", "x"), None);
    }
}
