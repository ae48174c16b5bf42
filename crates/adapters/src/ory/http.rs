//! What the Ory adapters share about HTTP: how a client is built and how endpoint URLs are
//! made from a configured base URL. Failed calls become `AuthError::Upstream` through
//! [`crate::upstream`], as for every upstream.

use std::time::Duration;

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

/// The shared client ([`crate::outbound_http::client`]): a hung Ory becomes a quick 504.
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
