//! Lago's REST API as the billing adapters call it: `{url}/api/v1/...`, JSON bodies wrapped in
//! a root key, `Authorization: Bearer <API key>`, and Lago's answers turned into port errors.
//!
//! | Lago answers | becomes |
//! |---|---|
//! | 2xx | the body |
//! | 404 | [`Reply::NotFound`] (the caller knows what a missing object means) |
//! | 405, 422 | [`Reply::Refused`]: Lago's `error_details` in words, `PortError::Refused` |
//! | 401, 403 | `PortError::Internal`: the API key is wrong, logged, never shown to clients |
//! | 429, 5xx, network errors | `PortError::Unavailable` (with Lago's wait), after retries |
//! | no answer in time | `PortError::TimedOut`, after retries |
//! | a 2xx body that is not what the endpoint documents | `PortError::InvalidAnswer` |
//! | anything else (400...) | `PortError::Internal`: Tollgate sent something Lago cannot read |
//!
//! Failed calls are classified by [`crate::upstream`], as for every upstream.
//!
//! Requests that are safe to repeat (reads, upserts, requests keyed by an id Tollgate chose)
//! are retried within the call on 429, 5xx and network failures, waiting what `Retry-After` /
//! `X-RateLimit-Reset` say when that is short enough, else a short backoff. A request that
//! may have taken effect (a timeout on `void`) is not repeated blindly: its caller checks.

use std::{sync::Arc, time::Duration};

use reqwest::{Method, StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use tollgate_application::{PortError, ports::Clock};
use url::Url;

use crate::lago::answer::rate_limit_wait;
use crate::openmeter::outbound;
use crate::upstream::Upstream;

pub(super) const SERVICE: &str = "lago";
pub(super) const LAGO: Upstream = Upstream(SERVICE);
/// First pause between two attempts; doubled each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// Whether a request may be sent again after a failure that leaves its effect unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Repeat {
    /// Reads, upserts, and changes keyed by an id Tollgate chose: a repeat converges.
    Safe,
    /// Only when Lago surely did not act on it (it could not be reached, it said 429).
    OnlyIfUnsent,
}

/// Lago's answer to one request, when it is a verdict on the request.
#[derive(Debug)]
pub(super) enum Reply {
    Done(Vec<u8>),
    NotFound,
    Refused(Refusal),
}

/// Lago understood the request and refused it (405, 422).
#[derive(Debug, Clone)]
pub(super) struct Refusal {
    pub details: Value,
    /// Lago's explanation, safe to show the client: `plan_code: plan_not_found`.
    pub words: String,
}

impl Refusal {
    pub fn into_port(self) -> PortError {
        PortError::Refused {
            service: SERVICE,
            reason: self.words,
        }
    }

    /// Whether `error_details.<field>` lists `code` (`code: value_already_exist`).
    pub fn has_detail(&self, field: &str, code: &str) -> bool {
        self.details
            .get(field)
            .and_then(Value::as_array)
            .is_some_and(|codes| codes.iter().any(|c| c == code))
    }
}

/// `{"status","error","code","error_details"}`, every field optional.
#[derive(serde::Deserialize, Default)]
struct LagoError {
    error: Option<String>,
    code: Option<String>,
    error_details: Option<Value>,
}

pub(super) struct LagoClient {
    http: reqwest::Client,
    /// `{url}/api/v1/`.
    base: Url,
    api_key: SecretString,
    clock: Arc<dyn Clock>,
    max_attempts: u32,
    max_retry_wait: Duration,
}

pub(super) struct ClientSettings {
    pub url: Url,
    pub api_key: SecretString,
    pub timeout: Duration,
    pub max_attempts: u32,
    pub max_retry_wait: Duration,
}

