//! Reachability of a configured HTTP upstream: a GET of its base URL, any answer counts.

use std::time::Duration;

use async_trait::async_trait;
use tollgate_application::{PortError, ports::UpstreamProbe};
use url::Url;

use crate::{outbound_http, upstream::Upstream};

pub struct HttpProbe {
    name: &'static str,
    url: Url,
    client: reqwest::Client,
}

impl HttpProbe {
    /// # Errors
    /// When the HTTP client cannot be built (no TLS backend).
    pub fn new(name: &'static str, url: Url, timeout: Duration) -> Result<Self, reqwest::Error> {
        Ok(Self {
            name,
            url,
            client: outbound_http::client(timeout)?,
        })
    }
}

#[async_trait]
impl UpstreamProbe for HttpProbe {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn probe(&self) -> Result<(), PortError> {
        match Upstream(self.name)
            .send(self.client.get(self.url.clone()))
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if error.is_timeout() => Err(PortError::TimedOut {
                service: self.name,
                reason: outbound_http::describe(error),
            }),
            Err(error) => Err(PortError::unavailable(
                self.name,
                outbound_http::describe(error),
            )),
        }
    }
}
