//! Stripe's API as the gateway calls it, and its answers turned into [`PaymentError`]s.
//!
//! | Stripe answers | becomes |
//! |---|---|
//! | 2xx | the body |
//! | 402 `card_error` | `Declined`, with `error.payment_intent.id` (a failed attempt) |
//! | 401, 403 | `Upstream(Internal)`: the secret key is wrong or lacks a permission; logged |
//! | 429 | `Upstream(Unavailable)` with `Retry-After` |
//! | 409, 5xx, network errors | retried, then `Upstream(Unavailable)` |
//! | no answer in time | retried, then `Upstream(TimedOut)` |
//! | other 4xx | `Refused` with Stripe's type, code, param and message |
//! | a 2xx body that is not what the endpoint documents | `Upstream(InvalidAnswer)` |
//!
//! Retries follow stripe-python: network errors, 409 and 5xx are tried again with exponential
//! backoff and jitter, and `Stripe-Should-Retry: true|false` overrides that either way. Every
//! POST carries the caller's `Idempotency-Key`, the same on each try, so a retry of a request
//! Stripe did act on answers that first result instead of acting twice.

use std::time::Duration;

use reqwest::{Method, StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Serialize, de::DeserializeOwned};
use tollgate_application::{
    PortError,
    ports::{Decline, IdempotencyKey, PaymentError, Refusal},
};
use url::Url;

use super::{StripeConfig, pacer::Pacer};
use crate::{outbound_http, upstream::Upstream};

pub(super) const SERVICE: &str = "stripe";
const STRIPE: Upstream = Upstream(SERVICE);
const SHOULD_RETRY: &str = "stripe-should-retry";

/// One call: its method, the path under `/v1/`, and for a POST its idempotency key.
pub(super) struct Call<'a> {
    method: Method,
    segments: &'a [&'a str],
    key: Option<&'a IdempotencyKey>,
}

impl<'a> Call<'a> {
    pub fn get(segments: &'a [&'a str]) -> Self {
        Self {
            method: Method::GET,
            segments,
            key: None,
        }
    }

    pub fn post(segments: &'a [&'a str], key: &'a IdempotencyKey) -> Self {
        Self {
            method: Method::POST,
            segments,
            key: Some(key),
        }
    }
}

pub(super) struct StripeClient {
    http: reqwest::Client,
    /// `{base}/v1/`.
    base: Url,
    secret_key: SecretString,
    api_version: String,
    max_attempts: u32,
    first_backoff: Duration,
    max_backoff: Duration,
    pacer: Pacer,
}

/// `{"error": {...}}`, every field optional.
#[derive(serde::Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    error: StripeError,
}

#[derive(serde::Deserialize, Default)]
struct StripeError {
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<String>,
    decline_code: Option<String>,
    advice_code: Option<String>,
    message: Option<String>,
    param: Option<String>,
    payment_intent: Option<IntentRef>,
}

#[derive(serde::Deserialize)]
struct IntentRef {
    id: String,
}

/// What one try came to.
enum Attempt {
    Done(Vec<u8>),
    /// Final: no retry can change it.
    Final(PaymentError),
    /// Worth another try (`wait` when Stripe said how long), unless tries are spent.
    Again {
        error: PaymentError,
        wait: Option<Duration>,
    },
}

impl StripeClient {
    /// # Errors
    /// A reason when the URL is not an http(s) base URL, the API version is empty, or the
    /// client cannot be built.
    pub fn new(config: StripeConfig) -> Result<Self, String> {
        let base = outbound_http::endpoint(&config.base_url, "v1/")
            .ok_or_else(|| format!("{} is not an http(s) base URL", config.base_url))?;
        if config.api_version.trim().is_empty() {
            return Err("the API version must not be empty".to_owned());
        }
        let http = outbound_http::client(config.timeout).map_err(|error| error.to_string())?;
        Ok(Self {
            http,
            base,
            secret_key: config.secret_key,
            api_version: config.api_version,
            max_attempts: config.max_attempts.max(1),
            first_backoff: config.first_backoff,
            max_backoff: config.max_backoff,
            pacer: Pacer::new(config.requests_per_second),
        })
    }

    /// Sends `form` (the body of a POST, the query of a GET), again while that is useful,
    /// and reads the answer as `T`.
    ///
    /// # Errors
    /// As the table of [`self`](self) says.
    pub async fn send<T: DeserializeOwned, F: Serialize>(
        &self,
        call: Call<'_>,
        form: &F,
    ) -> Result<T, PaymentError> {
        let encoded = serde_qs::to_string(form).map_err(|error| internal(error.to_string()))?;
        let url = self.url(call.segments, call.method == Method::GET, &encoded)?;
        let mut attempt = 1;
        loop {
            let (error, wait) = match self.try_once(&call, url.clone(), &encoded).await {
                Attempt::Done(body) => return STRIPE.decode(&body).map_err(PaymentError::from),
                Attempt::Final(error) => return Err(error),
                Attempt::Again { error, wait } => (error, wait),
            };
            let backoff = self.backoff(attempt);
            let pause = wait.unwrap_or(backoff);
            if attempt >= self.max_attempts || pause > self.max_backoff {
                tracing::warn!(method = %call.method, path = url.path(), attempt, %error,
                    "Stripe did not answer usefully");
                return Err(error);
            }
            tokio::time::sleep(pause).await;
            attempt += 1;
        }
    }