impl LagoClient {
    /// # Errors
    /// A reason when the URL is not an http(s) base URL or the client cannot be built.
    pub fn new(settings: ClientSettings, clock: Arc<dyn Clock>) -> Result<Self, String> {
        let base = crate::outbound_http::endpoint(&settings.url, "api/v1/")
            .ok_or_else(|| format!("{} is not an http(s) base URL", settings.url))?;
        let http =
            crate::outbound_http::client(settings.timeout).map_err(|error| error.to_string())?;
        Ok(Self {
            http,
            base,
            api_key: settings.api_key,
            clock,
            max_attempts: settings.max_attempts.max(1),
            max_retry_wait: settings.max_retry_wait,
        })
    }

    /// `{base}/seg/seg...?query`, every segment percent-encoded (external ids are the
    /// operator's text).
    pub fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Result<Url, PortError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| internal("the Lago URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(segments);
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
        }
        Ok(url)
    }

    /// Sends one request, again while that is safe and useful, and reads Lago's verdict.
    ///
    /// # Errors
    /// `Unavailable` or `TimedOut` when Lago cannot answer (after the retries), `Internal` for
    /// a refused API key or an answer that is no verdict on the request.
    pub async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        repeat: Repeat,
    ) -> Result<Reply, PortError> {
        let mut attempt = 1;
        loop {
            let failure = match self.send_once(method.clone(), url.clone(), body).await {
                Attempt::Verdict(reply) => return reply,
                Attempt::Failed(failure) => failure,
            };
            let may_repeat = repeat == Repeat::Safe || !failure.maybe_sent;
            let wait = failure
                .wait
                .unwrap_or(FIRST_BACKOFF.saturating_mul(1 << (attempt - 1).min(8)));
            if !may_repeat || attempt >= self.max_attempts || wait > self.max_retry_wait {
                tracing::warn!(%method, path = url.path(), attempt, error = %failure.error,
                    "Lago is unavailable");
                return Err(failure.error);
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn send_once(&self, method: Method, url: Url, body: Option<&Value>) -> Attempt {
        let mut request = self
            .http
            .request(method, url)
            .bearer_auth(self.api_key.expose_secret())
            .header(header::ACCEPT, "application/json");
        if let Some(body) = body {
            // `json` sets `Content-Type: application/json`.
            request = request.json(body);
        }
        let response = match LAGO.send(request).await {
            Ok(response) => response,
            Err(error) => {
                let maybe_sent = !error.is_connect();
                return Attempt::Failed(Failure {
                    error: LAGO.failed(error),
                    wait: None,
                    maybe_sent,
                });
            }
        };
        let status = response.status();
        let wait = rate_limit_wait(response.headers(), self.clock.now());
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes.to_vec(),
            Err(error) => {
                return Attempt::Failed(Failure {
                    error: LAGO.failed(error),
                    wait: None,
                    maybe_sent: true,
                });
            }
        };
        if status.is_success() {
            return Attempt::Verdict(Ok(Reply::Done(bytes)));
        }
        let error: LagoError = serde_json::from_slice(&bytes).unwrap_or_default();
        let said = outbound::excerpt(
            &error
                .error
                .clone()
                .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned()),
        );
        let code = status.as_u16();
        match status {
            StatusCode::NOT_FOUND => Attempt::Verdict(Ok(Reply::NotFound)),
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::METHOD_NOT_ALLOWED => {
                let details = error.error_details.unwrap_or(Value::Null);
                let words = refusal_words(error.code.as_deref(), &details, &said);
                Attempt::Verdict(Ok(Reply::Refused(Refusal { details, words })))
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                tracing::error!(
                    status = code,
                    "Lago refused the API key: check lago.api_key"
                );
                Attempt::Verdict(Err(internal(format!(
                    "Lago refused the API key (HTTP {code})"
                ))))
            }
            StatusCode::TOO_MANY_REQUESTS => Attempt::Failed(Failure {
                error: LAGO.status_with_wait(status, wait, ""),
                wait,
                maybe_sent: false,
            }),
            _ if status.is_server_error() => Attempt::Failed(Failure {
                error: LAGO.status_with_wait(status, wait, &said),
                wait,
                maybe_sent: true,
            }),
            _ => {
                tracing::error!(status = code, %said, "Lago could not read a request");
                Attempt::Verdict(Err(internal(format!("Lago answered HTTP {code}: {said}"))))
            }
        }
    }

    /// `GET`, the body read as `T`; `None` for a 404.
    ///
    /// # Errors
    /// As [`LagoClient::send`]; `Refused` when Lago refuses the read; `InvalidAnswer` for a
    /// body that is not a `T`.
    pub async fn get<T: DeserializeOwned>(&self, url: Url) -> Result<Option<T>, PortError> {
        match self.send(Method::GET, url, None, Repeat::Safe).await? {
            Reply::Done(body) => decode(&body).map(Some),
            Reply::NotFound => Ok(None),
            Reply::Refused(refusal) => Err(refusal.into_port()),
        }
    }
}

