//! Keto relation checks: `POST <read>/relation-tuples/check/openapi` with
//! `{namespace, object, relation, subject_id}`, answered `{"allowed": bool}`.
//!
//! The `/openapi` variant answers a denial as 200; the older `/relation-tuples/check` answers
//! it as 403 with the same body, and some deployments route one to the other, so a 403 that
//! carries `allowed` is read as a plain "no". Anything else (other statuses, a 403 without that
//! body, a timeout) is `AuthError::Upstream`: a check that cannot be made never allows.
//! Answers are not cached: a revoked permission must stop working at once.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tollgate_application::{
    PortError,
    ports::{AuthError, PermissionChecker, RelationCheck},
};
use url::Url;

use super::{OrySetupError, http};
use crate::upstream::Upstream;

const SERVICE: &str = "keto";
const KETO: Upstream = Upstream(SERVICE);

#[derive(Debug, Clone)]
pub struct KetoConfig {
    /// Keto's read API (port 4466 self-hosted; the project URL on Ory Network).
    pub read_url: Url,
    /// Sent as `Authorization: Bearer`: needed on Ory Network, absent self-hosted.
    pub api_key: Option<SecretString>,
    /// Sent as `max-depth` to bound the graph traversal; Keto's own default when `None`.
    pub max_depth: Option<u32>,
    pub timeout: Duration,
}

impl KetoConfig {
    /// No API key, Keto's default depth, 2 s timeout.
    pub fn new(read_url: Url) -> Self {
        Self {
            read_url,
            api_key: None,
            max_depth: None,
            timeout: Duration::from_secs(2),
        }
    }
}

pub struct KetoPermissions {
    http: reqwest::Client,
    endpoint: Url,
    api_key: Option<SecretString>,
}

impl KetoPermissions {
    /// # Errors
    /// When the read URL is not an http(s) base URL or the HTTP client cannot be built.
    pub fn new(config: KetoConfig) -> Result<Self, OrySetupError> {
        let mut endpoint =
            http::endpoint(SERVICE, &config.read_url, "relation-tuples/check/openapi")?;
        if let Some(depth) = config.max_depth {
            endpoint
                .query_pairs_mut()
                .append_pair("max-depth", &depth.to_string());
        }
        Ok(Self {
            http: http::client(SERVICE, config.timeout)?,
            endpoint,
            api_key: config.api_key,
        })
    }
}

#[async_trait]
impl PermissionChecker for KetoPermissions {
    #[tracing::instrument(
        name = "keto.check",
        skip_all,
        fields(namespace = %question.namespace, relation = %question.relation, allowed)
    )]
    async fn check(&self, question: &RelationCheck) -> Result<bool, AuthError> {
        let mut request = self
            .http
            .post(self.endpoint.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .json(&CheckBody {
                namespace: &question.namespace,
                object: &question.object,
                relation: &question.relation,
                subject_id: &question.subject,
            });
        if let Some(api_key) = &self.api_key {
            request = request.bearer_auth(api_key.expose_secret());
        }
        let response = KETO
            .send(request)
            .await
            .map_err(|error| refused(KETO.failed(error)))?;
        let status = response.status();
        let allowed = match status {
            StatusCode::OK | StatusCode::FORBIDDEN => {
                let headers = response.headers().clone();
                match response.json::<CheckResult>().await {
                    // A 403 is a denial whatever its body claims.
                    Ok(result) => result.allowed && status == StatusCode::OK,
                    // Not Keto's denial: a proxy in front of it, say.
                    Err(error) if status == StatusCode::FORBIDDEN && !error.is_timeout() => {
                        return Err(refused(KETO.status(status, &headers, Utc::now())));
                    }
                    Err(error) => return Err(refused(KETO.failed(error))),
                }
            }
            status => return Err(refused(KETO.status(status, response.headers(), Utc::now()))),
        };
        tracing::Span::current().record("allowed", allowed);
        Ok(allowed)
    }
}

fn refused(error: PortError) -> AuthError {
    tracing::warn!(%error, "Keto gave no usable answer; refusing");
    error.into()
}

/// `postCheckPermissionBody` with a plain subject id (never a subject set).
#[derive(Serialize)]
struct CheckBody<'a> {
    namespace: &'a str,
    object: &'a str,
    relation: &'a str,
    subject_id: &'a str,
}

/// `checkPermissionResult`.
#[derive(Deserialize)]
struct CheckResult {
    allowed: bool,
}