    fn url(&self, segments: &[&str], get: bool, encoded: &str) -> Result<Url, PaymentError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| internal("the Stripe URL cannot take a path".to_owned()))?
            .pop_if_empty()
            .extend(segments);
        if get && !encoded.is_empty() {
            url.set_query(Some(encoded));
        }
        Ok(url)
    }

    /// `first_backoff` × 2^(attempt-1), at most `max_backoff`, then 50–100 % of it
    /// (stripe-python's jitter), so clients that failed together do not retry together.
    fn backoff(&self, attempt: u32) -> Duration {
        let full = self
            .first_backoff
            .saturating_mul(1 << (attempt - 1).min(16))
            .min(self.max_backoff);
        full.mul_f64(0.5 + rand::random::<f64>() / 2.0)
    }

    async fn try_once(&self, call: &Call<'_>, url: Url, encoded: &str) -> Attempt {
        self.pacer.wait().await;
        let mut request = self
            .http
            .request(call.method.clone(), url)
            .bearer_auth(self.secret_key.expose_secret())
            .header("Stripe-Version", &self.api_version)
            .header(header::ACCEPT, "application/json");
        if let Some(key) = call.key {
            request = request
                .header("Idempotency-Key", key.as_str())
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(encoded.to_owned());
        }
        let response = match STRIPE.send(request).await {
            Ok(response) => response,
            Err(error) => return network(error),
        };
        let status = response.status();
        let headers = response.headers().clone();
        let body = match response.bytes().await {
            Ok(body) => body.to_vec(),
            Err(error) => return network(error),
        };
        if status.is_success() {
            return Attempt::Done(body);
        }
        let should_retry = headers
            .get(SHOULD_RETRY)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<bool>().ok());
        let error = classify(status, &headers, &body);
        let retry =
            should_retry.unwrap_or(status == StatusCode::CONFLICT || status.is_server_error());
        if retry {
            let wait = outbound_http::retry_after(&headers, chrono::Utc::now());
            Attempt::Again { error, wait }
        } else {
            Attempt::Final(error)
        }
    }
}

/// A failure before a full answer: tried again, since the idempotency key makes a repeat of a
/// POST safe even when Stripe did act on the first.
fn network(error: reqwest::Error) -> Attempt {
    let error = STRIPE.failed(error);
    match error {
        PortError::InvalidAnswer { .. } => Attempt::Final(error.into()),
        _ => Attempt::Again {
            error: error.into(),
            wait: None,
        },
    }
}

/// What an answer other than 2xx means, whether or not it is tried again.
fn classify(status: StatusCode, headers: &header::HeaderMap, body: &[u8]) -> PaymentError {
    let said: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let error = said.error;
    let message = error
        .message
        .clone()
        .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
    match status {
        StatusCode::PAYMENT_REQUIRED if error.kind.as_deref() == Some("card_error") => {
            PaymentError::Declined(Decline {
                code: error.code.unwrap_or_else(|| "card_declined".to_owned()),
                decline_code: error.decline_code,
                advice_code: error.advice_code,
                message,
                payment_intent: error.payment_intent.map(|intent| intent.id),
            })
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            tracing::error!(status = status.as_u16(), %message,
                "Stripe refused the secret key: check stripe.secret_key and its permissions");
            internal(format!(
                "Stripe refused the secret key (HTTP {})",
                status.as_u16()
            ))
        }
        StatusCode::TOO_MANY_REQUESTS | StatusCode::CONFLICT => {
            PaymentError::Upstream(PortError::Unavailable {
                service: SERVICE,
                reason: format!("answered HTTP {}: {message}", status.as_u16()),
                retry_after: outbound_http::retry_after(headers, chrono::Utc::now()),
            })
        }
        _ if status.is_server_error() => PaymentError::Upstream(STRIPE.status_with_wait(
            status,
            outbound_http::retry_after(headers, chrono::Utc::now()),
            &message,
        )),
        _ if status.is_client_error() => PaymentError::Refused(Refusal {
            kind: error
                .kind
                .unwrap_or_else(|| "invalid_request_error".to_owned()),
            code: error.code,
            param: error.param,
            message,
        }),
        _ => PaymentError::Upstream(STRIPE.status(status, headers, chrono::Utc::now())),
    }
}

pub(super) fn internal(reason: String) -> PaymentError {
    PaymentError::Upstream(PortError::Internal {
        service: SERVICE,
        reason,
    })
}

/// An answer Stripe gave that breaks its documented contract.
pub(super) fn invalid(reason: String) -> PaymentError {
    PaymentError::Upstream(STRIPE.invalid(reason))
}
