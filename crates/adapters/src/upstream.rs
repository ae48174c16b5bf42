//! How a call to an outside system that got no usable answer becomes a [`PortError`], the same
//! way for every upstream (OpenMeter, Lago, Ory's Hydra, Kratos and Keto):
//!
//! | what happened | becomes |
//! |---|---|
//! | no connection, a broken connection, a 5xx, a 429 | `Unavailable`, with the upstream's `Retry-After` |
//! | no answer within the client's timeout | `TimedOut` |
//! | a body that does not decode, a status the API does not give there, a shape that breaks the contract | `InvalidAnswer` |
//!
//! Statuses that mean something to one adapter (Lago's 422, Kratos's 401) are read by that
//! adapter first; only what is left comes here. Reasons are for the log: they may quote the
//! answer, and the HTTP layer never shows them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::{StatusCode, header::HeaderMap};
use serde::de::DeserializeOwned;
use tollgate_application::PortError;

use crate::{
    outbound_http::{describe, retry_after},
    upstream_calls::{self, CallOutcome},
};

/// One outside system, named as its errors and the API's answers name it (`openmeter`, `lago`,
/// `hydra`, `kratos`, `keto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Upstream(pub &'static str);

impl Upstream {
    /// Sends `request`, recording the call for the debug panel of the page being served (see
    /// [`crate::upstream_calls`]). Every adapter sends through here, so no call is missed.
    ///
    /// # Errors
    /// As [`reqwest::RequestBuilder::send`].
    pub async fn send(
        self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let (client, request) = request.build_split();
        let request = request?;
        let call = upstream_calls::start(self.0, request.method().as_str(), request.url());
        let answer = client.execute(request).await;
        call.finish(match &answer {
            Ok(response) => CallOutcome::Status(response.status().as_u16()),
            Err(error) if error.is_timeout() => CallOutcome::TimedOut,
            Err(error) if error.is_connect() => CallOutcome::CannotConnect,
            Err(_) => CallOutcome::Failed,
        });
        answer
    }

    /// A request that got no answer, or whose body could not be read to the end.
    pub fn failed(self, error: reqwest::Error) -> PortError {
        let service = self.0;
        // Checked first: a timeout while the body arrives is a timeout, not a broken body.
        if error.is_timeout() {
            return PortError::TimedOut {
                service,
                reason: describe(error),
            };
        }
        if error.is_decode() {
            return self.invalid(describe(error));
        }
        PortError::unavailable(service, describe(error))
    }

    /// A status the caller has no meaning for, `Retry-After` read from `headers`.
    pub fn status(self, status: StatusCode, headers: &HeaderMap, now: DateTime<Utc>) -> PortError {
        self.status_with_wait(status, retry_after(headers, now), "")
    }

    /// As [`status`](Self::status), with the wait the caller read itself (Lago also speaks
    /// `X-RateLimit-Reset`) and what the upstream said, for the log.
    pub fn status_with_wait(
        self,
        status: StatusCode,
        wait: Option<Duration>,
        said: &str,
    ) -> PortError {
        let mut reason = format!("answered HTTP {}", status.as_u16());
        if !said.is_empty() {
            reason = format!("{reason}: {said}");
        }
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return PortError::Unavailable {
                service: self.0,
                reason,
                retry_after: wait,
            };
        }
        self.invalid(format!("{reason}, which its API does not answer there"))
    }

    /// A 2xx body read as `T`.
    ///
    /// # Errors
    /// `InvalidAnswer` when it is not one (not JSON, cut off, another shape).
    pub fn decode<T: DeserializeOwned>(self, body: &[u8]) -> Result<T, PortError> {
        serde_json::from_slice(body).map_err(|error| self.invalid(error.to_string()))
    }

    /// An answer read, but one that breaks the upstream's contract.
    pub fn invalid(self, reason: impl Into<String>) -> PortError {
        PortError::InvalidAnswer {
            service: self.0,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderValue, RETRY_AFTER};

    use super::*;

    const OPENMETER: Upstream = Upstream("openmeter");

    #[tokio::test]
    async fn a_sent_request_is_recorded_with_its_status_and_without_its_query() {
        let server = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::method("GET"))
            .respond_with(wiremock::ResponseTemplate::new(404))
            .mount(&server)
            .await;
        let client = crate::outbound_http::client(Duration::from_secs(5)).expect("a client");
        let log = crate::upstream_calls::CallLog::default();
        let answer = log
            .scope(OPENMETER.send(client.get(format!(
                "{}/api/v1/meters/tokens/query?subject=ann%40example.com",
                server.uri()
            ))))
            .await
            .expect("an answer");
        assert_eq!(answer.status(), StatusCode::NOT_FOUND);
        let calls = log.calls();
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert_eq!(
            (
                calls[0].upstream,
                calls[0].method.as_str(),
                calls[0].path.as_str()
            ),
            ("openmeter", "GET", "/api/v1/meters/tokens/query")
        );
        assert_eq!(calls[0].outcome, CallOutcome::Status(404));
    }

    #[test]
    fn failing_and_throttling_statuses_are_unavailable_with_the_upstreams_wait() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("17"));
        for status in [StatusCode::TOO_MANY_REQUESTS, StatusCode::BAD_GATEWAY] {
            assert_eq!(
                OPENMETER.status(status, &headers, Utc::now()),
                PortError::Unavailable {
                    service: "openmeter",
                    reason: format!("answered HTTP {}", status.as_u16()),
                    retry_after: Some(Duration::from_secs(17)),
                }
            );
        }
    }

    #[test]
    fn other_unexpected_statuses_and_undecodable_bodies_are_invalid_answers() {
        let status = OPENMETER.status(StatusCode::FOUND, &HeaderMap::new(), Utc::now());
        assert!(matches!(
            status,
            PortError::InvalidAnswer {
                service: "openmeter",
                ..
            }
        ));

        #[derive(serde::Deserialize, Debug)]
        struct Rows {
            #[allow(dead_code, reason = "only its shape is checked")]
            data: Vec<u32>,
        }
        for body in [&br#"{"data": "not rows"}"#[..], br#"{"data": [1, 2"#, b""] {
            assert!(
                matches!(
                    OPENMETER.decode::<Rows>(body),
                    Err(PortError::InvalidAnswer {
                        service: "openmeter",
                        ..
                    })
                ),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