/// The body of a 2xx answer as `T`.
///
/// # Errors
/// `InvalidAnswer` when it is not one.
pub(super) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, PortError> {
    LAGO.decode(body)
}

/// `value` as JSON.
///
/// # Errors
/// `Internal` when it cannot be written (never for the plain structs used here).
pub(super) fn encode(value: &impl Serialize) -> Result<Value, PortError> {
    serde_json::to_value(value).map_err(|error| internal(error.to_string()))
}

pub(super) fn internal(reason: String) -> PortError {
    PortError::Internal {
        service: SERVICE,
        reason,
    }
}

/// What the engine refused, from Tollgate's side (a price Lago cannot hold).
pub(super) fn refused(reason: String) -> PortError {
    PortError::Refused {
        service: SERVICE,
        reason,
    }
}

enum Attempt {
    Verdict(Result<Reply, PortError>),
    Failed(Failure),
}

struct Failure {
    /// What the call answers if it is not tried again.
    error: PortError,
    wait: Option<Duration>,
    /// Whether Lago may have acted on the request.
    maybe_sent: bool,
}

/// `error_details` as `field: code, code; field.sub: code`, else Lago's `error` text.
fn refusal_words(code: Option<&str>, details: &Value, said: &str) -> String {
    let mut parts = Vec::new();
    flatten("", details, &mut parts);
    let words = if parts.is_empty() {
        match code {
            Some(code) if code != "validation_errors" => format!("{said} ({code})"),
            _ => said.to_owned(),
        }
    } else {
        parts.join("; ")
    };
    outbound::excerpt(&words)
}

fn flatten(path: &str, value: &Value, parts: &mut Vec<String>) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::Object(fields) => {
            for (key, value) in fields {
                flatten(&join(key), value, parts);
            }
        }
        Value::Array(items) if items.iter().all(|item| !item.is_object()) => {
            let codes: Vec<String> = items.iter().map(scalar).collect();
            parts.push(format!("{}: {}", label(path), codes.join(", ")));
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                flatten(&join(&index.to_string()), item, parts);
            }
        }
        Value::Null => {}
        other => parts.push(format!("{}: {}", label(path), scalar(other))),
    }
}

fn label(path: &str) -> &str {
    if path.is_empty() { "request" } else { path }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn error_details_read_as_words() {
        let details = json!({
            "plan_code": ["plan_not_found"],
            "charges": {"0": {"properties": ["invalid_amount", "invalid_free_units"]}},
        });
        assert_eq!(
            refusal_words(Some("validation_errors"), &details, "Unprocessable entity"),
            "charges.0.properties: invalid_amount, invalid_free_units; plan_code: plan_not_found"
        );
        assert_eq!(
            refusal_words(
                Some("invoice_not_voidable"),
                &Value::Null,
                "Method Not Allowed"
            ),
            "Method Not Allowed (invoice_not_voidable)"
        );
        assert_eq!(
            refusal_words(
                Some("validation_errors"),
                &json!({}),
                "Unprocessable entity"
            ),
            "Unprocessable entity"
        );
    }
}
