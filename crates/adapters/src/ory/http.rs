//! What the Ory adapters share about HTTP: how a client is built, how endpoint URLs are made
//! from a configured base URL, and how transport failures become `AuthError::Unavailable`.

use std::{error::Error as _, time::Duration};

use tollgate_application::ports::AuthError;
use url::Url;

/// An adapter could not be built from its configuration (at startup, never per request).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrySetupError {
    #[error("{service}: {url} is not an http(s) base URL")]
    Url { service: &'static str, url: String },
    #[error("{service}: cannot build the HTTP client: {reason}")]
    Client {
        service: &'static str,
        reason: String,
    },
}

/// The shared client ([`crate::outbound_http::client`]): a hung Ory becomes a quick 503.
pub(super) fn client(
    service: &'static str,
    timeout: Duration,
) -> Result<reqwest::Client, OrySetupError> {
    crate::outbound_http::client(timeout).map_err(|error| OrySetupError::Client {
        service,
        reason: error.to_string(),
    })
}

/// The shared endpoint join ([`crate::outbound_http::endpoint`]), failures named after `service`.
pub(super) fn endpoint(
    service: &'static str,
    base: &Url,
    path: &str,
) -> Result<Url, OrySetupError> {
    crate::outbound_http::endpoint(base, path).ok_or_else(|| OrySetupError::Url {
        service,
        url: base.to_string(),
    })
}

/// A request that got no usable answer: connection refused, timeout, unreadable body.
pub(super) fn transport_failure(service: &'static str, error: reqwest::Error) -> AuthError {
    AuthError::Unavailable {
        service,
        reason: describe(error),
    }
}

/// An answer with a status the adapter has no meaning for.
pub(super) fn unexpected_status(service: &'static str, status: reqwest::StatusCode) -> AuthError {
    AuthError::Unavailable {
        service,
        reason: format!("answered HTTP {status}"),
    }
}

/// The error and its causes on one line. The URL is dropped: the endpoints carry no secrets,
/// but a configured URL might carry credentials in its user info.
pub(super) fn describe(error: reqwest::Error) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_keeps_a_path_prefix() -> Result<(), Box<dyn std::error::Error>> {
        let base = Url::parse("https://example.test/kratos")?;
        assert_eq!(
            endpoint("kratos", &base, "sessions/whoami")?.as_str(),
            "https://example.test/kratos/sessions/whoami"
        );
        let base = Url::parse("http://127.0.0.1:4445/")?;
        assert_eq!(
            endpoint("hydra", &base, "admin/oauth2/introspect")?.as_str(),
            "http://127.0.0.1:4445/admin/oauth2/introspect"
        );
        Ok(())
    }

    #[test]
    fn endpoint_refuses_other_schemes() -> Result<(), Box<dyn std::error::Error>> {
        let base = Url::parse("file:///etc/")?;
        assert!(endpoint("keto", &base, "relation-tuples/check/openapi").is_err());
        Ok(())
    }
}
